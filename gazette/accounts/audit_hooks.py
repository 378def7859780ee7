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

Sign-ins use Django's ``user_logged_in`` and ``user_login_failed`` signals for now: they
are the only point every sign-in passes through until the second-factor sign-in lands.
"""

from django.contrib.auth.signals import user_logged_in, user_login_failed
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


def signed_in(sender, request, user, **kwargs):
    record("accounts.sign_in", actor=user, request=request)


def sign_in_failed(sender, credentials, request=None, **kwargs):
    # Django has already replaced the password in ``credentials``; only the name is kept.
    name = str(credentials.get("username") or "")
    record("accounts.sign_in_failed", actor_name=name, request=request)


def connect() -> None:
    for model in (ModelLogEntry, PageLogEntry):
        post_save.connect(mirror_log_entry, sender=model, dispatch_uid=f"audit_{model.__name__}")
    user_logged_in.connect(signed_in, dispatch_uid="audit_signed_in")
    user_login_failed.connect(sign_in_failed, dispatch_uid="audit_sign_in_failed")
