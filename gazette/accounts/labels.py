"""Plain words for the actions in the audit log.

Actions written by Wagtail (``wagtail.publish``, and those our apps register with
``register_log_actions``) take the label Wagtail's registry has for them; the ones only
the audit log knows are named here.
"""

from django.utils.translation import gettext_lazy as _
from wagtail.log_actions import registry

OWN = {
    "accounts.sign_in": _("Signed in"),
    "accounts.sign_in_failed": _("Sign-in failed"),
    "accounts.mfa_added": _("Second factor added"),
    "accounts.mfa_removed": _("Second factor removed"),
    "accounts.recovery_codes_generated": _("Recovery codes made"),
    "accounts.locked_out": _("Account locked after failed sign-ins"),
    "accounts.signed_out_everywhere": _("Signed out everywhere"),
    "accounts.roles_changed": _("Roles changed"),
    "accounts.group_permissions_changed": _("Group permissions changed"),
    "accounts.roles_reset": _("Roles reset to their defaults"),
    "accounts.audit_exported": _("Audit log exported"),
    "privacy.export": _("Personal data exported"),
    "privacy.export_list": _("Subscriber list exported"),
    "privacy.erase": _("Personal data erased"),
}


def label_for(action: str) -> str:
    if action in OWN:
        return str(OWN[action])
    registry.scan_for_actions()
    try:
        return str(registry.get_action_label(action))
    except KeyError:
        return action


def choices() -> list[tuple[str, str]]:
    """Every action that has a label, for the filter, sorted by label."""
    actions = set(OWN) | {action for action, _label in registry.get_choices()}
    return sorted(((action, label_for(action)) for action in actions), key=lambda c: c[1])
