"""Donor names and email addresses, sealed at rest.

Records of who gave to an exiled newsroom endanger the donors if they are seized, so the
database holds a donor's email and name only encrypted (Fernet: AES-128-CBC with an
HMAC-SHA256, from ``cryptography``) under keys that live in the environment, never in the
database or its backups. ``GAZETTE_DONOR_KEYS`` lists them, newest first: new records are
sealed with the first, any of them opens old ones (MultiFernet), and
``gazette support rotate-keys`` re-seals every record with the first so the old keys can be
dropped. Finding a donor by email uses a keyed hash (HMAC-SHA256) instead of the address;
it too is recomputed on rotation.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = [
    "InvalidToken",
    "digests",
    "email_digest",
    "normalise_email",
    "open_",
    "reseal",
    "seal",
    "sealed_with_newest",
]


@lru_cache(maxsize=4)
def _keys(keys: tuple[str, ...]) -> tuple[MultiFernet, tuple[bytes, ...]]:
    if not keys:
        raise ImproperlyConfigured(
            "GAZETTE_DONOR_KEYS is not set: donor records cannot be encrypted. Generate a "
            "key with `gazette support new-key` and set GAZETTE_DONOR_KEYS to it."
        )
    try:
        fernets = [Fernet(key.encode()) for key in keys]
    except ValueError as error:
        raise ImproperlyConfigured(
            "GAZETTE_DONOR_KEYS holds a value that is not a Fernet key (32 url-safe base64 "
            f"bytes): {error}. Generate one with `gazette support new-key`."
        ) from error
    # The lookup hash has a key of its own, derived from each encryption key.
    lookups = tuple(
        hashlib.sha256(b"gazette-donor-lookup:" + key.encode()).digest() for key in keys
    )
    return MultiFernet(fernets), lookups


def _configured() -> tuple[MultiFernet, tuple[bytes, ...]]:
    return _keys(tuple(settings.GAZETTE_DONOR_KEYS))


def keys_problem() -> str | None:
    """What is wrong with GAZETTE_DONOR_KEYS (no key, or one that is not a key), or None."""
    try:
        _configured()
    except ImproperlyConfigured as error:
        return str(error)
    return None


def seal(text: str) -> str:
    """``text`` encrypted with the newest key ('' stays '': nothing to hide)."""
    if not text:
        return ""
    return _configured()[0].encrypt(text.encode()).decode()


def open_(token: str) -> str:
    """The text sealed in ``token``, under any configured key."""
    if not token:
        return ""
    return _configured()[0].decrypt(token.encode()).decode()


def reseal(token: str) -> str:
    """``token`` sealed again with the newest key (key rotation)."""
    if not token:
        return ""
    return _configured()[0].rotate(token.encode()).decode()


def sealed_with_newest(token: str) -> bool:
    """Whether ``token`` is already sealed with the newest key (a rotation skips it)."""
    if not token:
        return True
    newest = Fernet(settings.GAZETTE_DONOR_KEYS[0].encode())
    try:
        newest.decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def normalise_email(email: str) -> str:
    return email.strip().lower()


def email_digest(email: str) -> str:
    """The keyed hash a donor is found by, under the newest key."""
    return digests(email)[0]


def digests(email: str) -> list[str]:
    """The keyed hash of ``email`` under every configured key, newest first: during a
    rotation a donor may still be filed under an older one."""
    value = normalise_email(email).encode()
    return [hmac.new(key, value, hashlib.sha256).hexdigest() for key in _configured()[1]]
