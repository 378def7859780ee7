"""A lock that holds across processes and machines, for periodic jobs that several workers
may start at once: a PostgreSQL advisory lock, or a lease row on other databases."""

import secrets
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import IntegrityError, connection, transaction
from django.utils import timezone


@contextmanager
def exclusive(name: str, *, timeout: int = 300) -> Iterator[bool]:
    """Yields True if this process holds the lock named ``name``, False if another does.
    ``timeout`` bounds how long a crashed holder can keep a lease (not an advisory lock,
    which PostgreSQL releases when the holder's session ends)."""
    if connection.vendor == "postgresql":
        with _advisory_lock(name) as acquired:
            yield acquired
    else:
        with _lease(name, timeout) as acquired:
            yield acquired


@contextmanager
def _advisory_lock(name: str) -> Iterator[bool]:
    key = zlib.crc32(name.encode())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


@contextmanager
def _lease(name: str, timeout: int) -> Iterator[bool]:
    from .models import Lease

    holder = secrets.token_hex(16)
    now = timezone.now()
    Lease.objects.filter(name=name, expires_at__lt=now).delete()
    try:
        with transaction.atomic():
            Lease.objects.create(
                name=name, holder=holder, expires_at=now + timedelta(seconds=timeout)
            )
        acquired = True
    except IntegrityError:
        acquired = False
    try:
        yield acquired
    finally:
        if acquired:
            Lease.objects.filter(name=name, holder=holder).delete()
