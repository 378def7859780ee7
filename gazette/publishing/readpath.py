"""The read path: a WSGI layer that answers readers from the page store before Django runs.

Anonymous GET and HEAD requests for a path the store holds get the stored bytes, compressed
as the client accepts (brotli, gzip, or identity for rewriting proxies), with caching
validators (ETag, Last-Modified, 304) and the same security headers Django would send.
Everything else (forms, search, the admin, preview, signed-in staff) falls through to Django.

A bounded in-memory cache keeps hot pages' bytes; each request costs one stat() of the file
to notice a new version (https://www.rfc-editor.org/rfc/rfc9110#name-conditional-requests,
https://www.rfc-editor.org/rfc/rfc9111#name-cache-control).
"""

import hashlib
import os
import time
from collections import OrderedDict
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

from django.conf import settings

from .headers import hsts_header, is_onion_host, reader_headers
from .mirrorlist import onion_address
from .store import PageStore, UnsafePath, content_type_for, quoted_path

CACHE_CONTROL = "public, max-age=60, s-maxage=300, stale-while-revalidate=600, stale-if-error=86400"
SUFFIXES = (("br", ".br"), ("gzip", ".gz"))


class Entry:
    __slots__ = ("key", "headers", "bodies", "etags", "mtime", "size", "checked")

    def __init__(self, key, file: Path, common: list[tuple[str, str]]):
        self.key = key
        self.mtime = key[0] // 1_000_000_000
        self.bodies = {"identity": file.read_bytes()}
        for coding, suffix in SUFFIXES:
            try:
                self.bodies[coding] = file.with_name(file.name + suffix).read_bytes()
            except FileNotFoundError:
                pass
        digest = hashlib.blake2b(self.bodies["identity"], digest_size=12).hexdigest()
        # A strong ETag names one representation, so each encoding has its own.
        self.etags = {
            coding: f'"{digest}"' if coding == "identity" else f'"{digest}-{coding}"'
            for coding in self.bodies
        }
        self.headers = [
            ("Content-Type", content_type_for(file)),
            ("Last-Modified", formatdate(self.mtime, usegmt=True)),
            ("Cache-Control", CACHE_CONTROL),
            ("Vary", "Accept-Encoding"),
            *common,
        ]
        self.size = sum(len(body) for body in self.bodies.values())
        self.checked = time.monotonic()


def accepted_coding(header: str, available) -> str:
    """The best encoding the client accepts among those we have; identity otherwise."""
    if not header:
        return "identity"
    accepted = {}
    for item in header.lower().split(","):
        name, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        accepted[name.strip()] = quality
    for coding in ("br", "gzip"):
        if coding in available and accepted.get(coding, accepted.get("*", 0)) > 0:
            return coding
    return "identity"


class ReadPath:
    def __init__(
        self,
        app,
        *,
        store: PageStore | None = None,
        cache_bytes: int | None = None,
        check_interval: float | None = None,
    ):
        self.app = app
        # A cached page is served without touching the disk for this long; measured, the
        # per-request stat() and path handling cost a third of the read path's throughput.
        self.check_interval = (
            settings.GAZETTE_READ_CHECK_INTERVAL if check_interval is None else check_interval
        )
        self.store = store or PageStore()
        self.cache: OrderedDict[str, Entry] = OrderedDict()
        self.cache_bytes = cache_bytes or settings.GAZETTE_READ_CACHE_MB * 1024 * 1024
        self.cached_bytes = 0
        self.session_cookie = settings.SESSION_COOKIE_NAME + "="
        self.common = reader_headers()
        self.hsts = hsts_header()
        self.proxy_ssl = settings.SECURE_PROXY_SSL_HEADER
        self.onion: str | None = None
        self.onion_checked = -1e9

    def __call__(self, environ, start_response):
        method = environ["REQUEST_METHOD"]
        if method not in ("GET", "HEAD") or self.session_cookie in environ.get("HTTP_COOKIE", ""):
            return self.app(environ, start_response)
        path = quoted_path(environ.get("PATH_INFO") or "/")
        entry = self.lookup(path)
        if entry is None:
            return self.app(environ, start_response)

        coding = accepted_coding(environ.get("HTTP_ACCEPT_ENCODING", ""), entry.bodies)
        etag = entry.etags[coding]
        headers = [*entry.headers, ("ETag", etag)]
        if coding != "identity":
            headers.append(("Content-Encoding", coding))
        if (
            self.hsts
            and self.is_secure(environ)
            and not is_onion_host(environ.get("HTTP_HOST", ""))
        ):
            headers.append(self.hsts)
        onion = self.onion_address()
        if onion and entry.headers[0][1].startswith("text/html"):
            headers.append(("Onion-Location", onion + path))
        if self.not_modified(environ, etag, entry.mtime):
            start_response("304 Not Modified", headers)
            return [b""]
        body = entry.bodies[coding]
        headers.append(("Content-Length", str(len(body))))
        start_response("200 OK", headers)
        return [b"" if method == "HEAD" else body]

    def lookup(self, path: str) -> Entry | None:
        entry = self.cache.get(path)
        if entry is not None and time.monotonic() - entry.checked < self.check_interval:
            return entry
        try:
            file = self.store.file_for(path)
            stat = os.stat(file)
        except (UnsafePath, FileNotFoundError, NotADirectoryError):
            self.forget(path)
            return None
        key = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if entry is not None and entry.key == key:
            entry.checked = time.monotonic()
            self.cache.move_to_end(path)
            return entry
        try:
            entry = Entry(key, file, self.common)
        except (FileNotFoundError, IsADirectoryError):
            return None
        self.forget(path)
        self.cache[path] = entry
        self.cached_bytes += entry.size
        while self.cached_bytes > self.cache_bytes and len(self.cache) > 1:
            _, old = self.cache.popitem(last=False)
            self.cached_bytes -= old.size
        return entry

    def onion_address(self) -> str | None:
        """From the stored /mirrors.json, looked at no more than once a second."""
        now = time.monotonic()
        if now - self.onion_checked > 1.0:
            self.onion_checked = now
            entry = self.lookup("/mirrors.json")
            self.onion = onion_address(entry.bodies["identity"]) if entry else None
        return self.onion

    def forget(self, path: str) -> None:
        old = self.cache.pop(path, None)
        if old is not None:
            self.cached_bytes -= old.size

    def is_secure(self, environ) -> bool:
        if environ.get("wsgi.url_scheme") == "https":
            return True
        if self.proxy_ssl:
            header, value = self.proxy_ssl
            return environ.get(header) == value
        return False

    @staticmethod
    def not_modified(environ, etag: str, mtime: int) -> bool:
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return etag in tags or "*" in tags
        if_modified_since = environ.get("HTTP_IF_MODIFIED_SINCE")
        if if_modified_since:
            try:
                return parsedate_to_datetime(if_modified_since).timestamp() >= mtime
            except (TypeError, ValueError):
                return False
        return False
