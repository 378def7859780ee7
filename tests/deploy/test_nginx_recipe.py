"""The nginx recipe (deploy/): nginx answers readers from the page store exactly as the read
path would, and passes everything else to `gazette serve`.

Needs Debian's nginx (/usr/sbin/nginx, and libnginx-mod-http-brotli-static for brotli);
skipped without it unless GAZETTE_REQUIRE_NGINX=1.
"""

import http.client
import importlib.util
import os
import re
import signal
import subprocess
import time
from email.utils import formatdate
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings

from gazette.publishing.building import build_site
from gazette.publishing.headers import reader_headers
from gazette.publishing.readpath import CACHE_CONTROL
from gazette.publishing.store import PageStore
from tests.workers import ROOT, free_port, start_gazette

NGINX = Path("/usr/sbin/nginx")
ONION = "http://" + "l" * 56 + ".onion"
# Headers that differ between any two servers, or that only one of them sends.
TRANSPORT = {"date", "server", "connection", "keep-alive", "accept-ranges"}
# nginx's validators are those of the file it sends (the .br or .gz copy, or the page).
VALIDATORS = {"etag", "last-modified"}
SUFFIXES = {"br": ".br", "gzip": ".gz", "identity": ""}


def load_renderer():
    spec = importlib.util.spec_from_file_location("render_nginx", ROOT / "deploy/render_nginx.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


render_nginx = load_renderer()


class Server:
    def __init__(self, port: int):
        self.port = port

    def request(self, path: str, method: str = "GET", body: bytes | None = None, **headers):
        headers = {name.replace("_", "-"): value for name, value in headers.items()}
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, quote(path), body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()


def wait_for(server: Server, process: subprocess.Popen, what: str, log=None) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            output = process.communicate()[0]
            pytest.fail(f"{what} exited ({process.returncode}): {output}\n{log and log()}")
        try:
            server.request("/robots.txt")
            return
        except OSError:
            assert time.monotonic() < deadline, f"{what} did not start"
            time.sleep(0.1)


def stop(process: subprocess.Popen, sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()


@pytest.fixture
def nginx_binary() -> Path:
    if not NGINX.exists():
        if os.environ.get("GAZETTE_REQUIRE_NGINX") == "1":
            pytest.fail(f"GAZETTE_REQUIRE_NGINX=1 but {NGINX} is missing (apt-get install nginx)")
        pytest.skip(f"{NGINX} is not installed")
    return NGINX


@pytest.fixture
def servers(committed_newsroom, nginx_binary, tmp_path):
    """(nginx with the recipe, `gazette serve` behind it), on the committed test newsroom."""
    build_site()
    static, media = tmp_path / "static", tmp_path / "media"
    (static / "newsroom").mkdir(parents=True)
    (static / "newsroom" / "probe.css").write_text("body { color: black; }\n")
    (media / "images").mkdir(parents=True)
    (media / "images" / "probe.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (media / "documents").mkdir()
    (media / "documents" / "evil.html").write_text("<script>alert(document.cookie)</script>")

    granian = Server(free_port())
    nginx = Server(free_port())
    prefix = tmp_path / "nginx"
    conf = render_nginx.write_standalone(
        prefix,
        workers=1,
        store_dir=settings.GAZETTE_STORE_DIR,
        static_root=static,
        media_root=media,
        upstream_port=granian.port,
        listen=f"127.0.0.1:{nginx.port}",
        admin_path=settings.WAGTAILADMIN_PATH,
        onion_origin=ONION,
    )
    error_log = prefix / "error.log"
    processes = []
    try:
        processes.append(
            (start_gazette("serve", "--port", str(granian.port), "--workers", "1"), signal.SIGINT)
        )
        wait_for(granian, processes[-1][0], "gazette serve")
        processes.append(
            (
                subprocess.Popen(
                    [nginx_binary, "-p", prefix, "-c", conf, "-e", error_log],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
                signal.SIGTERM,
            )
        )
        wait_for(nginx, processes[-1][0], "nginx", log=error_log.read_text)
        yield nginx, granian
        problems = [
            line
            for line in error_log.read_text().splitlines()
            if any(level in line for level in ("[alert]", "[crit]", "[emerg]"))
        ]
        assert not problems, problems
    finally:
        for process, sig in reversed(processes):
            stop(process, sig)


def encodings() -> list[str]:
    with_brotli = render_nginx.BROTLI_MODULE.exists()
    return ["br", "gzip", "identity"] if with_brotli else ["gzip", "identity"]


def comparable(headers) -> dict:
    return {
        name.lower(): headers.get_all(name)
        for name in set(headers.keys())
        if name.lower() not in TRANSPORT | VALIDATORS | {"onion-location"}
    }


def nginx_validators(file: Path) -> tuple[str, str]:
    """nginx's own ETag (the sent file's mtime and size, in hex) and Last-Modified."""
    stat = file.stat()
    return f'"{int(stat.st_mtime):x}-{stat.st_size:x}"', formatdate(stat.st_mtime, usegmt=True)


def test_stored_pages_come_from_nginx_as_the_read_path_answers_them(servers):
    nginx, granian = servers
    store = PageStore()
    paths = list(store.paths())
    assert "/" in paths and "/news/assembly-passes-media-law/" in paths and "/rss.xml" in paths
    for path in paths:
        file = store.file_for(path)
        for coding in encodings():
            status, headers, body = nginx.request(path, Accept_Encoding=coding)
            read_status, read_headers, read_body = granian.request(path, Accept_Encoding=coding)
            context = f"{path} ({coding})"
            assert status == read_status == 200 and body == read_body, context
            # Same headers as the read path sends, values and all, and no others.
            assert comparable(headers) == comparable(read_headers), context
            # Sent from disk by nginx, not by granian: the validators are nginx's, of that file.
            sent = file.with_name(file.name + SUFFIXES[coding])
            assert (headers["ETag"], headers["Last-Modified"]) == nginx_validators(sent), context
            assert "Set-Cookie" not in headers
            onion = headers.get("Onion-Location")
            if headers["Content-Type"].startswith("text/html"):
                assert onion == ONION + path, context
            else:
                assert onion is None, context

    article = "/news/assembly-passes-media-law/"
    status, headers, body = nginx.request(article, Accept_Encoding="gzip, deflate, br")
    assert status == 200 and headers["Content-Encoding"] == encodings()[0]
    assert headers["Cache-Control"] == CACHE_CONTROL
    assert headers.get_all("Vary") == ["Accept-Encoding"]
    for name, value in reader_headers():
        assert headers.get_all(name) == [value], name

    # Validators: each encoding's own ETag gives a 304 with the caching headers; another's not.
    etag = headers["ETag"]
    status, not_modified, body = nginx.request(
        article, Accept_Encoding="gzip, deflate, br", If_None_Match=etag
    )
    assert status == 304 and body == b"" and not_modified["ETag"] == etag
    assert not_modified["Cache-Control"] == CACHE_CONTROL
    assert not_modified["Content-Security-Policy"] == headers["Content-Security-Policy"]
    assert nginx.request(article, Accept_Encoding="identity", If_None_Match=etag)[0] == 200
    since = headers["Last-Modified"]
    assert nginx.request(article, If_Modified_Since=since)[0] == 304
    status, head, body = nginx.request(article, method="HEAD", Accept_Encoding="gzip")
    assert status == 200 and body == b"" and head["Content-Encoding"] == "gzip"


def test_everything_else_is_passed_to_gazette_serve(servers):
    nginx, _ = servers
    article = "/news/assembly-passes-media-law/"

    # The admin is Django's: a login form with a CSRF token.
    status, headers, body = nginx.request(f"/{settings.WAGTAILADMIN_PATH}/login/")
    assert status == 200 and b"csrfmiddlewaretoken" in body
    assert "'unsafe-inline'" in headers["Content-Security-Policy"]  # the admin's own policy
    status, headers, _ = nginx.request(f"/{settings.WAGTAILADMIN_PATH}")
    assert status == 301 and headers["Location"] == f"/{settings.WAGTAILADMIN_PATH}/"

    # Staff with a session get the page from Django, which deletes a malformed session
    # cookie (keys are at least 8 characters); nginx would send its ETag and no cookie.
    status, headers, body = nginx.request(article, Cookie="theme=dark; sessionid=x")
    assert status == 200 and b"Assembly passes media law" in body
    assert headers["Set-Cookie"].startswith('sessionid=""')
    assert "ETag" not in headers

    # Forms post to Django, which checks the CSRF token (nginx would answer 405).
    status, _, body = nginx.request(article, method="POST", body=b"x=1")
    assert status == 403 and b"CSRF" in body

    # Not in the store: Django redirects to the slash form, and 404s what it does not have
    # (a store directory without a page is not a forbidden directory listing).
    status, headers, _ = nginx.request(article.rstrip("/"))
    assert status == 301 and headers["Location"] == article
    for missing in ["/tags/", "/no-such-page/"]:
        status, _, body = nginx.request(missing)
        assert status == 404 and b"nginx" not in body, missing

    # Files being written into the store (dot files) are never served.
    dot = Path(settings.GAZETTE_STORE_DIR) / ".tmp-half-written"
    dot.write_text("half")
    try:
        assert nginx.request("/.tmp-half-written")[0] == 404
    finally:
        dot.unlink()


def test_static_files_and_images_come_from_disk_but_documents_do_not(servers):
    nginx, _ = servers
    status, headers, body = nginx.request("/static/newsroom/probe.css")
    assert status == 200 and body == b"body { color: black; }\n"
    assert headers["Cache-Control"] == "max-age=86400"
    assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, _ = nginx.request("/media/images/probe.jpg")
    assert status == 200 and headers["Content-Type"] == "image/jpeg"
    # Uploaded documents must never be served as pages of our origin.
    status, _, body = nginx.request("/media/documents/evil.html")
    assert status == 404 and b"<script>" not in body


def test_rendering_leaves_out_what_is_not_configured(tmp_path):
    site = {"store_dir": tmp_path, "static_root": tmp_path, "media_root": tmp_path}
    text = render_nginx.render_site(upstream_port=8001, listen=80, brotli=False, **site)
    active = [line.strip() for line in text.splitlines() if not line.strip().startswith("#")]
    assert not any(line.startswith(("brotli_static", "add_header Onion")) for line in active)
    assert not [line for line in active if "${" in line.replace("${uri}", "")]
    with pytest.raises(ValueError):
        render_nginx.render_site(upstream_port=8001, listen="80; evil", **site)
    with pytest.raises(ValueError):
        render_nginx.render_site(upstream_port=8001, listen=80, onion_origin="http://x", **site)


def test_rendered_with_envsubst_and_no_onion_origin_nginx_sends_no_onion_location(
    nginx_binary, tmp_path
):
    """deploy/README.md's envsubst way leaves the add_header line in: the value must be empty."""
    store = tmp_path / "store"
    (store / "news" / "x").mkdir(parents=True)
    (store / "news" / "x" / "index.html").write_text("<p>x</p>\n")
    (store / "robots.txt").write_text("User-agent: *\n")
    nginx = Server(free_port())
    values = {
        "GAZETTE_STORE_DIR": store,
        "GAZETTE_STATIC_ROOT": tmp_path,
        "GAZETTE_MEDIA_ROOT": tmp_path,
        "GAZETTE_UPSTREAM_PORT": free_port(),
        "GAZETTE_ADMIN_PATH": "admin",
        "GAZETTE_ONION_ORIGIN": "",
        "NGINX_LISTEN": f"127.0.0.1:{nginx.port}",
        "NGINX_SERVER_NAME": "_",
    }
    text = render_nginx.TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("${" + name + "}", str(value))
    assert "add_header Onion-Location" in text and "# add_header Onion-Location" not in text
    brotli = render_nginx.BROTLI_MODULE.exists()
    if not brotli:
        text = re.sub(r"(?m)^(\s*)(brotli_static\b)", r"\1# \2", text)
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    site_conf = prefix / "gazette.conf"
    site_conf.write_text(text)
    conf = prefix / "nginx.conf"
    conf.write_text(
        render_nginx.standalone_config(prefix, site_conf=site_conf, workers=1, brotli=brotli)
    )
    process = subprocess.Popen(
        [nginx_binary, "-p", prefix, "-c", conf, "-e", prefix / "error.log"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(nginx, process, "nginx", log=(prefix / "error.log").read_text)
        status, headers, body = nginx.request("/news/x/")
        assert status == 200 and body == b"<p>x</p>\n"
        assert headers["Content-Type"].startswith("text/html")
        assert "Onion-Location" not in headers
    finally:
        stop(process, signal.SIGTERM)
