"""A lock that holds across processes and machines, for periodic jobs that several workers
may start at once. PostgreSQL advisory locks where we have them; otherwise the cache, which
is Redis (shared by every machine) whenever more than one machine runs workers."""

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db import connection


@contextmanager
def exclusive(name: str, *, timeout: int = 300) -> Iterator[bool]:
    """Yields True if this process holds the lock named ``name``, False if another does."""
    if connection.vendor == "postgresql":
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
        return
    cache_key = f"lock:{name}"
    acquired = cache.add(cache_key, 1, timeout)
    try:
        yield acquired
    finally:
        if acquired:
            cache.delete(cache_key)
