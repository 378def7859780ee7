"""Counters for rate limits, kept only in the cache and keyed by a keyed hash.

Newsroom records can be seized, and a list of readers' or donors' IP addresses or email
addresses would endanger them: so a counter names who it counts by an HMAC of the value
under the site's secret, and expires with its window. Nothing is written to the database
or the logs. Used by the newsletter signup, the checkout, the donors' fresh-link form,
reader search, and (``limit_posts``) every other public POST.
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


def limit_posts(prefix: str, *, per_client_factor: int = 1):
    """A view decorator: POSTs count against GAZETTE_POST_PER_CLIENT (times
    ``per_client_factor``) and GAZETTE_POST_GLOBAL in GAZETTE_POST_WINDOW, and past either
    the answer is 429 with a page saying to wait (``429.html``). GETs are not counted.

    For the public POSTs that carry a token in their address (confirm, unsubscribe,
    preferences, donor pages, the test checkout); the signup, checkout and donor-link forms
    have limits of their own. The providers' webhooks have none, on purpose: they are
    refused before any work unless signed (or, for SES, sent with the webhook's password),
    and a limit could only turn away a real burst of bounce reports after a large send,
    which SNS retries only a few times.
    """
    from functools import wraps

    from django.shortcuts import render

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if request.method == "POST":
                from gazette.clients import client_address

                if over_limit(
                    prefix=prefix,
                    client_address=client_address(request),
                    window=settings.GAZETTE_POST_WINDOW,
                    per_client=settings.GAZETTE_POST_PER_CLIENT * per_client_factor,
                    overall=settings.GAZETTE_POST_GLOBAL,
                ):
                    response = render(request, "429.html", status=429)
                    response["Retry-After"] = str(settings.GAZETTE_POST_WINDOW)
                    return response
            return view(request, *args, **kwargs)

        wrapped.post_limit = prefix  # tests check every public POST view has a limit
        return wrapped

    return decorator
