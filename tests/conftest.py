import os

import pytest
from django.core.cache import cache
from django.db import connections

from tests.factories import make_newsroom

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def newsroom(db):
    return make_newsroom()


@pytest.fixture(scope="session", autouse=True)
def _keep_serialized_state(django_db_setup):
    """Serialized rollback restores what migrations created after a transactional test's
    flush, from an attribute on the connection object. Playwright's sync API runs in a
    greenlet and Django's connections are context-local, so that object can be replaced
    mid-run; keeping the state on the connection class keeps it for every connection."""
    for alias in connections:
        state = getattr(connections[alias], "_test_serialized_contents", None)
        if state is not None:
            type(connections[alias])._test_serialized_contents = state


@pytest.fixture(scope="session", autouse=True)
def _audit_log_flushable():
    """The audit table refuses DELETE (gazette/accounts/migrations/0002); Django's flush
    after a transactional test deletes every row on SQLite, so it runs unsealed."""
    from django.db.backends.base.operations import BaseDatabaseOperations

    from gazette.accounts.audit import unsealed

    original = BaseDatabaseOperations.execute_sql_flush

    def execute_sql_flush(self, sql_list):
        with unsealed():
            return original(self, sql_list)

    BaseDatabaseOperations.execute_sql_flush = execute_sql_flush
    yield
    BaseDatabaseOperations.execute_sql_flush = original


@pytest.fixture
def committed_newsroom(django_db_serialized_rollback, transactional_db):
    """The newsroom, committed, for tests where another thread or process reads the database
    (the live server, a worker)."""
    return make_newsroom()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: Wagtail keeps image renditions and site root
    paths there by id, and ids come round again once a test's rows are rolled back."""
    cache.clear()


def pytest_collection_modifyitems(items):
    """Every transactional test must roll back by serialization: a plain flush recreates
    the content types under new ids, and the next serialized test's restore then fails on
    them (an error far from its cause, and only in some orders)."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        if (
            marker
            and marker.kwargs.get("transaction")
            and not marker.kwargs.get("serialized_rollback")
        ):
            raise pytest.UsageError(
                f"{item.nodeid}: use @pytest.mark.django_db(transaction=True, "
                "serialized_rollback=True), or the committed_newsroom fixture."
            )


@pytest.fixture(autouse=True)
def _language_reset():
    """A request for a /ru/ page leaves Russian active in this thread; the next test must
    start in the default language, whatever ran before it."""
    yield
    from django.utils import translation

    translation.activate("en")
