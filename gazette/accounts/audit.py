"""The one way to write to the audit log.

Every action listed in issue #6 (sign-ins, second-factor changes, role and permission
changes, publish and unpublish, settings changes, newsletter sends, data exports and
erasures) calls ``record``. Entries are never changed or deleted by the application.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from .models import AuditEntry


def record(
    action: str,
    *,
    actor=None,
    actor_name: str = "",
    target: models.Model | None = None,
    target_label: str = "",
    request=None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add one entry. ``action`` is dotted, e.g. ``"accounts.sign_in"``.

    ``actor`` is the user who acted (None for the system or an unknown name: give
    ``actor_name`` then, e.g. the username typed at a failed sign-in). ``request``, when
    given, supplies the actor (if signed in) and the client's address.
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None and not actor_name:
        actor_name = actor.get_username()
    entry = AuditEntry(
        actor_id=getattr(actor, "pk", None),
        actor_name=actor_name[:150],
        action=action,
        data=data or {},
        ip=_client_ip(request),
    )
    if target is not None:
        entry.target_type = target._meta.label_lower
        entry.target_id = str(target.pk)
        entry.target_label = (target_label or str(target))[:255]
    else:
        entry.target_label = target_label[:255]
    entry.save()
    return entry


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None
