"""`gazette mirror push` against a real directory and a real S3 server (moto) on loopback."""

import hashlib
import json
import socket
import uuid
from io import StringIO

import boto3
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from moto.server import ThreadedMotoServer

from gazette.publishing.mirroring import (
    MANIFEST,
    DirectoryTarget,
    MirrorError,
    collect_sources,
    push,
)
from gazette.publishing.readpath import CACHE_CONTROL
from gazette.publishing.store import PageStore

PAGES = {
    "/": b"<!doctype html><title>Home</title><link rel=stylesheet href=static/newsroom/site.css>",
    "/news/": b"<!doctype html><title>News</title>",
    "/news/a-story/": b"<!doctype html><title>A story</title><img src=/media/images/p.jpg>",
    "/rss.xml": b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>",
}
STORE_FILES = {  # what a directory mirror holds from the store: each file and its two copies
    f"{name}{suffix}"
    for name in ("index.html", "news/index.html", "news/a-story/index.html", "rss.xml")
    for suffix in ("", ".gz", ".br")
}
ASSETS = {"static/newsroom/site.css", "static/newsroom/favicon.svg", "media/images/p.jpg"}


@pytest.fixture
def site(settings, tmp_path):
    """A small site: a page store, collected static files and media with renditions."""
    settings.GAZETTE_STORE_DIR = tmp_path / "store"
    settings.STATIC_ROOT = tmp_path / "static"
    settings.MEDIA_ROOT = tmp_path / "media"
    store = PageStore(settings.GAZETTE_STORE_DIR)
    for path, body in PAGES.items():
        store.write(path, body)
    (settings.STATIC_ROOT / "newsroom").mkdir(parents=True)
    (settings.STATIC_ROOT / "newsroom" / "site.css").write_text("body { color: #111 }")
    (settings.STATIC_ROOT / "newsroom" / "favicon.svg").write_text("<svg/>")
    (settings.STATIC_ROOT / ".tmp-half-written").write_text("x")
    (settings.MEDIA_ROOT / "images").mkdir(parents=True)
    (settings.MEDIA_ROOT / "images" / "p.jpg").write_bytes(b"\xff\xd8rendition")
    # Originals can carry camera metadata: they are not public and never mirrored.
    (settings.MEDIA_ROOT / "original_images").mkdir()
    (settings.MEDIA_ROOT / "original_images" / "p.jpg").write_bytes(b"\xff\xd8original")
    return store


@pytest.fixture
def mirror_dir(settings, tmp_path):
    root = tmp_path / "mirror"
    root.mkdir()
    settings.GAZETTE_MIRROR_TARGETS = f"local={root.as_uri()}"
    return root


def run_push(*args) -> str:
    out = StringIO()
    call_command("mirror", "push", *args, stdout=out, stderr=out)
    return out.getvalue()


def files_in(root) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_directory_mirror_sends_only_what_changed(site, mirror_dir):
    output = run_push()
    everything = STORE_FILES | ASSETS
    assert f"uploaded {len(everything)}, unchanged 0, deleted 0" in output
    assert files_in(mirror_dir) == everything | {MANIFEST}
    assert (mirror_dir / "news" / "a-story" / "index.html").read_bytes() == PAGES["/news/a-story/"]
    assert (mirror_dir / "index.html.br").read_bytes() == (site.root / "index.html.br").read_bytes()
    manifest = json.loads((mirror_dir / MANIFEST).read_text())["files"]
    assert manifest == {name: sha256((mirror_dir / name).read_bytes()) for name in everything}

    assert f"uploaded 0, unchanged {len(everything)}, deleted 0" in run_push("local")

    site.write("/news/a-story/", b"<!doctype html><title>A story, corrected</title>")
    output = run_push("local")
    assert f"uploaded 3, unchanged {len(everything) - 3}, deleted 0" in output  # page + .gz + .br
    assert b"corrected" in (mirror_dir / "news" / "a-story" / "index.html").read_bytes()

    site.delete("/news/a-story/")
    assert f"uploaded 0, unchanged {len(everything) - 3}, deleted 3" in run_push()
    assert not (mirror_dir / "news" / "a-story").exists()  # no empty directory left behind
    assert (mirror_dir / "news" / "index.html").exists()
    manifest = json.loads((mirror_dir / MANIFEST).read_text())["files"]
    assert set(manifest) == files_in(mirror_dir) - {MANIFEST}


def test_push_order_keeps_every_page_whole(site, settings, mirror_dir):
    """New assets before the pages that use them, compressed copies before their page, the
    manifest before any delete: a reader mid-push never gets a page without its parts."""
    calls = []

    class Recording(DirectoryTarget):
        def put(self, source, data, cache_control):
            calls.append(("put", source.key))
            super().put(source, data, cache_control)

        def put_manifest(self, data):
            calls.append(("manifest", ""))
            super().put_manifest(data)

        def delete(self, key):
            calls.append(("delete", key))
            super().delete(key)

    target = Recording(name="local", root=mirror_dir)
    push(target=target, sources=sources(settings))
    keys = [key for action, key in calls if action == "put"]
    assert keys.index("static/newsroom/site.css") < keys.index("index.html")
    assert keys.index("media/images/p.jpg") < keys.index("news/a-story/index.html")
    assert keys.index("index.html.gz") < keys.index("index.html")
    assert calls[-1] == ("manifest", "")

    calls.clear()
    site.delete("/news/")
    site.write("/", b"<!doctype html><title>Home, new</title>")
    summary = push(target=target, sources=sources(settings))
    assert (summary.uploaded, summary.deleted) == (3, 3)
    actions = [action for action, _ in calls]
    assert actions == ["put"] * 3 + ["manifest"] + ["delete"] * 3 + ["manifest"]


def sources(settings):
    return collect_sources(
        store_root=settings.GAZETTE_STORE_DIR,
        static_root=settings.STATIC_ROOT,
        media_root=settings.MEDIA_ROOT,
    )


def test_an_interrupted_push_is_finished_by_the_next(site, settings, mirror_dir):
    class Failing(DirectoryTarget):
        puts = 0

        def put(self, source, data, cache_control):
            Failing.puts += 1
            if Failing.puts == 4:
                raise OSError(28, "No space left on device")
            super().put(source, data, cache_control)

    with pytest.raises(MirrorError, match="local .*No space left on device"):
        push(target=Failing(name="local", root=mirror_dir), sources=sources(settings))
    assert not (mirror_dir / MANIFEST).exists()
    summary = push(target=DirectoryTarget(name="local", root=mirror_dir), sources=sources(settings))
    assert summary.uploaded == len(STORE_FILES | ASSETS)
    assert files_in(mirror_dir) == STORE_FILES | ASSETS | {MANIFEST}


def test_a_page_removed_by_a_rebuild_during_the_push_is_skipped(site, settings, mirror_dir):
    listed = sources(settings)
    site.delete("/news/a-story/")
    summary = push(target=DirectoryTarget(name="local", root=mirror_dir), sources=listed)
    assert summary.uploaded == len(STORE_FILES | ASSETS) - 3
    manifest = json.loads((mirror_dir / MANIFEST).read_text())["files"]
    assert set(manifest) == files_in(mirror_dir) - {MANIFEST}
    assert not (mirror_dir / "news" / "a-story").exists()


def test_dry_run_changes_nothing(site, mirror_dir):
    output = run_push("--dry-run")
    assert "upload /news/a-story/index.html" in output
    assert f"uploaded {len(STORE_FILES | ASSETS)}," in output
    assert files_in(mirror_dir) == set()


def test_a_manifest_cannot_point_outside_the_mirror(site, mirror_dir, tmp_path):
    (tmp_path / "precious").write_text("keep me")
    (mirror_dir / MANIFEST).write_text(json.dumps({"files": {"../precious": "0" * 64}}))
    with pytest.raises(CommandError, match="Could not update mirror"):
        run_push()
    assert (tmp_path / "precious").exists()


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("nope", "is not name=url"),
        ("Local=file:///srv/m", "is not name=url"),
        ("a=file:///srv/a,a=file:///srv/b", "names 'a' twice"),
        ("a=ftp://host/path", "neither file:///absolute/path nor s3://bucket"),
        ("a=s3:///prefix", "neither file:///absolute/path nor s3://bucket"),
        ("a=file://elsewhere/srv", "neither file:///absolute/path nor s3://bucket"),
        ("a=s3://bucket/p?region=x", "no \\? or # is understood"),
        ("", "No mirrors are configured"),
    ],
)
def test_bad_targets_are_refused_with_the_reason(site, settings, value, message):
    settings.GAZETTE_MIRROR_TARGETS = value
    with pytest.raises(CommandError, match=message):
        run_push()


def test_unknown_target_name_and_missing_directory(site, settings, tmp_path):
    settings.GAZETTE_MIRROR_TARGETS = f"local={(tmp_path / 'not-mounted').as_uri()}"
    with pytest.raises(CommandError, match="No mirror named 'other'; configured: local"):
        run_push("other")
    out = StringIO()
    with pytest.raises(CommandError, match="Could not update mirror\\(s\\): local"):
        call_command("mirror", "push", stdout=out, stderr=out)
    assert "not-mounted does not exist; create it" in out.getvalue()


# S3, against moto's server on loopback: real HTTP, real boto3 and botocore.


@pytest.fixture(scope="module")
def s3_server():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_server, settings, monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "mirror-test",
        "AWS_SECRET_ACCESS_KEY": "mirror-test-secret",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.GAZETTE_S3_ENDPOINT_URL = s3_server
    client = boto3.client("s3", endpoint_url=s3_server)
    bucket = f"mirror-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    settings.GAZETTE_MIRROR_TARGETS = f"bucket=s3://{bucket}/lantern"
    return client, bucket


def objects(client, bucket) -> set[str]:
    listing = client.list_objects_v2(Bucket=bucket)
    return {item["Key"].removeprefix("lantern/") for item in listing.get("Contents", [])}


def test_s3_mirror_sends_only_what_changed(site, s3):
    client, bucket = s3
    identity = {name for name in STORE_FILES if not name.endswith((".gz", ".br"))}
    everything = identity | ASSETS
    assert f"uploaded {len(everything)}, unchanged 0, deleted 0" in run_push("bucket")
    assert objects(client, bucket) == everything | {MANIFEST}

    page = client.get_object(Bucket=bucket, Key="lantern/news/a-story/index.html")
    assert page["Body"].read() == PAGES["/news/a-story/"]
    assert page["ContentType"] == "text/html; charset=utf-8"
    assert page["CacheControl"] == CACHE_CONTROL
    assert "ContentEncoding" not in page
    css = client.head_object(Bucket=bucket, Key="lantern/static/newsroom/site.css")
    assert css["ContentType"] == "text/css; charset=utf-8"
    assert css["CacheControl"] == CACHE_CONTROL
    feed = client.head_object(Bucket=bucket, Key="lantern/rss.xml")
    assert feed["ContentType"] == "application/rss+xml; charset=utf-8"
    image = client.head_object(Bucket=bucket, Key="lantern/media/images/p.jpg")
    assert image["ContentType"] == "image/jpeg"

    assert f"uploaded 0, unchanged {len(everything)}, deleted 0" in run_push("bucket")

    site.write("/news/a-story/", b"<!doctype html><title>A story, corrected</title>")
    assert f"uploaded 1, unchanged {len(everything) - 1}, deleted 0" in run_push()
    page = client.get_object(Bucket=bucket, Key="lantern/news/a-story/index.html")
    assert b"corrected" in page["Body"].read()

    site.delete("/news/a-story/")
    assert f"uploaded 0, unchanged {len(everything) - 1}, deleted 1" in run_push()
    assert objects(client, bucket) == everything - {"news/a-story/index.html"} | {MANIFEST}
    manifest = client.get_object(Bucket=bucket, Key=f"lantern/{MANIFEST}")
    files = json.loads(manifest["Body"].read())["files"]
    assert set(files) == everything - {"news/a-story/index.html"}
    assert files["index.html"] == sha256(PAGES["/"])


def test_missing_bucket_is_named(site, s3, settings):
    settings.GAZETTE_MIRROR_TARGETS = "bucket=s3://no-such-bucket-here"
    out = StringIO()
    with pytest.raises(CommandError, match="Could not update mirror"):
        call_command("mirror", "push", stdout=out, stderr=out)
    assert "bucket no-such-bucket-here does not exist" in out.getvalue()


def test_unreachable_s3_fails_clearly_and_other_mirrors_still_update(
    site, s3, settings, mirror_dir
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.GAZETTE_S3_ENDPOINT_URL = f"http://127.0.0.1:{port}"
    settings.GAZETTE_MIRROR_TARGETS = f"bucket=s3://lantern,local={mirror_dir.as_uri()}"
    out = StringIO()
    with pytest.raises(CommandError, match="Could not update mirror\\(s\\): bucket\\."):
        call_command("mirror", "push", stdout=out, stderr=out)
    assert f"cannot reach http://127.0.0.1:{port}" in out.getvalue()
    assert (mirror_dir / "news" / "a-story" / "index.html").exists()
