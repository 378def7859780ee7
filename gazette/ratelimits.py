"""Counters for rate limits, kept only in the cache and keyed by a keyed hash.

Newsroom records can be seized, and a list of readers' or donors' IP addresses or email
addresses would endanger them: so a counter names who it counts by an HMAC of the value
under the site's secret, and expires with its window. Nothing is written to the database
or the logs. Used by the newsletter signup and the donors' fresh-link form.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache


def keyed(kind: str, value: str, *, prefix: str) -> str:
    """A cache key naming ``value`` by a keyed hash, so that even the cache does not hold
    the address it counts in the clear."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return f"{prefix}:{kind}:{mac.hexdigest()[:32]}"


def count(key: str, window: int) -> int:
    """Add one to the counter ``key`` (started at the first call, lasting ``window``
    seconds) and return its value."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def over_limit(
    *, prefix: str, client_address: str, window: int, per_client: int, overall: int
) -> bool:
    """Count one attempt by ``client_address`` and one for everyone together; True if
    either has passed its limit in the window."""
    by_client = count(keyed("client", client_address, prefix=prefix), window)
    by_all = count(f"{prefix}:all", window)
    return by_client > per_client or by_all > overall


def first_in_window(kind: str, value: str, *, prefix: str, window: int) -> bool:
    """True the first time ``value`` is seen in the window (e.g. one mail per address)."""
    return cache.add(keyed(kind, value, prefix=prefix), 1, timeout=window)
