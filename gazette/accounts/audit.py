"""The one way to write to the audit log.

Every action listed in issue #6 (sign-ins, second-factor changes, role and permission
changes, publish and unpublish, settings changes, newsletter sends, data exports and
erasures) ends up here: directly, or through ``audit_hooks``, which copies each entry
Wagtail writes to its own history. Entries are never changed or deleted: the database
refuses it (see migration 0002), and they are kept for as long as the database is.
"""

from __future__ import annotations

import json
import re
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from .models import AuditEntry

# Anything shaped like an email address. Staff type addresses too (a test send), but a
# reader's, subscriber's or donor's address must never reach the log: erasure cannot
# reach an append-only table, so no address goes in at all.
ADDRESS = re.compile(r"[^\s@<>\"',;:]+@[^\s@<>\"',;:]+")
REMOVED = "(address removed)"


def record(
    action: str,
    *,
    actor=None,
    actor_name: str = "",
    target: models.Model | None = None,
    target_label: str = "",
    request=None,
    data: dict[str, Any] | None = None,
    target_type: str = "",
    target_id: str = "",
) -> AuditEntry:
    """Add one entry. ``action`` is dotted, e.g. ``"accounts.sign_in"``.

    ``actor`` is the user who acted (None for the system or an unknown name: give
    ``actor_name`` then, e.g. the username typed at a failed sign-in). ``request``, when
    given, supplies the actor (if signed in) and the client's address. Email addresses in
    ``target_label`` and ``data`` are replaced, whoever they belong to. ``target_type``
    (``app_label.model``) and ``target_id`` name a target that is not loaded (or is gone).
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
        # As JSON holds it (dates as ISO strings), like Wagtail's own log entries.
        data=without_addresses(json.loads(json.dumps(data or {}, cls=DjangoJSONEncoder))),
        ip=_client_ip(request),
        target_type=target_type,
        target_id=target_id,
    )
    if target is not None:
        entry.target_type = target._meta.label_lower
        entry.target_id = str(target.pk)
        target_label = target_label or str(target)
    if ADDRESS.search(target_label):
        kind = target._meta.verbose_name if target is not None else entry.target_type
        kind = kind.rsplit(".", 1)[-1]
        target_label = f"{kind} {entry.target_id}" if entry.target_id else REMOVED
    entry.target_label = target_label[:255]
    entry.save()
    return entry


def without_addresses(value):
    """``value`` (JSON-like) with every string holding an address replaced."""
    if isinstance(value, str):
        return ADDRESS.sub(REMOVED, value)
    if isinstance(value, dict):
        return {key: without_addresses(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [without_addresses(item) for item in value]
    return value


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


# -- Append-only --------------------------------------------------------------------------
# On SQLite the triggers of migration 0002 ask the function below whether the table is
# sealed. A connection that lacks it (the sqlite3 shell) fails the statement: refused too.
# Only ``unsealed()`` opens it, and only the test suite uses that: Django's flush between
# transactional tests deletes rows on SQLite (on PostgreSQL it truncates, which row
# triggers do not see).

_unsealed: ContextVar[bool] = ContextVar("gazette_audit_unsealed", default=False)
SQLITE_FUNCTION = "gazette_audit_sealed"


@contextmanager
def unsealed():
    token = _unsealed.set(True)
    try:
        yield
    finally:
        _unsealed.reset(token)


def add_sqlite_function(sender, connection, **kwargs) -> None:
    """A ``connection_created`` receiver: gives SQLite connections the triggers' function."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_FUNCTION, 0, lambda: 0 if _unsealed.get() else 1, deterministic=False
        )
