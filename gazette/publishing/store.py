"""The page store: every public page rendered to a file, with gzip and brotli copies.

Layout: ``<root>/<url path>/index.html`` for pages, the file itself for feeds and the like
(``/rss.xml`` -> ``<root>/rss.xml``); ``.gz`` and ``.br`` files sit beside each. Every write
goes to a temporary file that is renamed over the old one, so a reader never gets a half
written page (rename is atomic on POSIX filesystems). Identical bytes are not rewritten, so
ETag, Last-Modified and `mirror push` see only real changes.

Several web servers share one store through a shared volume (NFS, a cloud file share) mounted
at ``GAZETTE_STORE_DIR``, or each keeps its own copy fed by `gazette mirror push`.
"""

import gzip
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote

import brotli
from django.conf import settings

ENCODINGS = {"br": ".br", "gzip": ".gz"}

# What Django's reverse() leaves unquoted in a path: page paths are quoted like this.
URL_SAFE = "!$&'()*+,;=/~:@"


def quoted_path(path_info: str) -> str:
    """A WSGI PATH_INFO (unquoted, its UTF-8 bytes read as latin-1) as links quote it."""
    if path_info.isascii() and "%" not in path_info:
        return path_info
    return quote(path_info.encode("latin-1"), safe=URL_SAFE)


CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".json": "application/json",
    ".txt": "text/plain; charset=utf-8",
}
# Feeds are told apart by name, so that readers' apps recognise them.
NAMED_CONTENT_TYPES = {
    "rss.xml": "application/rss+xml; charset=utf-8",
    "atom.xml": "application/atom+xml; charset=utf-8",
    "feed.json": "application/feed+json",
}


def content_type_for(file: Path) -> str:
    return NAMED_CONTENT_TYPES.get(file.name) or CONTENT_TYPES.get(
        file.suffix, "application/octet-stream"
    )


class UnsafePath(ValueError):
    pass


class PageStore:
    def __init__(self, root: Path | str | None = None):
        self.root = Path(root or settings.GAZETTE_STORE_DIR)

    def file_for(self, url_path: str) -> Path:
        """The file that answers ``url_path`` (as links have it: quoted, '/ru/%D0%BF/'; the
        file's name is unquoted, as nginx looks it up); refuses anything that could leave
        the store."""
        try:
            url_path = unquote(url_path, errors="strict")
        except UnicodeDecodeError as error:
            raise UnsafePath(url_path) from error
        if not url_path.startswith("/") or "\\" in url_path or "\x00" in url_path:
            raise UnsafePath(url_path)
        parts = url_path.strip("/").split("/") if url_path != "/" else []
        if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            raise UnsafePath(url_path)
        if url_path.endswith("/"):
            parts.append("index.html")
        return self.root.joinpath(*parts)

    def read(self, url_path: str) -> bytes | None:
        try:
            return self.file_for(url_path).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None

    def write(self, url_path: str, body: bytes) -> bool:
        """Store ``body`` at ``url_path`` with its compressed copies. False if unchanged."""
        file = self.file_for(url_path)
        if self.read(url_path) == body:
            return False
        file.parent.mkdir(parents=True, exist_ok=True)
        # Compressed copies first: a reader who sees the new page also gets its new copies.
        # Levels chosen for speed: brotli's quality 11 takes ~15 ms a page for ~10% fewer
        # bytes than quality 6 (~0.4 ms); gzip's level 9 saves nothing over 6 on HTML.
        replace_file(
            file.with_name(file.name + ".gz"), gzip.compress(body, compresslevel=6, mtime=0)
        )
        replace_file(file.with_name(file.name + ".br"), brotli.compress(body, quality=6))
        replace_file(file, body)
        return True

    def delete(self, url_path: str) -> bool:
        file = self.file_for(url_path)
        existed = file.exists()
        for path in (file, file.with_name(file.name + ".gz"), file.with_name(file.name + ".br")):
            path.unlink(missing_ok=True)
        return existed

    def paths(self) -> Iterator[str]:
        """Every URL path in the store, a directory at a time (a big store has hundreds of
        thousands of files: they are never all in memory at once)."""
        for directory, subdirectories, files in os.walk(self.root):
            subdirectories.sort()
            relative = os.path.relpath(directory, self.root)
            prefix = "/" if relative == "." else "/" + quote(relative, safe=URL_SAFE) + "/"
            for name in sorted(files):
                if name.endswith((".gz", ".br")) or name.startswith("."):
                    continue
                yield prefix if name == "index.html" else prefix + quote(name, safe=URL_SAFE)


def replace_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new, never half.

    The temporary file has a random name (O_EXCL: never someone else's) and is made readable
    by the web server whatever the umask, through its descriptor: fewer path lookups than
    mkstemp + chmod, which counts over a build's hundreds of thousands of files."""
    temporary = path.with_name(f".tmp-{secrets.token_hex(8)}-{path.name}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.fchmod(fd, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
