"""What feeds the audit log besides direct ``record()`` calls.

Wagtail writes its own history (publish, unpublish, edit, create and delete of pages,
snippets, settings, users and groups; our issue sends and erasures through
``wagtail.log_actions.log``). Rather than a second call beside each of those, every
Wagtail log entry is copied into the audit log as it is written, in the same transaction:
one mechanism, and nothing Wagtail logs can be missed. Wagtail's history can be edited
(erasure relabels it); the copy cannot.

Wagtail's entries name neither the groups a user was given nor a group's permissions, so
the user and group edit views add one entry each with what changed (``roles_changed``,
``group_permissions_changed``); see ``wagtail_hooks`` and ``group_views``.

Sign-ins are recorded by the sign-in flow itself (``signin.py``): only there is it known
whether the second factor was shown, and with what.
"""

from django.db.models.signals import post_save
from wagtail.models import ModelLogEntry, PageLogEntry

from .audit import record

# Records of people outside the newsroom: labelled by id whatever their label says.
PERSONAL = {
    "newsletters.subscriber",
    "newsletters.subscription",
    "newsletters.suppression",
    "newsletters.bounceevent",
    "support.donor",
    "support.gift",
    "support.payment",
}


def mirror_log_entry(sender, instance, created, raw=False, **kwargs):
    """Copy a Wagtail log entry, just written, into the audit log."""
    if not created or raw:
        return
    entry = instance
    content_type = entry.content_type
    target_type = f"{content_type.app_label}.{content_type.model}" if content_type else ""
    target_id = entry.object_id
    target_id = str((target_id() if callable(target_id) else target_id) or "")
    label = entry.label or ""
    if target_type in PERSONAL:
        model = content_type.model_class()
        label = f"{model._meta.verbose_name if model else content_type.model} {target_id}"
    data = dict(entry.data or {})
    # The command line names who ran it; Wagtail has no user then.
    by = str(data.get("by") or "") if entry.user_id is None else ""
    record(
        entry.action,
        actor=entry.user,
        actor_name=by,
        target_type=target_type,
        target_id=target_id,
        target_label=label,
        data=data,
    )


def connect() -> None:
    for model in (ModelLogEntry, PageLogEntry):
        post_save.connect(mirror_log_entry, sender=model, dispatch_uid=f"audit_{model.__name__}")
