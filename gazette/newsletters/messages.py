"""An issue's email: rendered once per issue, then made per recipient by putting their token
into the prepared bytes.

A send of a million messages cannot afford to render a template, inline CSS, encode
quoted-printable or canonicalize for DKIM a million times (together several milliseconds per
message). So ``IssueMail`` renders the HTML and text parts once with placeholders where the
recipient's tokens go (unsubscribe and preference page), encodes the pieces between
placeholders once, and keeps them already in DKIM's relaxed canonical form. For each recipient
it joins the pieces around the tokens (each sits on a line of its own between two
quoted-printable soft line breaks, invisible once decoded), hashes the body and signs the
headers.
"""

import binascii
import re
import secrets
import time
from dataclasses import dataclass
from email import policy
from email.utils import formataddr, formatdate

import css_inline
from django.conf import settings
from django.template.loader import render_to_string

from .dkim import DkimSigner, body_hash, canonical_body
from .models import Issue
from .models.deliveries import Claimed
from .tokens import bounce_signer, day_number, preferences_signer, unsubscribe_signer

# Letters only: pass unchanged through template escaping, css-inline and quoted-printable.
PLACEHOLDER = "gzrecipienttokenslot"
PREFERENCES_PLACEHOLDER = "gzpreferencestokenslot"
_SLOTS = re.compile(f"({PLACEHOLDER}|{PREFERENCES_PLACEHOLDER})")
QP_LINE = 76  # RFC 2045 section 6.7: encoded lines at most 76 characters

_WSP = re.compile(r"[ \t]+")


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message as a transport sends it."""

    delivery_id: int
    sender: str  # the envelope sender (VERP return path)
    recipient: str
    data: bytes


def header_value(name: str, value: str) -> str:
    """``value`` as it follows ``Name:`` in a message: folded, RFC 2047-encoded if needed."""
    folded = policy.SMTP.header_factory(name, value).fold(policy=policy.SMTP)
    return folded[len(name) + 1 : -2]


def _quoted_printable(text: str) -> bytes:
    """Quoted-printable with CRLF line ends, WSP runs collapsed beforehand (so the result
    is canonical for DKIM), and room left on the last line for a soft break."""
    data = binascii.b2a_qp(_WSP.sub(" ", text).encode("utf-8"), istext=True)
    # A line starting "From " is rewritten ">From " by mbox-minded relays, which breaks
    # the signature: encode its F (RFC 3676 section 4.4 does the same for format=flowed).
    data = b"\n" + data
    data = data.replace(b"\nFrom ", b"\n=46rom ")[1:].replace(b"\n", b"\r\n")
    start = data.rfind(b"\r\n") + 2 if b"\r\n" in data else 0
    if len(data) - start >= QP_LINE:
        cut = start + QP_LINE - 6
        while b"=" in data[cut - 2 : cut]:  # never split an =XX escape
            cut -= 1
        data = data[:cut] + b"=\r\n" + data[cut:]
    return data


def _part_pieces(content_type: str, text: str) -> tuple[list[bytes], list[bool]]:
    """A MIME part cut where the recipient's tokens go, and for each cut whether the
    preference token (rather than the unsubscribe token) goes there."""
    segments = _SLOTS.split(text)
    slots = [slot == PREFERENCES_PLACEHOLDER for slot in segments[1::2]]
    segments = segments[::2]
    head = (
        f"Content-Type: {content_type}; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    ).encode("ascii")
    encoded = [_quoted_printable(segment) for segment in segments]
    pieces = []
    for index, chunk in enumerate(encoded):
        before = b"=\r\n" if index else b""
        after = b"=\r\n" if index < len(encoded) - 1 else b"\r\n"
        pieces.append(before + chunk + after)
    pieces[0] = head + pieces[0]
    return pieces, slots


class IssueMail:
    """What every recipient of an issue shares, prepared once. ``message()`` may be called
    from several threads at once: RSA signing releases the GIL, so threads use more cores."""

    def __init__(self, issue: Issue, *, signer: DkimSigner | None = None):
        self.issue = issue
        self.newsletter = newsletter = issue.newsletter
        self.signer = signer
        self.base_url = settings.GAZETTE_BASE_URL
        self._unsubscribe = unsubscribe_signer()
        self._preferences = preferences_signer()
        self._bounce = bounce_signer()
        # The two parts as rendered, before encoding: what the admin's preview shows.
        self.html, self.text = html, text = self.render()
        boundary = f"=_gazette_{secrets.token_hex(12)}"
        delimiter = f"--{boundary}\r\n".encode("ascii")
        slot = b"\x00"  # never in the encoded parts, which are ASCII text
        text_pieces, text_slots = _part_pieces("text/plain", text)
        html_pieces, html_slots = _part_pieces("text/html", html)
        body = (
            delimiter
            + slot.join(text_pieces)
            + delimiter
            + slot.join(html_pieces)
            + f"--{boundary}--\r\n".encode("ascii")
        )
        self._pieces = body.split(slot)
        self._preference_slots = text_slots + html_slots
        self._has_preference_slot = any(self._preference_slots)
        self._fixed_before = [
            (
                "From",
                header_value("From", formataddr((newsletter.from_name, newsletter.from_address))),
            ),
        ]
        self._subject = ("Subject", header_value("Subject", issue.subject))
        self._list_id = (
            "List-Id",
            header_value("List-Id", f"{newsletter.name} <{newsletter.list_id}>"),
        )
        self._fixed_after = [
            ("List-Unsubscribe-Post", " List-Unsubscribe=One-Click"),
            ("MIME-Version", " 1.0"),
            ("Content-Type", f' multipart/alternative;\r\n boundary="{boundary}"'),
        ]
        self._clock = (0, "")  # (second, Date header) of the last message; one attribute,
        # so that threads building messages at once never see a half-updated pair
        # The pieces are built to be canonical already (no WSP runs, none at line ends);
        # check that once per issue instead of canonicalizing every message.
        sample = self.body("sampletoken0", "sampletoken1")
        self.body_is_canonical = canonical_body(sample) == sample

    def render(self) -> tuple[str, str]:
        context = self.context()
        html = css_inline.inline(render_to_string("newsletters/issue_email.html", context))
        return html, render_to_string("newsletters/issue_email.txt", context)

    def context(self) -> dict:
        from gazette.newsroom.models import NewsroomSettings
        from gazette.publishing.models import Mirror

        issue, newsletter = self.issue, self.newsletter
        newsroom = NewsroomSettings.for_site(newsletter.site)
        support_path = issue.support_path(newsroom)
        groups = [
            (label, [self._teaser(article) for article in articles])
            for label, articles in issue.article_groups()
        ]
        return {
            "issue": issue,
            "newsletter": newsletter,
            "newsroom_name": newsroom.name,
            "groups": groups,
            "web_url": self.base_url + newsletter.issue_path(issue),
            "unsubscribe_url": f"{self.base_url}/newsletters/unsubscribe/{PLACEHOLDER}/",
            "preferences_url": f"{self.base_url}/newsletters/preferences/"
            f"{PREFERENCES_PLACEHOLDER}/",
            "support_url": self.base_url + support_path if support_path else "",
            "support_text": issue.support_text,
            "mirrors": [mirror.address for mirror in Mirror.objects.filter(active=True)],
        }

    def _teaser(self, article) -> dict:
        return {
            "title": article.title,
            "standfirst": article.standfirst,
            "url": article.canonical_url(),
        }

    def body(self, token: str, preferences_token: str = "") -> bytes:
        """The body for a recipient: their unsubscribe token, and their preference token
        (``tokens.preferences_token``) where the templates link the preference page."""
        if not self._has_preference_slot:
            return token.encode("ascii").join(self._pieces)
        values = (token.encode("ascii"), preferences_token.encode("ascii"))
        parts = [self._pieces[0]]
        for is_preferences, piece in zip(self._preference_slots, self._pieces[1:], strict=True):
            parts += (values[is_preferences], piece)
        return b"".join(parts)

    def unsubscribe_token(self, subscriber_id: int) -> str:
        return self._unsubscribe.make(subscriber_id, self.newsletter.pk)

    def return_path(self, delivery_id: int) -> str:
        return f"bounces+{self._bounce.make(delivery_id)}@{self.newsletter.list_id_domain}"

    def _now(self) -> tuple[int, str]:
        second = int(time.time())
        if second != self._clock[0]:
            self._clock = (second, " " + formatdate(second, usegmt=True))
        return self._clock

    def message(self, delivery: Claimed) -> Outgoing:
        token = self.unsubscribe_token(delivery.subscriber_id)
        second, date = self._now()
        # The day it was made, in the preference link: it expires (preferences.read_link).
        preferences = self._preferences.make(
            delivery.subscriber_id, self.newsletter.pk, day_number(second)
        )
        body = self.body(token, preferences)
        domain = self.newsletter.list_id_domain
        unsubscribe = (
            f" <{self.base_url}/newsletters/unsubscribe/{token}/>,\r\n"
            f" <mailto:unsubscribe+{token}@{domain}>"
        )
        headers = [
            *self._fixed_before,
            ("To", " " + delivery.email),
            self._subject,
            ("Date", date),
            ("Message-ID", " " + delivery.message_id),
            self._list_id,
            ("List-Unsubscribe", unsubscribe),
            *self._fixed_after,
        ]
        if self.signer:
            bh = body_hash(body if self.body_is_canonical else canonical_body(body))
            headers = self.signer.sign(headers, canonical_body_hash=bh, timestamp=second) + headers
        head = "".join(f"{name}:{value}\r\n" for name, value in headers)
        return Outgoing(
            delivery_id=delivery.id,
            sender=self.return_path(delivery.id),
            recipient=delivery.email,
            data=head.encode("ascii") + b"\r\n" + body,
        )


def new_message_id(domain: str) -> str:
    """A Message-ID for a delivery (RFC 5322 section 3.6.4): random, so it gives away
    neither the list's size nor the subscriber."""
    return f"<{secrets.token_hex(12)}@{domain}>"


PREVIEW_TOKEN = "preview"  # noqa: S105 (not a secret: a dummy unsubscribe token)


def preview_parts(issue: Issue) -> tuple[str, str]:
    """(HTML, plain text) of an issue's email as a subscriber gets it, for the admin's
    preview: the same rendering as a send, with a dummy token in its unsubscribe and
    preference links."""
    mail = IssueMail(issue)
    return _SLOTS.sub(PREVIEW_TOKEN, mail.html), _SLOTS.sub(PREVIEW_TOKEN, mail.text)
