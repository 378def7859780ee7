import gzip

import brotli
import pytest

from gazette.publishing.store import PageStore, UnsafePath, content_type_for


def test_write_keeps_compressed_copies_and_skips_identical_bytes(tmp_path):
    store = PageStore(tmp_path)
    body = "<!doctype html><title>Новости</title>".encode() * 50
    assert store.write("/news/", body) is True
    file = tmp_path / "news" / "index.html"
    assert file.read_bytes() == body
    assert gzip.decompress((tmp_path / "news" / "index.html.gz").read_bytes()) == body
    assert brotli.decompress((tmp_path / "news" / "index.html.br").read_bytes()) == body
    mtime = file.stat().st_mtime_ns
    assert store.write("/news/", body) is False  # unchanged: not rewritten
    assert file.stat().st_mtime_ns == mtime
    assert store.write("/news/", body + b"!") is True
    assert store.read("/news/") == body + b"!"


def test_paths_and_delete(tmp_path):
    store = PageStore(tmp_path)
    for path in ["/", "/news/", "/news/a-story/", "/rss.xml", "/ru/"]:
        store.write(path, b"x")
    assert sorted(store.paths()) == ["/", "/news/", "/news/a-story/", "/rss.xml", "/ru/"]
    assert store.delete("/news/a-story/") is True
    assert store.delete("/news/a-story/") is False
    assert not (tmp_path / "news" / "a-story" / "index.html.gz").exists()
    assert "/news/a-story/" not in set(store.paths())


@pytest.mark.parametrize(
    "path",
    ["news/", "/../etc/passwd", "/news/../../x/", "/.git/config", "/a\\b/", "/a//b/", "/x\x00/"],
)
def test_paths_that_could_leave_the_store_are_refused(tmp_path, path):
    with pytest.raises(UnsafePath):
        PageStore(tmp_path).file_for(path)


def test_content_types(tmp_path):
    assert content_type_for(tmp_path / "index.html") == "text/html; charset=utf-8"
    assert content_type_for(tmp_path / "rss.xml") == "application/rss+xml; charset=utf-8"
    assert content_type_for(tmp_path / "atom.xml") == "application/atom+xml; charset=utf-8"
    assert content_type_for(tmp_path / "feed.json") == "application/feed+json"
    assert content_type_for(tmp_path / "sitemap.xml") == "application/xml; charset=utf-8"
    assert content_type_for(tmp_path / "robots.txt") == "text/plain; charset=utf-8"
