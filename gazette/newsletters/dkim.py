"""DKIM signing (RFC 6376) with RSA-SHA256 and Ed25519-SHA256 (RFC 8463), relaxed/relaxed.

Our own code rather than dkimpy's signer: dkimpy does RSA in pure-Python big integers
(about 7 ms a signature for a newsletter; OpenSSL through ``cryptography`` takes about 0.4
ms), and a send of a million messages signs a million times. dkimpy stays in the tests, as
the independent verifier of what we sign.

Keys come from settings (``GAZETTE_DKIM_DOMAIN`` and ``GAZETTE_DKIM_KEYS``, see
``signer_from_settings``); with an RSA and an Ed25519 key both signatures are added, so that
receivers that do not know Ed25519 yet still find one they can check (RFC 8463, section 5).
"""

import base64
import hashlib
import re
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# What we sign (RFC 6376 section 5.4). RFC 8058 section 4 asks for both List-Unsubscribe
# headers; From is listed twice so that a From added later breaks the signature
# (section 8.15, "oversigning").
SIGNED_HEADERS = (
    "from",
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "list-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "mime-version",
    "content-type",
)

_WSP = re.compile(r"[ \t]+")
_WSP_BYTES = re.compile(rb"[ \t]+")
_TRAILING_WSP = re.compile(rb"[ \t]+(?=\r\n|\Z)")

Header = tuple[str, str]  # (name, value as it follows "Name:" in the message, folds kept)


def canonical_header(name: str, value: str) -> str:
    """Relaxed header canonicalization (RFC 6376 section 3.4.2)."""
    if "\r\n" in value or "\t" in value or "  " in value:
        value = _WSP.sub(" ", value.replace("\r\n", ""))
    return f"{name.strip().lower()}:{value.strip(' ')}\r\n"


def canonical_body(body: bytes) -> bytes:
    """Relaxed body canonicalization (RFC 6376 section 3.4.4) of a body with CRLF line ends.
    Costly on a big body (a millisecond or more on 30 kB): messages.py builds bodies that
    are canonical already and hashes them as they are."""
    body = _WSP_BYTES.sub(b" ", _TRAILING_WSP.sub(b"", body))
    while body.endswith(b"\r\n\r\n"):
        body = body[:-2]
    if body and not body.endswith(b"\r\n"):
        body += b"\r\n"
    return body


def body_hash(canonical: bytes) -> str:
    return base64.b64encode(hashlib.sha256(canonical).digest()).decode("ascii")


class DkimKey:
    """A private key and where its public half is published: ``<selector>._domainkey.<domain>``."""

    def __init__(self, *, domain: str, selector: str, private_key):
        if isinstance(private_key, rsa.RSAPrivateKey):
            if private_key.key_size < 1024:
                raise ValueError("RSA DKIM keys must have at least 1024 bits (RFC 8301).")
            self.algorithm = "rsa-sha256"
        elif isinstance(private_key, ed25519.Ed25519PrivateKey):
            self.algorithm = "ed25519-sha256"
        else:
            raise ValueError("A DKIM key is RSA or Ed25519.")
        self.domain = domain.lower()
        self.selector = selector
        self.private_key = private_key

    @classmethod
    def from_pem(cls, pem: bytes, *, domain: str, selector: str) -> "DkimKey":
        key = serialization.load_pem_private_key(pem, password=None)
        return cls(domain=domain, selector=selector, private_key=key)

    def sign(self, data: bytes) -> bytes:
        if self.algorithm == "rsa-sha256":
            return self.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        # RFC 8463 section 3: Ed25519 (PureEdDSA) over the SHA-256 hash of the data.
        return self.private_key.sign(hashlib.sha256(data).digest())

    @property
    def dns_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"

    def dns_record(self) -> str:
        """The TXT record to publish at ``dns_name``."""
        public = self.private_key.public_key()
        if self.algorithm == "rsa-sha256":
            der = public.public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode('ascii')}"
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return f"v=DKIM1; k=ed25519; p={base64.b64encode(raw).decode('ascii')}"


class DkimSigner:
    def __init__(self, keys: Sequence[DkimKey], *, signed_headers: Iterable[str] = SIGNED_HEADERS):
        if not keys:
            raise ValueError("A DKIM signer needs at least one key.")
        self.keys = list(keys)
        self.signed_headers = [name.lower() for name in signed_headers]

    def sign(
        self,
        headers: Sequence[Header],
        *,
        body: bytes | None = None,
        canonical_body_hash: str | None = None,
        timestamp: int | None = None,
    ) -> list[Header]:
        """DKIM-Signature headers (one per key) to put above ``headers``.

        Pass the body, or the base64 SHA-256 of its relaxed canonical form when the caller
        knows it (a body already canonical hashes as it is)."""
        if canonical_body_hash is None:
            if body is None:
                raise TypeError("sign() needs the body or its canonical hash.")
            canonical_body_hash = body_hash(canonical_body(body))
        names, block = self._signed_block(headers)
        timestamp = int(time.time()) if timestamp is None else timestamp
        signatures = []
        for key in self.keys:
            value = (
                f" v=1; a={key.algorithm}; c=relaxed/relaxed; d={key.domain};"
                f" s={key.selector}; t={timestamp};\r\n"
                f" h={':'.join(names)};\r\n"
                f" bh={canonical_body_hash};\r\n"
                " b="
            )
            data = block + canonical_header("DKIM-Signature", value)[:-2]
            signature = base64.b64encode(key.sign(data.encode("ascii"))).decode("ascii")
            signatures.append(("DKIM-Signature", value + signature))
        return signatures

    def _signed_block(self, headers: Sequence[Header]) -> tuple[list[str], str]:
        """The names for h= and the canonical headers they pick: for each name, the last
        instance not picked yet (RFC 6376 section 5.4.2). A name listed more often than the
        message has it is signed as absent."""
        by_name: dict[str, list[Header]] = {}
        for name, value in headers:
            by_name.setdefault(name.lower(), []).append((name, value))
        names, lines = [], []
        for name in self.signed_headers:
            instances = by_name.get(name)
            names.append(name)
            if instances:
                lines.append(canonical_header(*instances.pop()))
            elif name not in by_name:
                names.pop()  # never present: no need to name it
        return names, "".join(lines)


def signer_from_settings() -> DkimSigner | None:
    """The signer for ``GAZETTE_DKIM_DOMAIN`` and ``GAZETTE_DKIM_KEYS``
    (``selector:/path/to/key.pem``, comma-separated); None when DKIM is not configured
    (then the relay must sign)."""
    domain = getattr(settings, "GAZETTE_DKIM_DOMAIN", "")
    entries = getattr(settings, "GAZETTE_DKIM_KEYS", [])
    if not domain or not entries:
        return None
    keys = []
    for entry in entries:
        selector, _, path = entry.partition(":")
        if not selector or not path:
            raise ImproperlyConfigured(
                f"GAZETTE_DKIM_KEYS entry {entry!r} is not selector:/path/to/key.pem"
            )
        keys.append(DkimKey.from_pem(Path(path).read_bytes(), domain=domain, selector=selector))
    return DkimSigner(keys)


def signer_for(transport) -> DkimSigner | None:
    """The signer for what ``transport`` sends: none when the transport signs itself (a
    provider signs with its own keys for our domain, and rebuilds the message, which would
    break a signature of ours)."""
    return None if transport.signs else signer_from_settings()
