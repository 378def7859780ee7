"""The admin's side of staff accounts: the audit log in the Settings menu, role changes
of users into it, and the sign-in security page (account page link and menu item)."""

from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import auditlog_views
from .audit import record

ROLES_CHANGED = "accounts.roles_changed"


@hooks.register("register_admin_urls")
def register_audit_log_urls():
    return [
        path("audit-log/", auditlog_views.index, name="gazette_audit_log"),
        path("audit-log/export/", auditlog_views.export, name="gazette_audit_log_export"),
    ]


class AuditLogMenuItem(MenuItem):
    def is_shown(self, request):
        return auditlog_views.can_view(request.user)


@hooks.register("register_settings_menu_item")
def register_audit_log_menu_item():
    return AuditLogMenuItem(
        _("Audit log"), reverse("gazette_audit_log"), icon_name="list-ul", order=900
    )


# A user's roles: their groups, and whether they are a superuser or may sign in at all.
def _roles(user) -> dict:
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)) if user.pk else [],
        "superuser": user.is_superuser,
        "active": user.is_active,
    }


@hooks.register("before_edit_user")
def remember_roles(request, user):
    request.gazette_roles_before = _roles(user)


@hooks.register("after_edit_user")
def record_roles_change(request, user):
    before = getattr(request, "gazette_roles_before", None)
    user.refresh_from_db(fields=["is_superuser", "is_active"])
    after = _roles(user)
    if before is not None and after != before:
        _record(request, user, before, after)


@hooks.register("after_create_user")
def record_new_user_roles(request, user):
    after = _roles(user)
    if after["groups"] or after["superuser"]:
        _record(request, user, {"groups": [], "superuser": False, "active": False}, after)


def _record(request, user, before, after):
    data = {
        "added": sorted(set(after["groups"]) - set(before["groups"])),
        "removed": sorted(set(before["groups"]) - set(after["groups"])),
    }
    for flag in ("superuser", "active"):
        if before[flag] != after[flag]:
            data[flag] = after[flag]
    record(ROLES_CHANGED, request=request, target=user, data=data)


@hooks.register("register_account_menu_item")
def sign_in_security_link(request):
    return {
        "url": reverse("accounts:security"),
        "label": _("Sign-in security"),
        "help_text": _("Security keys, authenticator apps, recovery codes; sign out everywhere."),
    }


@hooks.register("register_admin_menu_item")
def sign_in_security_menu_item():
    return MenuItem(
        _("Sign-in security"), reverse("accounts:security"), icon_name="key", order=10000
    )
