"""Rate limits for the public forms (newsletter signup, donation checkout): counters in the
cache, per client and for everyone together, over a fixed window.

A client is named in the cache only by a keyed hash of its address, and the counter expires
with the window: the address is never written to the database or the logs, because a
newsroom's records can be seized, and a list of its readers' addresses would endanger them.
"""

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache


def keyed(namespace: str, kind: str, value: str) -> str:
    """A cache key naming ``value`` by a keyed hash, so that even the cache does not hold
    a reader's IP address or email address in the clear."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"{kind}:{value}".encode(), hashlib.sha256)
    return f"{namespace}:{kind}:{mac.hexdigest()[:32]}"


def count(key: str, window: int) -> int:
    """Add one to the counter at ``key`` (started with the window) and return it."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def over_limit(
    *, namespace: str, kind: str, client: str, window: int, per_client: int, overall: int
) -> bool:
    """Count an attempt; True if this client, or everyone together, has used up the window."""
    mine = count(keyed(namespace, f"{kind}-client", client), window)
    everyone = count(f"{namespace}:{kind}-all", window)
    return mine > per_client or everyone > overall
