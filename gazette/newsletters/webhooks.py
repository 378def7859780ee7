"""Bounce and complaint webhooks of the mail providers, through django-anymail.

Anymail's views parse each provider's payload into normalized tracking events and send them
on its ``tracking`` signal, its public API for this; ``on_tracking`` hands each one to
``bounces.record_event``, where everything else happens. The views here add what anymail
leaves out:

- they fail closed: without GAZETTE_WEBHOOK_SECRET (HTTP basic auth, the way Postmark and
  SNS subscriptions authenticate) they refuse every request, where anymail only warns;
- the SES view verifies the signature Amazon SNS puts on every message (anymail does not
  yet): https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html

A refused request gets 400 (401 from the SES view when credentials are missing, which SNS
needs before it sends them) and changes nothing. Events we do not act on (deliveries,
opens) are answered 200 and not stored.
"""

import base64
import binascii
import hashlib
import json
import logging
import re
from functools import lru_cache
from urllib.parse import urlsplit

import requests
from anymail.exceptions import AnymailAPIError, AnymailWebhookValidationFailure
from anymail.signals import AnymailTrackingEvent, EventType
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.postmark import PostmarkTrackingWebhookView
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .bounces import record_event
from .models import BounceEvent

logger = logging.getLogger(__name__)

Kind = BounceEvent.Kind
Source = BounceEvent.Source

# SNS signs with certificates it serves from its own regional hosts, and nowhere else.
SNS_CERT_HOST = re.compile(r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?")
# The fields each SNS message type signs, in the order they are signed.
SNS_SIGNED = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SNS_SIGNED["UnsubscribeConfirmation"] = SNS_SIGNED["SubscriptionConfirmation"]
SNS_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}

# Postmark's bounce types that we act on; the others (auto-replies, address changes,
# challenge mails) say nothing about whether mail reaches the reader.
# https://postmarkapp.com/developer/api/bounce-api#bounce-types
POSTMARK_KINDS = {
    "HardBounce": Kind.HARD,
    "BadEmailAddress": Kind.HARD,
    "SoftBounce": Kind.SOFT,
    "Transient": Kind.SOFT,
    "DnsError": Kind.SOFT,
    "SpamComplaint": Kind.COMPLAINT,
    "SpamNotification": Kind.COMPLAINT,
}


def _refuse_without_secret(view) -> None:
    if not view.basic_auth:
        raise AnymailWebhookValidationFailure(
            "GAZETTE_WEBHOOK_SECRET is not set, so provider webhooks refuse every request."
        )


class SESWebhook(AmazonSESTrackingWebhookView):
    """Amazon SES events (bounces, complaints) as Amazon SNS delivers them."""

    def run_validators(self, request):
        _refuse_without_secret(self)
        try:
            message = self._parse_sns_message(request)
            if not isinstance(message, dict):
                raise AnymailWebhookValidationFailure("SNS message is not a JSON object")
            super().run_validators(request)  # basic auth, SNS headers matching the body
        except AnymailAPIError as error:
            # Anymail calls a body that is not JSON, or an unknown message type, an API
            # error (answered 500); it is a malformed request, refused with 400.
            raise AnymailWebhookValidationFailure(str(error)) from None
        # Last, so that only authenticated requests can make us fetch a certificate.
        verify_sns_signature(message)


class PostmarkWebhook(PostmarkTrackingWebhookView):
    """Postmark's bounce and spam complaint webhooks."""

    def run_validators(self, request):
        _refuse_without_secret(self)
        super().run_validators(request)
        # Anymail parses the body only later, and a body that is not a JSON object would
        # raise there (a 500); Postmark always sends one object per event.
        try:
            event = json.loads(request.body.decode("utf-8"))
        except ValueError:  # includes UnicodeDecodeError
            raise AnymailWebhookValidationFailure("Postmark event is not JSON") from None
        if not isinstance(event, dict):
            raise AnymailWebhookValidationFailure("Postmark event is not a JSON object")

    def parse_events(self, request):
        """Anymail's parsing, with an event whose fields have the wrong types (a date that
        is not a string, a list where an object belongs) refused with 400 rather than
        crashing into a 500: Postmark would retry it for hours, and it would fail each time."""
        try:
            return super().parse_events(request)
        except (TypeError, ValueError, KeyError, AttributeError) as error:
            raise AnymailWebhookValidationFailure(f"Malformed Postmark event: {error}") from None


def verify_sns_signature(message: dict) -> None:
    """Raise unless ``message`` carries a valid signature by Amazon SNS."""
    hash_type = SNS_HASHES.get(str(message.get("SignatureVersion")))
    signed = SNS_SIGNED.get(message.get("Type"))
    if hash_type is None or signed is None:
        raise AnymailWebhookValidationFailure("SNS message of an unknown signature version")
    url = message.get("SigningCertURL") or ""
    parts = urlsplit(url)
    host_ok = SNS_CERT_HOST.fullmatch(parts.hostname or "")
    if parts.scheme != "https" or not host_ok or not parts.path.endswith(".pem"):
        raise AnymailWebhookValidationFailure(f"SNS signing certificate not from SNS: {url!r}")
    try:
        signature = base64.b64decode(message.get("Signature") or "", validate=True)
        text = "".join(
            f"{key}\n{message[key]}\n"
            for key in signed
            if key != "Subject" or message.get("Subject") is not None
        )
    except (binascii.Error, KeyError, TypeError) as error:
        raise AnymailWebhookValidationFailure(f"Malformed SNS message: {error}") from None
    try:
        signing_certificate(url).public_key().verify(
            signature, text.encode("utf-8"), padding.PKCS1v15(), hash_type()
        )
    except InvalidSignature:
        raise AnymailWebhookValidationFailure("SNS message signature does not verify") from None


@lru_cache(maxsize=16)
def signing_certificate(url: str) -> x509.Certificate:
    """SNS's certificate at ``url`` (an SNS host, over verified TLS). Kept once fetched:
    SNS signs with one certificate for months. A failed fetch raises, which answers 500,
    and SNS retries later."""
    response = requests.get(url, timeout=10)
    response.raise_for_status()
    return x509.load_pem_x509_certificate(response.content)


def record_anymail_event(*, event: AnymailTrackingEvent, esp_name: str) -> BounceEvent | None:
    """Record a provider's bounce or complaint; None for events we do not act on, and for
    one recorded before."""
    source = {"Amazon SES": Source.AMAZON_SES, "Postmark": Source.POSTMARK}.get(esp_name)
    kind = _kind(event, source)
    if kind is None:
        return None
    # Anymail passes the provider's fields through as they came: a malformed event may
    # hold a list or a number where text belongs, or no address at all.
    detail = ": ".join(part for part in (event.description, event.mta_response) if _text(part))
    try:
        return record_event(
            source=source,
            event_id=_text(event.event_id) or _digest(event.esp_event),
            kind=kind,
            email=_text(event.recipient),
            provider_message_id=_text(event.message_id),
            detail=detail,
            occurred_at=event.timestamp,
        )
    except ValueError as error:  # neither an address nor a message of ours: nothing to act on
        logger.warning("Ignored a %s report: %s", esp_name, error)
        return None


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _kind(event: AnymailTrackingEvent, source: str | None) -> str | None:
    payload = event.esp_event or {}
    if source == Source.AMAZON_SES:
        if event.event_type == EventType.BOUNCED:
            permanent = payload.get("bounce", {}).get("bounceType") == "Permanent"
            return Kind.HARD if permanent else Kind.SOFT
        if event.event_type == EventType.COMPLAINED:
            # A feedback report can also say "not spam".
            feedback = payload.get("complaint", {}).get("complaintFeedbackType")
            return None if feedback == "not-spam" else Kind.COMPLAINT
    if source == Source.POSTMARK and payload.get("RecordType") in ("Bounce", "SpamComplaint"):
        # Only these records: Postmark also reports each suppression it makes after a
        # bounce or complaint (SubscriptionChange), which would count the same one twice.
        return POSTMARK_KINDS.get(payload.get("Type"))
    return None


def _digest(payload) -> str:
    """An id for a payload that carries none: the same payload replayed gets the same."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def on_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    """Receiver of anymail's ``tracking`` signal (connected in apps.py)."""
    record_anymail_event(event=event, esp_name=esp_name)
