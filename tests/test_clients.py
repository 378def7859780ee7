"""The client address rate limits count: REMOTE_ADDR, or behind trusted proxies the nearest
address in X-Forwarded-For that the proxies did not add themselves."""

import pytest
from django.test import RequestFactory

from gazette.clients import client_address


def request(remote: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.GAZETTE_TRUSTED_PROXIES = []
    assert client_address(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("forwarded", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),  # nginx added the reader's address
        # The reader wrote a false address first; nginx appended the real one.
        ("10.9.9.9, 198.51.100.7", "198.51.100.7"),
        # Two proxies of ours (a load balancer in 10.0.0.0/8, then nginx).
        ("198.51.100.7, 10.1.2.3", "198.51.100.7"),
        ("2001:db8::5", "2001:db8::5"),
        ("", "127.0.0.1"),  # no header: the proxy's own request
        ("not-an-address", "not-an-address"),  # counted as given: garbage gets its own limit
    ],
)
def test_behind_trusted_proxies_the_nearest_untrusted_hop(settings, forwarded, expected):
    settings.GAZETTE_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    assert client_address(request("127.0.0.1", forwarded)) == expected


def test_a_request_not_from_a_trusted_proxy_cannot_choose_its_address(settings):
    settings.GAZETTE_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client_address(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
