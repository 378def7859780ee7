"""Every public POST is rate-limited: past the limit the answer is 429 with a page that
says to wait, and nothing is changed. (Signup, checkout and the donor-link form have limits
of their own, tested with them; the webhooks have none on purpose, see ratelimits.py.)"""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from gazette.newsletters.models import Subscription
from gazette.newsletters.tokens import unsubscribe_signer
from tests.newsletters.conftest import make_subscribers

pytestmark = pytest.mark.django_db

LIMITED = [
    "/newsletters/confirm/junk/",
    "/newsletters/unsubscribe/junk/",
    "/newsletters/preferences/junk/",
    "/donate/manage/junk/",
    "/donate/manage/junk/cancel/1/",
    "/donate/test/junk/",
    "/_util/login/",
    "/_util/authenticate_with_password/1/1/",
]


@pytest.mark.parametrize("path", LIMITED)
def test_limited_per_client(path, settings, newsroom):
    settings.GAZETTE_POST_PER_CLIENT = 1
    factor = 10 if "unsubscribe" in path else 1  # mail programs' servers share addresses
    client = Client()
    for _ in range(factor):
        assert client.post(path).status_code != 429
    limited = client.post(path)
    assert limited.status_code == 429
    text = limited.content.decode()
    assert "Too many requests" in text and "Nothing was changed" in text
    assert limited["Retry-After"] == str(settings.GAZETTE_POST_WINDOW)
    assert Client(REMOTE_ADDR="198.51.100.9").post(path).status_code != 429
    assert client.get(path).status_code != 429  # reading is not counted


def test_limited_overall(settings, newsroom):
    settings.GAZETTE_POST_GLOBAL = 2
    codes = [
        Client(REMOTE_ADDR=f"198.51.100.{n}").post("/newsletters/confirm/junk/").status_code
        for n in range(3)
    ]
    assert codes == [400, 400, 429]


def test_a_limited_unsubscribe_changes_nothing(settings, weekly):
    settings.GAZETTE_POST_PER_CLIENT = 0
    (subscriber,) = make_subscribers(weekly, 1)
    token = unsubscribe_signer().make(subscriber.pk, weekly.pk)
    assert Client().post(f"/newsletters/unsubscribe/{token}/").status_code == 429
    assert Subscription.objects.get().status == Subscription.Status.CONFIRMED


def _callbacks(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _callbacks(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback


def test_every_public_view_that_takes_a_post_is_limited_or_listed():
    """A new view under /newsletters/ or /donate/ must be limited with
    ``ratelimits.limit_posts``, or be named here as GET-only, limited its own way or exempt."""
    from gazette.newsletters import archive, views
    from gazette.support import checkout, donors

    get_only = {views.newsletter_list, archive.archive_view, archive.latest_view}
    get_only |= {archive.issue_view, checkout.thanks_view}
    own_limits = {views.signup_view, checkout.checkout_view, donors.request_link_view}
    unlimited, seen = [], set()
    for route, callback in _callbacks(get_resolver().url_patterns):
        if route in seen:  # shadowed: the first pattern for a path is the one that answers
            continue
        seen.add(route)
        if not route.startswith(("newsletters/", "donate/", "_util/")) or "webhooks/" in route:
            continue
        if callback in get_only | own_limits or getattr(callback, "post_limit", None):
            continue
        unlimited.append(route)
    assert unlimited == []
