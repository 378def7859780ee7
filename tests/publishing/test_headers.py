"""A production-mode instance (`gazette serve`, GAZETTE_ENV=production) answers stored pages,
Django's own pages and the admin with every security header; HSTS is left out on onion
hosts, which are not redirected to HTTPS either; and the deployment checks pass."""

import http.client
import re
import signal
import subprocess
import sys
import time

import pytest
from django.conf import settings

from gazette.newsroom.blocks import PLAYERS, player_url
from gazette.publishing.building import build_site
from gazette.publishing.headers import (
    ADMIN_CSP,
    EMBED_FRAME_ORIGINS,
    PERMISSIONS_POLICY,
    READER_CSP,
    is_onion_host,
)
from tests.newsletters.conftest import make_newsletter
from tests.test_configuration import PRODUCTION
from tests.workers import ROOT, free_port, gazette_env

HOST = "lantern.example"
ONION = "l" * 56 + ".onion"
ARTICLE = "/news/assembly-passes-media-law/"
HSTS = "max-age=31536000; includeSubDomains"


def production_env(tmp_path) -> dict:
    env = gazette_env()
    env.update(
        PRODUCTION,
        GAZETTE_ENV="production",
        ALLOWED_HOSTS=f"{HOST},{ONION}",
        GAZETTE_BASE_URL=f"https://{HOST}",
        GAZETTE_STATIC_ROOT=str(tmp_path / "static"),
        GAZETTE_STORE_DIR=str(settings.GAZETTE_STORE_DIR),
    )
    # What the test run sets for itself, a deployment never has.
    for name in ("GAZETTE_SUPPORT_TEST_PROVIDER", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    return env


def request(port: int, path: str, *, host: str = HOST, https: bool = True):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    headers = {"Host": host}
    if https:  # as the TLS-terminating proxy in front of `gazette serve` says
        headers["X-Forwarded-Proto"] = "https"
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read()
    finally:
        connection.close()


@pytest.fixture
def production_server(committed_newsroom, tmp_path):
    make_newsletter()  # so that /newsletters/ shows the signup form
    build_site()
    env = production_env(tmp_path)
    # Production stores static files under hashed names: Django's pages need the manifest.
    collected = subprocess.run(
        [sys.executable, "-m", "gazette", "collectstatic", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gazette", "serve", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[0]
            try:
                request(port, "/robots.txt")
                break
            except OSError:
                assert time.monotonic() < deadline, "gazette serve did not start"
                time.sleep(0.2)
        yield port
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.communicate()


def assert_security_headers(headers, *, csp: str, frame_options: str, hsts: bool) -> None:
    assert headers.get_all("Content-Security-Policy") == [csp]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Permissions-Policy"] == PERMISSIONS_POLICY
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == frame_options
    if hsts:
        assert headers.get_all("Strict-Transport-Security") == [HSTS]
    else:
        assert "Strict-Transport-Security" not in headers


def test_every_header_on_stored_django_and_admin_pages(production_server):
    port = production_server
    status, headers, body = request(port, ARTICLE)
    assert status == 200 and b"Assembly passes media law" in body
    assert "ETag" in headers  # answered by the read path, from the store
    assert_security_headers(headers, csp=READER_CSP, frame_options="DENY", hsts=True)
    assert "Set-Cookie" not in headers

    status, headers, body = request(port, "/newsletters/")  # the signup form: Django's
    assert status == 200 and b'action="/newsletters/signup/"' in body
    assert "ETag" not in headers
    assert_security_headers(headers, csp=READER_CSP, frame_options="DENY", hsts=True)
    assert "Set-Cookie" not in headers

    status, headers, body = request(port, f"/{settings.WAGTAILADMIN_PATH}/login/")
    assert status == 200 and b"csrfmiddlewaretoken" in body
    # The admin previews our own pages in a frame: same origin only, never another site.
    assert_security_headers(headers, csp=ADMIN_CSP, frame_options="SAMEORIGIN", hsts=True)
    assert "frame-ancestors 'self'" in ADMIN_CSP

    # Django sends plain HTTP on the primary host to HTTPS (stored pages are the proxy's to
    # redirect: deploy/README.md, "TLS").
    status, headers, _ = request(port, "/newsletters/?x=1", https=False)
    assert status == 301 and headers["Location"] == f"https://{HOST}/newsletters/?x=1"


def test_onion_hosts_get_no_hsts_and_no_redirect(production_server):
    port = production_server
    for https in (False, True):
        for path in (ARTICLE, "/newsletters/"):
            status, headers, _ = request(port, path, host=ONION, https=https)
            assert status == 200, (path, https)
            assert_security_headers(headers, csp=READER_CSP, frame_options="DENY", hsts=False)


def test_the_reader_policy_is_strict():
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (item.strip() for item in READER_CSP.split(";"))
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe" not in READER_CSP and "*" not in READER_CSP
    # The one other origin is a frame source, for the video players loaded on a click, and
    # exactly the players the embed block makes.
    others = sorted(set(re.findall(r"https://[^\s;]+", READER_CSP)))
    assert others == sorted(EMBED_FRAME_ORIGINS)
    assert directives["frame-src"] == " ".join(EMBED_FRAME_ORIGINS)
    examples = {"YouTube": "https://youtu.be/dQw4w9WgXcQ", "Vimeo": "https://vimeo.com/76979871"}
    assert set(examples) == set(PLAYERS)
    for url in examples.values():
        assert player_url(url).startswith(EMBED_FRAME_ORIGINS)


def test_onion_host_names():
    assert is_onion_host(ONION) and is_onion_host(ONION.upper() + ":80")
    assert is_onion_host(ONION + ".")
    assert not is_onion_host(HOST) and not is_onion_host("onion.example")
    assert not is_onion_host("[::1]:8000") and not is_onion_host("")


def test_the_nginx_recipe_sends_the_same_policy():
    template = (ROOT / "deploy" / "nginx-site.conf.template").read_text()
    assert f'add_header Content-Security-Policy "{READER_CSP}";' in template
    assert f'add_header Permissions-Policy "{PERMISSIONS_POLICY}";' in template
    assert f'"~^https:"               "{HSTS}";' in template
    assert "add_header Strict-Transport-Security $gazette_hsts;" in template


def test_the_deployment_checks_are_clean_and_every_silenced_one_has_a_reason(tmp_path):
    env = production_env(tmp_path)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path}/db.sqlite3"
    result = subprocess.run(
        [sys.executable, "-m", "gazette", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (2 silenced)." in result.stdout
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "gazette",
            "shell",
            "-c",
            "from django.conf import settings; print(*settings.SILENCED_SYSTEM_CHECKS)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    silenced = shown.stdout.strip().splitlines()[-1].split()
    assert sorted(silenced) == ["security.W008", "security.W021"]
    comments = [
        line for line in (ROOT / "gazette" / "settings.py").read_text().splitlines() if "#" in line
    ]
    for check in silenced:
        assert any(check in line.partition("#")[2] for line in comments), check
