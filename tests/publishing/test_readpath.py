"""The read path answers stored pages without Django and passes everything else through."""

import gzip
import os
import time
from email.utils import formatdate
from io import BytesIO

import brotli
import pytest

from gazette.publishing.readpath import ReadPath, accepted_coding
from gazette.publishing.store import PageStore

PAGE = b"<!doctype html><html lang=en><title>Stored</title><p>From the store.</p></html>" * 20


def django_stand_in(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-From", "django")])
    return [b"from django"]


def call(app, path="/news/", method="GET", **headers):
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(),
        **{"HTTP_" + key.upper(): value for key, value in headers.items()},
    }
    captured = {}

    def start_response(status, headers):
        captured["status"], captured["headers"] = status, dict(headers)

    body = b"".join(app(environ, start_response))
    return captured["status"], captured["headers"], body


@pytest.fixture
def app(tmp_path):
    store = PageStore(tmp_path)
    store.write("/news/", PAGE)
    return ReadPath(django_stand_in, store=store, cache_bytes=1 << 20, check_interval=0)


def test_stored_page_is_answered_with_caching_and_security_headers(app):
    status, headers, body = call(app)
    assert status == "200 OK" and body == PAGE
    assert "X-From" not in headers
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == str(len(PAGE))
    assert "s-maxage=" in headers["Cache-Control"]
    assert "stale-while-revalidate=" in headers["Cache-Control"]
    assert "stale-if-error=" in headers["Cache-Control"]
    assert headers["Vary"] == "Accept-Encoding"
    assert headers["ETag"].startswith('"') and headers["Last-Modified"].endswith("GMT")
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in headers


def test_encodings_follow_accept_encoding(app):
    _, headers, body = call(app, accept_encoding="gzip, deflate, br")
    assert headers["Content-Encoding"] == "br" and brotli.decompress(body) == PAGE
    _, headers, body = call(app, accept_encoding="gzip")
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == PAGE
    _, headers, body = call(app, accept_encoding="br;q=0, gzip;q=0.5")
    assert headers["Content-Encoding"] == "gzip"
    for identity in ["identity", "", "br;q=0, gzip;q=0"]:
        _, headers, body = call(app, accept_encoding=identity)
        assert "Content-Encoding" not in headers and body == PAGE, identity


def test_each_encoding_has_its_own_etag_and_304s(app):
    etags = {
        coding: call(app, accept_encoding=coding)[1]["ETag"]
        for coding in ["br", "gzip", "identity"]
    }
    assert len(set(etags.values())) == 3
    status, headers, body = call(app, accept_encoding="br", if_none_match=etags["br"])
    assert status == "304 Not Modified" and body == b""
    assert headers["ETag"] == etags["br"]
    status, _, _ = call(app, accept_encoding="br", if_none_match=etags["gzip"])
    assert status == "200 OK"
    status, _, _ = call(app, if_none_match=f"W/{etags['identity']}")
    assert status == "304 Not Modified"
    last_modified = call(app)[1]["Last-Modified"]
    assert call(app, if_modified_since=last_modified)[0] == "304 Not Modified"
    assert call(app, if_modified_since=formatdate(0, usegmt=True))[0] == "200 OK"
    assert call(app, if_modified_since="not a date")[0] == "200 OK"


def test_head_has_headers_and_no_body(app):
    status, headers, body = call(app, method="HEAD")
    assert status == "200 OK" and body == b"" and headers["Content-Length"] == str(len(PAGE))


@pytest.mark.parametrize(
    ("path", "method", "headers"),
    [
        ("/news/", "POST", {}),
        ("/news/", "GET", {"cookie": "sessionid=abc"}),  # signed-in staff see Django's page
        ("/not-stored/", "GET", {}),
        ("/news/../../etc/passwd", "GET", {}),
        ("/admin/", "GET", {}),
    ],
)
def test_everything_else_falls_through_to_django(app, path, method, headers):
    status, response_headers, body = call(app, path, method, **headers)
    assert response_headers.get("X-From") == "django" and body == b"from django"


def test_a_new_version_is_served_at_once_and_a_removed_page_falls_through(app, tmp_path):
    assert call(app)[2] == PAGE
    app.store.write("/news/", b"<p>Updated</p>")
    file = tmp_path / "news" / "index.html"
    later = time.time() + 5
    os.utime(file, (later, later))  # a filesystem with coarse timestamps
    assert call(app)[2] == b"<p>Updated</p>"
    app.store.delete("/news/")
    assert call(app)[2] == b"from django"


def test_cache_stays_within_its_budget(tmp_path):
    store = PageStore(tmp_path)
    app = ReadPath(django_stand_in, store=store, cache_bytes=3 * len(PAGE), check_interval=0)
    for number in range(10):
        store.write(f"/a{number}/", PAGE)
        assert call(app, f"/a{number}/")[2] == PAGE
    assert app.cached_bytes <= 3 * len(PAGE)
    assert 1 <= len(app.cache) < 10


def test_accepted_coding_parsing():
    available = {"identity": b"", "gzip": b"", "br": b""}
    assert accepted_coding("*", available) == "br"
    assert accepted_coding("*;q=0", available) == "identity"
    assert accepted_coding("gzip;q=abc", available) == "identity"
    assert accepted_coding("BR", available) == "br"
    assert accepted_coding("br", {"identity": b""}) == "identity"


def test_pages_name_the_onion_service_when_one_is_listed(app):
    assert "Onion-Location" not in call(app)[1]
    onion = "http://lanternexampleonionaddressxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.onion"
    app.store.write(
        "/mirrors.json",
        b'{"mirrors": [{"address": "https://m.example/", "kind": "web"},'
        + b'{"address": "'
        + onion.encode()
        + b'/", "kind": "onion"}]}',
    )
    app.onion_checked = -1e9  # the next request looks again (it does so once a second)
    assert call(app)[1]["Onion-Location"] == onion + "/news/"
    assert "Onion-Location" not in call(app, "/mirrors.json")[1]  # pages only


def test_a_cached_page_is_looked_at_again_only_after_the_check_interval(tmp_path):
    store = PageStore(tmp_path)
    store.write("/news/", PAGE)
    app = ReadPath(django_stand_in, store=store, check_interval=60)
    assert call(app)[2] == PAGE
    store.delete("/news/")
    assert call(app)[2] == PAGE  # within the interval: the cached copy, no disk access
    app.cache["/news/"].checked -= 61  # the interval passes
    assert call(app)[2] == b"from django"
