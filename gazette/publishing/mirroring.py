"""Mirrors: the page store, static files and image renditions copied to other places.

A mirror is a standalone static site with the same URL layout as the main one: store files
at its root, ``/static/...`` and ``/media/images/...`` (only renditions: originals can carry
camera metadata and are never public). Targets are named URLs in ``GAZETTE_MIRROR_TARGETS``:

- ``file:///srv/mirror``: a local directory, for rsync, IPFS or a web server on this host.
  It must exist already, so that a typo or an unmounted volume fails instead of filling the
  wrong disk. Files are written to a temporary name and renamed, like the store's own.
- ``s3://bucket/prefix``: an S3-compatible bucket through boto3, at ``GAZETTE_S3_ENDPOINT_URL``
  if set (MinIO, Ceph, a provider's S3 endpoint), with the credentials and region boto3 reads
  from the standard ``AWS_*`` variables. Only identity files go there: S3 cannot choose an
  encoding by Accept-Encoding, so the ``.gz``/``.br`` copies would never be served. Pages are
  ``<path>/index.html`` objects: set the bucket's website index document to ``index.html``
  (or have the CDN in front append it).

Only what changed is sent: each target keeps ``.gazette-manifest.json`` (path -> sha256 of
what it holds). A push uploads new files, then changed ones (assets before the pages that use
them, compressed copies before their page), then writes the manifest, then deletes what left
the source. So no reader gets a page whose stylesheet or images are missing, an interrupted
push is finished by the next one, and files no manifest listed are never deleted.
"""

import hashlib
import json
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import boto3
from botocore import exceptions as boto
from botocore.config import Config
from django.conf import settings

from .readpath import CACHE_CONTROL
from .store import ENCODINGS, PageStore, content_type_for, replace_file

MANIFEST = ".gazette-manifest.json"
NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
TEXT_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml")


class MirrorError(Exception):
    """A target is misconfigured or cannot be reached; the message says which and why."""


@dataclass(frozen=True)
class Source:
    key: str  # path in the target, relative to its root
    file: Path
    sha256: str
    content_type: str
    page: bool  # from the page store, rather than a static file or an image
    encoded: bool  # a .gz/.br copy of another file


@dataclass
class Summary:
    uploaded: int = 0
    unchanged: int = 0
    deleted: int = 0
    bytes: int = 0

    def __str__(self) -> str:
        counts = f"uploaded {self.uploaded}, unchanged {self.unchanged}, deleted {self.deleted}"
        return f"{counts}, {self.bytes:,} bytes"


def parse_targets(*, value: str) -> dict[str, str]:
    """``name=url,name=url`` -> {name: url}, refusing anything we would not know how to push."""
    targets: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, equals, url = (part.strip() for part in item.partition("="))
        if not equals or not NAME.match(name):
            raise MirrorError(
                f"GAZETTE_MIRROR_TARGETS: {item!r} is not name=url with a lowercase name, "
                "e.g. local=file:///srv/mirror,bucket=s3://my-bucket/prefix"
            )
        if name in targets:
            raise MirrorError(f"GAZETTE_MIRROR_TARGETS names {name!r} twice.")
        parts = urlsplit(url)
        if parts.query or parts.fragment:
            raise MirrorError(f"GAZETTE_MIRROR_TARGETS: {name}={url}: no ? or # is understood.")
        local = parts.scheme == "file" and parts.netloc in ("", "localhost") and parts.path
        if not (local or (parts.scheme == "s3" and parts.netloc)):
            raise MirrorError(
                f"GAZETTE_MIRROR_TARGETS: {name}={url} is neither file:///absolute/path "
                "nor s3://bucket[/prefix]."
            )
        targets[name] = url
    return targets


def open_target(*, name: str, url: str) -> "DirectoryTarget | S3Target":
    parts = urlsplit(url)
    if parts.scheme == "file":
        return DirectoryTarget(name=name, root=Path(unquote(parts.path)))
    return S3Target(
        name=name,
        bucket=parts.netloc,
        prefix=parts.path.strip("/"),
        endpoint_url=settings.GAZETTE_S3_ENDPOINT_URL or None,
    )


def collect_sources(*, store_root: Path, static_root: Path, media_root: Path) -> list[Source]:
    """Everything a mirror needs, hashed once and shared by every target of a push."""
    found: dict[str, Source] = {}

    def add(key: str, file: Path, content_type: str, page: bool, encoded: bool) -> None:
        if key in found:
            raise MirrorError(f"Two sources map to /{key}: {found[key].file} and {file}.")
        try:
            with file.open("rb") as handle:
                digest = hashlib.file_digest(handle, "sha256").hexdigest()
        except FileNotFoundError:  # removed by a rebuild running beside us: not in the site
            return
        found[key] = Source(key, file, digest, content_type, page, encoded)

    store = PageStore(store_root)
    for url_path in store.paths():
        file = store.file_for(url_path)
        key = file.relative_to(store_root).as_posix()
        add(key, file, content_type_for(file), page=True, encoded=False)
        for suffix in ENCODINGS.values():
            if (copy := file.with_name(file.name + suffix)).is_file():
                add(key + suffix, copy, "application/octet-stream", page=True, encoded=True)
    for prefix, root in (("static", static_root), ("media/images", media_root / "images")):
        for file in sorted(root.rglob("*")) if root.is_dir() else ():
            relative = file.relative_to(root)
            if file.is_file() and not any(part.startswith(".") for part in relative.parts):
                key = f"{prefix}/{relative.as_posix()}"
                add(key, file, _asset_type(file), page=False, encoded=False)
    return list(found.values())


def _asset_type(file: Path) -> str:
    guessed = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith(TEXT_TYPES) else guessed


def push(
    *,
    target: "DirectoryTarget | S3Target",
    sources: list[Source],
    full: bool = False,
    dry_run: bool = False,
    progress: Callable[[str, str], None] | None = None,
) -> Summary:
    """Bring ``target`` up to date with ``sources``; ``full`` re-sends everything (for a
    target changed behind the manifest's back). ``progress(action, key)`` hears each step."""
    try:
        return _push(target, sources, full, dry_run, progress or (lambda action, key: None))
    except OSError as error:  # a full disk, a lost mount, a permission: the push stops here
        raise MirrorError(f"Mirror {target}: {error}") from error


def _push(target, sources, full, dry_run, progress) -> Summary:
    target.check()
    held = target.read_manifest()
    wanted = {s.key: s for s in sources if target.encodings or not s.encoded}
    summary = Summary()
    new, changed = [], []
    for key, source in wanted.items():
        if key not in held:
            new.append(source)
        elif full or held[key] != source.sha256:
            changed.append(source)
        else:
            summary.unchanged += 1
    stale = sorted(set(held) - set(wanted))
    current = {key: source.sha256 for key, source in wanted.items()}

    def order(source: Source) -> tuple:
        return (source.page, not source.encoded, source.key)

    for source in sorted(new, key=order) + sorted(changed, key=order):
        try:
            data = source.file.read_bytes()
        except FileNotFoundError:  # removed by a rebuild since it was listed: the next push
            current.pop(source.key)  # deletes it, if this target has it
            if source.key in held:
                current[source.key] = held[source.key]
            continue
        # The manifest records what was sent, even if the file changed since it was hashed.
        current[source.key] = hashlib.sha256(data).hexdigest()
        progress("upload", source.key)
        if not dry_run:
            target.put(source, data, CACHE_CONTROL)
        summary.uploaded += 1
        summary.bytes += len(data)
    if not dry_run and (summary.uploaded or stale or not held):
        # Stale files stay listed until they are gone, so a failed delete is retried next time.
        target.put_manifest(_manifest(current | {key: held[key] for key in stale}))
    for key in stale:
        progress("delete", key)
        if not dry_run:
            target.delete(key)
        summary.deleted += 1
    if not dry_run and stale:
        target.put_manifest(_manifest(current))
    return summary


def _manifest(files: dict[str, str]) -> bytes:
    return json.dumps({"version": 1, "files": dict(sorted(files.items()))}, indent=0).encode()


def _parse_manifest(where: str, data: bytes | None) -> dict[str, str]:
    if data is None:
        return {}
    try:
        files = json.loads(data)["files"]
        if all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            return files
    except (ValueError, KeyError, TypeError, AttributeError):
        pass
    raise MirrorError(f"{where} is not a manifest we wrote; remove it to re-send everything.")


class DirectoryTarget:
    encodings = True  # a web server in front (nginx gzip_static, brotli_static) can use them

    def __init__(self, *, name: str, root: Path):
        self.name, self.root = name, root

    def __str__(self) -> str:
        return f"{self.name} ({self.root})"

    def check(self) -> None:
        if not self.root.is_dir():
            raise MirrorError(f"Mirror {self}: directory {self.root} does not exist; create it.")

    def path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(part in ("", ".", "..") for part in parts):
            raise MirrorError(f"Mirror {self}: refusing unsafe path {key!r} from its manifest.")
        return self.root.joinpath(*parts)

    def read_manifest(self) -> dict[str, str]:
        file = self.root / MANIFEST
        return _parse_manifest(str(file), file.read_bytes() if file.exists() else None)

    def put(self, source: Source, data: bytes, cache_control: str) -> None:
        path = self.path(source.key)
        path.parent.mkdir(parents=True, exist_ok=True)
        replace_file(path, data)

    def put_manifest(self, data: bytes) -> None:
        replace_file(self.root / MANIFEST, data)

    def delete(self, key: str) -> None:
        file = self.path(key)
        file.unlink(missing_ok=True)
        for parent in file.parents:  # leave no empty directories behind
            if parent == self.root or not parent.is_relative_to(self.root):
                break
            try:
                parent.rmdir()
            except OSError:
                break


class S3Target:
    encodings = False  # S3 serves one representation per key; see the module docstring

    def __init__(self, *, name: str, bucket: str, prefix: str, endpoint_url: str | None):
        self.name, self.bucket, self.endpoint_url = name, bucket, endpoint_url
        self.prefix = prefix + "/" if prefix else ""
        # Few quick retries: an unreachable mirror should fail the push in seconds, not minutes.
        retries = {"max_attempts": 3, "mode": "standard"}
        config = Config(connect_timeout=10, read_timeout=60, retries=retries)
        self.client = boto3.client("s3", endpoint_url=endpoint_url, config=config)

    def __str__(self) -> str:
        return f"{self.name} (s3://{self.bucket}/{self.prefix})"

    def _call(self, operation: str, **kwargs):
        """The client call, with botocore's failures turned into a message an operator can act
        on (https://boto3.amazonaws.com/v1/documentation/api/latest/guide/error-handling.html)."""
        try:
            return getattr(self.client, operation)(Bucket=self.bucket, **kwargs)
        except boto.NoCredentialsError as error:
            raise MirrorError(
                f"Mirror {self}: no S3 credentials; set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or another source boto3 reads)."
            ) from error
        except boto.ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if operation == "get_object" and code in ("NoSuchKey", "404"):
                return None
            if code in ("404", "NoSuchBucket"):
                raise MirrorError(f"Mirror {self}: bucket {self.bucket} does not exist.") from error
            raise MirrorError(f"Mirror {self}: {operation} failed: {error}") from error
        except (boto.ConnectionError, boto.HTTPClientError) as error:
            where = self.endpoint_url or "the S3 endpoint"
            raise MirrorError(f"Mirror {self}: cannot reach {where}: {error}") from error
        except boto.BotoCoreError as error:  # a missing region, a bad parameter: configuration
            raise MirrorError(f"Mirror {self}: {operation} failed: {error}") from error

    def check(self) -> None:
        self._call("head_bucket")

    def read_manifest(self) -> dict[str, str]:
        response = self._call("get_object", Key=self.prefix + MANIFEST)
        data = response["Body"].read() if response else None
        return _parse_manifest(f"s3://{self.bucket}/{self.prefix}{MANIFEST}", data)

    def put(self, source: Source, data: bytes, cache_control: str) -> None:
        self._put(source.key, data, source.content_type, cache_control)

    def put_manifest(self, data: bytes) -> None:
        self._put(MANIFEST, data, "application/json", "no-cache")

    def _put(self, key: str, data: bytes, content_type: str, cache_control: str) -> None:
        key = self.prefix + key
        self._call(
            "put_object", Key=key, Body=data, ContentType=content_type, CacheControl=cache_control
        )

    def delete(self, key: str) -> None:
        self._call("delete_object", Key=self.prefix + key)
