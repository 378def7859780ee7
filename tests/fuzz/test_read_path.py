"""The read path as a WSGI server calls it, with odd methods, paths, query strings and
headers (values are latin-1 text in a WSGI environ, so they stand for any bytes): stored
pages are answered, the rest falls through to Django, and nothing is a server error."""

import io

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import given
from hypothesis import strategies as st

from gazette.publishing.readpath import ReadPath
from gazette.publishing.store import PageStore

from .conftest import fuzz_settings
from .strategies import byte_text, header_value

pytestmark = pytest.mark.django_db

PATHS = st.one_of(
    byte_text,
    st.sampled_from(["/", "/stored/", "/stored", "//stored/", "/ru/", "/search/", "/%2e%2e/"]),
    st.builds(lambda tail: "/stored/" + tail, byte_text),
)
HEADER_NAMES = [
    "HTTP_ACCEPT_ENCODING",
    "HTTP_IF_NONE_MATCH",
    "HTTP_IF_MODIFIED_SINCE",
    "HTTP_COOKIE",
    "HTTP_HOST",
    "HTTP_X_FORWARDED_PROTO",
    "HTTP_ACCEPT_LANGUAGE",
]


@pytest.fixture
def read_path(newsroom, settings, tmp_path):
    settings.GAZETTE_SEARCH_PER_CLIENT = settings.GAZETTE_SEARCH_GLOBAL = 10**9
    store = PageStore(tmp_path)
    store.write("/stored/", b"<!doctype html><title>stored</title>")
    # As Django's test client does: a request must not close the test's transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield ReadPath(WSGIHandler(), store=store)
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@fuzz_settings
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "OPTIONS", "PUT", "G\x00T", ""]),
    path=PATHS,
    query=st.one_of(byte_text, header_value),
    headers=st.dictionaries(st.sampled_from(HEADER_NAMES), header_value, max_size=4),
)
def test_odd_requests_never_answer_a_server_error(read_path, method, path, query, headers):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "HTTP_HOST": "testserver",
        **headers,
    }
    statuses = []
    body = read_path(environ, lambda status, headers, exc_info=None: statuses.append(status))
    b"".join(body)
    if hasattr(body, "close"):
        body.close()
    (status,) = statuses
    assert int(status.split()[0]) < 500, (method, path[:80], query[:80], list(headers), status)


def test_a_stored_page_is_answered_without_django(read_path):
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/stored/",
        "QUERY_STRING": "q=\x00\xff",
        "wsgi.input": io.BytesIO(b""),
    }
    statuses = []
    body = read_path(environ, lambda status, headers, exc_info=None: statuses.append(status))
    assert statuses == ["200 OK"] and b"stored" in b"".join(body)
