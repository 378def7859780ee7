"""Stripe's webhooks: what happened after a checkout (https://docs.stripe.com/webhooks).

Each request is verified by its ``Stripe-Signature`` (HMAC-SHA256 with the endpoint's
secret, GAZETTE_STRIPE_WEBHOOK_SECRET); anything else gets 400 and changes nothing. Each
event is stored once by its id (``ProviderEvent``: id, type, outcome, never the payload,
which holds the donor's email in clear), in the same transaction as what its handler
changes: a delivery that fails half-way leaves nothing, and Stripe's retry finds the event
new. A replay or duplicate delivery of a stored event is answered 200 and does nothing.
Handlers only call ``recording``, whose functions are idempotent and bring a gift forward
from whatever state it is in, so events may come in any order.
"""

import logging
from datetime import UTC, datetime
from decimal import Decimal

import stripe
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import recording
from .models import Gift, Payment, ProviderEvent
from .providers.stripe import GIFT_KEY, client

logger = logging.getLogger(__name__)


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    secret = settings.GAZETTE_STRIPE_WEBHOOK_SECRET
    if not secret:
        logger.error("A Stripe webhook arrived, but GAZETTE_STRIPE_WEBHOOK_SECRET is not set.")
        return HttpResponse("Webhook secret not configured.", status=400, content_type="text/plain")
    try:
        event = stripe.Webhook.construct_event(
            request.body, request.headers.get("Stripe-Signature"), secret
        ).to_dict()
    except (ValueError, stripe.SignatureVerificationError) as error:
        logger.warning("Refused a Stripe webhook: %s", error)
        return HttpResponse("Bad signature or payload.", status=400, content_type="text/plain")
    outcome = handle_event(event)
    return HttpResponse(outcome, content_type="text/plain")


@transaction.atomic
def handle_event(event: dict) -> str:
    """Act on a verified event once; the outcome is stored with it and answered."""
    stored, created = ProviderEvent.objects.get_or_create(
        provider="stripe", event_id=event["id"], defaults={"type": event["type"][:100]}
    )
    if not created:
        return f"duplicate: {stored.outcome}"
    handler = HANDLERS.get(event["type"])
    if handler is None:
        logger.info("Stripe event %s of type %s ignored.", event["id"], event["type"])
        outcome = "ignored"
    else:
        outcome = handler(event["data"]["object"])
    stored.outcome = outcome[:200]
    stored.save(update_fields=["outcome"])
    return outcome


def _gift_id(obj: dict, *, metadata: dict | None = None, subscription_id: str = "") -> int | None:
    """Our gift: by the id in the metadata, else by the subscription we already know."""
    metadata = metadata if metadata is not None else obj.get("metadata") or {}
    value = metadata.get(GIFT_KEY)
    if value and str(value).isdigit():
        found = Gift.objects.filter(pk=int(value), provider=Gift.Provider.STRIPE)
        gift_id = found.values_list("pk", flat=True).first()
        if gift_id:
            return gift_id
    if subscription_id:
        return (
            Gift.objects.filter(subscription_id=subscription_id)
            .values_list("pk", flat=True)
            .first()
        )
    return None


def _money(minor: int | None) -> Decimal:
    return Decimal(minor or 0) / 100


def _when(timestamp: int | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


def _unknown(obj: dict) -> str:
    # Not ours (another integration on the same Stripe account) or a gift since purged.
    logger.info("Stripe %s %s names no gift of ours.", obj.get("object"), obj.get("id"))
    return "no gift"


def _session_completed(session: dict) -> str:
    gift_id = _gift_id(session, subscription_id=session.get("subscription") or "")
    if gift_id is None:
        return _unknown(session)
    details = session.get("customer_details") or {}
    # Not the name: Checkout fills it from the card, so it would be nearly every card
    # donor's legal name, kept without their choosing. We keep a name only if given to us.
    recording.attach_donor(
        gift_id=gift_id,
        email=details.get("email") or "",
        customer_id=session.get("customer") or "",
        checkout_id=session["id"],
        subscription_id=session.get("subscription") or "",
    )
    if session.get("payment_status") != "paid":
        # A bank debit or voucher: the money follows as async_payment_succeeded/_failed.
        return "completed, awaiting payment"
    return _session_paid(session, gift_id=gift_id)


def _session_paid(session: dict, *, gift_id: int) -> str:
    # A one-time gift's payment is its PaymentIntent; a subscription's first payment is
    # its first invoice, the same id its invoice.paid event carries.
    provider_id = session.get("payment_intent") or session.get("invoice")
    if not provider_id:
        return "completed; payment follows with the invoice"
    payment = recording.record_payment(
        gift_id=gift_id,
        provider_id=provider_id,
        amount=_money(session.get("amount_total")),
        currency=session["currency"],
    )
    return "payment recorded" if payment else "payment known"


def _session_async_succeeded(session: dict) -> str:
    gift_id = _gift_id(session, subscription_id=session.get("subscription") or "")
    if gift_id is None:
        return _unknown(session)
    return _session_paid(session, gift_id=gift_id)


def _session_async_failed(session: dict) -> str:
    gift_id = _gift_id(session, subscription_id=session.get("subscription") or "")
    if gift_id is None:
        return _unknown(session)
    recording.record_decline(gift_id=gift_id)
    return "declined"


def _session_expired(session: dict) -> str:
    gift_id = _gift_id(session)
    if gift_id is None:
        return _unknown(session)
    removed = recording.record_abandoned(gift_id=gift_id)
    return "abandoned gift removed" if removed else "expired, gift kept"


def _invoice_subscription(invoice: dict) -> tuple[str, dict]:
    """The subscription an invoice bills and that subscription's metadata; since API
    version 2025-03-31 they sit under ``parent.subscription_details``."""
    parent = invoice.get("parent") or {}
    details = parent.get("subscription_details") or {}
    subscription = details.get("subscription") or ""
    if isinstance(subscription, dict):
        subscription = subscription.get("id", "")
    return subscription, details.get("metadata") or {}


def _invoice_gift(invoice: dict) -> tuple[int | None, str, str]:
    """The gift a subscription's invoice is for, its subscription id, and the outcome to
    report when there is no such gift of ours."""
    subscription_id, metadata = _invoice_subscription(invoice)
    if not subscription_id:
        return None, "", "not a subscription invoice"
    gift_id = _gift_id(invoice, metadata=metadata, subscription_id=subscription_id)
    if gift_id is None:
        return None, subscription_id, _unknown(invoice)
    return gift_id, subscription_id, ""


def _invoice_paid(invoice: dict) -> str:
    gift_id, subscription_id, outcome = _invoice_gift(invoice)
    if gift_id is None:
        return outcome
    # The renewal may come before the checkout's completion: the invoice knows the donor.
    recording.attach_donor(
        gift_id=gift_id,
        email=invoice.get("customer_email") or "",
        customer_id=invoice.get("customer") or "",
        subscription_id=subscription_id,
    )
    transitions = invoice.get("status_transitions") or {}
    payment = recording.record_payment(
        gift_id=gift_id,
        provider_id=invoice["id"],
        amount=_money(invoice.get("amount_paid")),
        currency=invoice["currency"],
        paid_at=_when(transitions.get("paid_at") or invoice.get("created")),
    )
    return "payment recorded" if payment else "payment known"


def _invoice_failed(invoice: dict) -> str:
    gift_id, _subscription_id, outcome = _invoice_gift(invoice)
    if gift_id is None:
        return outcome
    payment = recording.record_payment(
        gift_id=gift_id,
        provider_id=invoice["id"],
        amount=_money(invoice.get("amount_due")),
        currency=invoice["currency"],
        succeeded=False,
    )
    return "renewal failed" if payment else "failure known"


def _subscription_ended(subscription: dict) -> str:
    gift_id = _gift_id(subscription, subscription_id=subscription["id"])
    if gift_id is None:
        return _unknown(subscription)
    at = _when(subscription.get("ended_at") or subscription.get("canceled_at"))
    stopped = recording.record_cancellation(gift_id=gift_id, at=at)
    return "cancelled" if stopped else "cancellation known"


def _subscription_updated(subscription: dict) -> str:
    if subscription.get("status") != "canceled":
        return "no change for us"
    return _subscription_ended(subscription)


def _charge_refunded(charge: dict) -> str:
    if not charge.get("refunded"):
        return "partial refund, payment kept"
    intent = charge.get("payment_intent") or ""
    payment_id = _payment_for(intent)
    if payment_id is None:
        return _unknown(charge)
    return "refunded" if recording.record_refund(payment_id=payment_id) else "refund known"


def _payment_for(intent: str) -> int | None:
    """Our payment a PaymentIntent paid: a one-time gift's is known by the intent; a
    subscription's by its invoice, which since API version 2025-03-31 a charge no longer
    names, so Stripe is asked (an error answers 500, and Stripe retries the event)."""
    if not intent:
        return None
    ours = Payment.objects.filter(gift__provider=Gift.Provider.STRIPE)
    found = ours.filter(provider_id=intent).values_list("pk", flat=True).first()
    if found:
        return found
    paid = client().v1.invoice_payments.list(
        {"payment": {"type": "payment_intent", "payment_intent": intent}, "limit": 1}
    )
    invoices = [item.invoice for item in paid.data]
    return ours.filter(provider_id__in=invoices).values_list("pk", flat=True).first()


HANDLERS = {
    "checkout.session.completed": _session_completed,
    "checkout.session.async_payment_succeeded": _session_async_succeeded,
    "checkout.session.async_payment_failed": _session_async_failed,
    "checkout.session.expired": _session_expired,
    "invoice.paid": _invoice_paid,
    "invoice.payment_failed": _invoice_failed,
    "customer.subscription.deleted": _subscription_ended,
    "customer.subscription.updated": _subscription_updated,
    "charge.refunded": _charge_refunded,
}
