"""Short signed tokens for links and addresses in newsletters: unsubscribe links (RFC 8058
needs an opaque token, since the one-click POST carries no cookie), links to the preference
page, and VERP return paths (a bounce names the delivery it is about).

A token is the ids in base 36 and a truncated HMAC-SHA256, joined by ``-``: only
``[0-9a-z-]``, so it survives mail systems that lower-case local parts, sits safely in a URL
and in quoted-printable text, and costs a microsecond or two to make (one per recipient).
It says which record, not who: the ids mean nothing without the database.
"""

import base64
import hashlib
import hmac
import time

from django.conf import settings

MAC_BYTES = 10  # 80 bits: a forger gets one guess per request


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"gazette.newsletters.{purpose}:{settings.SECRET_KEY}".encode()).digest()


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


class TokenSigner:
    def __init__(self, purpose: str):
        self._mac = hmac.new(_key(purpose), digestmod=hashlib.sha256)

    def _signature(self, payload: str) -> str:
        mac = self._mac.copy()
        mac.update(payload.encode("ascii"))
        return base64.b32encode(mac.digest()[:MAC_BYTES]).decode("ascii").lower()

    def make(self, *ids: int) -> str:
        payload = "-".join(_base36(number) for number in ids)
        return f"{payload}-{self._signature(payload)}"

    def read(self, token: str, count: int) -> tuple[int, ...] | None:
        """The ids in a genuine token of ``count`` ids; None for anything else."""
        parts = token.lower().split("-")
        if len(parts) != count + 1:
            return None
        payload = "-".join(parts[:-1])
        if not hmac.compare_digest(parts[-1], self._signature(payload)):
            return None
        try:
            return tuple(int(part, 36) for part in parts[:-1])
        except ValueError:
            return None


def unsubscribe_signer() -> TokenSigner:
    """Tokens of (subscriber id, newsletter id)."""
    return TokenSigner("unsubscribe")


def bounce_signer() -> TokenSigner:
    """Tokens of (delivery id,), in the VERP return path."""
    return TokenSigner("bounce")


def preferences_signer() -> TokenSigner:
    """Tokens of (subscriber id, newsletter id, day issued), for the preference page. The
    day (since 1970-01-01, UTC) lets the page refuse old links: unlike an unsubscribe, the
    page shows and changes all of a reader's newsletters, and mails get forwarded."""
    return TokenSigner("preferences")


def day_number(seconds: float) -> int:
    """The day (since 1970-01-01, UTC) a preference token is made on."""
    return int(seconds) // 86400


def preferences_token(subscriber_id: int, newsletter_id: int, *, now: float | None = None) -> str:
    """A token for the preference page link, made today (or on the day of ``now``)."""
    day = day_number(time.time() if now is None else now)
    return preferences_signer().make(subscriber_id, newsletter_id, day)
