"""Shared pieces of the fuzz tests: hypothesis's settings, the client, and the check that
no request answers with a server error.

The examples are derandomized: every run tries the same inputs (derived from each test's
name), so a failure in CI is reproduced by running the same test locally, and the suite's
time does not vary. Exploring new inputs is a deliberate act:
``GAZETTE_FUZZ_RANDOM=1 GAZETTE_FUZZ_EXAMPLES=2000 pytest tests/fuzz``.
"""

import os

import pytest
from django.core.signals import got_request_exception
from django.test import Client
from hypothesis import HealthCheck, settings

from tests.newsletters.conftest import weekly  # noqa: F401

EXAMPLES = int(os.environ.get("GAZETTE_FUZZ_EXAMPLES", "100"))

settings.register_profile(
    "gazette-fuzz",
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("GAZETTE_FUZZ_RANDOM"),
    database=None,
    # The database and the client are per test; each example's requests see what earlier
    # examples stored, as a live site would.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
fuzz_settings = settings.get_profile("gazette-fuzz")


class Failures:
    """Exceptions raised inside views, so that a 500 names its cause."""

    def __init__(self):
        self.errors = []

    def __call__(self, sender, request=None, **kwargs):
        import sys

        self.errors.append((getattr(request, "path", "?"), repr(sys.exc_info()[1])))


@pytest.fixture
def fuzz_client(settings, newsroom):
    # Limits high enough that fuzzing reaches the views (the limits have their own tests).
    for name in ("SIGNUP", "SUPPORT", "DONOR_LINK", "SEARCH", "POST"):
        setattr(settings, f"GAZETTE_{name}_PER_CLIENT", 10**9)
        setattr(settings, f"GAZETTE_{name}_GLOBAL", 10**9)
    settings.GAZETTE_STRIPE_WEBHOOK_SECRET = "whsec_fuzz"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "fuzz:secret"}
    failures = Failures()
    got_request_exception.connect(failures)
    client = Client(raise_request_exception=False)
    client.failures = failures
    yield client
    got_request_exception.disconnect(failures)


def assert_no_server_error(client, response, what) -> None:
    errors, client.failures.errors = client.failures.errors, []
    assert response.status_code < 500, f"{what} -> {response.status_code}: {errors}"
