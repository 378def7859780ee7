"""Stripe's webhooks: payloads kept as JSON fixtures shaped like Stripe's (API version
2026-10-28.endive), signed the way Stripe signs them, posted to the real endpoint."""

import hashlib
import hmac
import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test import Client

from gazette.support import recording
from gazette.support.models import Donor, Gift, Payment, ProviderEvent
from tests.support.stripe_stub import StripeStub

URL = "/donate/webhooks/stripe/"
SECRET = "whsec_test_gazette"
EVENTS = Path(__file__).parent / "stripe_events"

# Serialized rollback, like every transactional test here: a plain flush recreates the
# content types under new ids, which a later serialized test's restore then collides with.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.GAZETTE_STRIPE_WEBHOOK_SECRET = SECRET


def payload(name: str, gift: Gift | None) -> str:
    text = (EVENTS / f"{name}.json").read_text()
    return text.replace("__GIFT__", str(gift.pk) if gift else "999999")


def sign(body: str, *, secret: str = SECRET, at: int | None = None) -> str:
    """Stripe's scheme: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    at = at or int(time.time())
    digest = hmac.new(secret.encode(), f"{at}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def post(name: str, gift: Gift | None, *, client: Client | None = None):
    body = payload(name, gift)
    return (client or Client()).post(
        URL, data=body, content_type="application/json", HTTP_STRIPE_SIGNATURE=sign(body)
    )


def start(frequency: str, amount: str) -> Gift:
    return recording.start_gift(
        frequency=frequency, amount=Decimal(amount), currency="usd", provider="stripe"
    )


def state(gift_pk: int) -> tuple:
    """All a webhook may change, to compare before and after a replay."""
    gift = Gift.objects.filter(pk=gift_pk).values().first()
    payments = list(
        Payment.objects.filter(gift_id=gift_pk)
        .order_by("provider_id")
        .values_list("provider_id", "status", "amount", "receipt_sent_at")
    )
    donors = list(Donor.objects.values_list("email_digest", "name_sealed", "customer_id"))
    return gift, payments, donors, [(m.to, m.subject) for m in mail.outbox]


def subscribed() -> Gift:
    gift = start("monthly", "5")
    assert post("checkout_session_completed_subscription", gift).status_code == 200
    return gift


def paid_statuses(gift: Gift) -> dict[str, str]:
    return dict(gift.payments.values_list("provider_id", "status"))


FIRST = {"in_VeraFirst": "succeeded"}
S = Gift.Status

# Each handler: what comes before its event, then the gift's status, its payments and the
# number of receipts the event must leave.
CASES = {
    "checkout_session_completed_payment": (
        lambda: start("once", "25"),
        (S.PAID, {"pi_3Once01": "succeeded"}, 1),
    ),
    "checkout_session_completed_subscription": (
        lambda: start("monthly", "5"),
        (S.ACTIVE, FIRST, 1),
    ),
    "checkout_session_async_payment_succeeded": (
        lambda: _unpaid_checkout(),
        (S.PAID, {"pi_3Once02": "succeeded"}, 1),
    ),
    "checkout_session_async_payment_failed": (lambda: _unpaid_checkout(), (S.DECLINED, {}, 0)),
    "invoice_paid_renewal": (subscribed, (S.ACTIVE, {**FIRST, "in_VeraRenewal1": "succeeded"}, 2)),
    "invoice_payment_failed": (subscribed, (S.PAST_DUE, {**FIRST, "in_VeraRenewal2": "failed"}, 1)),
    "charge_refunded_once": (lambda: _paid_once(), (S.PAID, {"pi_3Once01": "refunded"}, 1)),
    "customer_subscription_deleted": (subscribed, (S.CANCELLED, FIRST, 1)),
    "customer_subscription_updated_canceled": (subscribed, (S.CANCELLED, FIRST, 1)),
}


def _paid_once() -> Gift:
    gift = start("once", "25")
    assert post("checkout_session_completed_payment", gift).content == b"payment recorded"
    return gift


def _unpaid_checkout() -> Gift:
    gift = start("once", "25")
    assert post("checkout_session_completed_unpaid", gift).status_code == 200
    gift.refresh_from_db()
    assert gift.status == Gift.Status.PENDING and gift.donor is not None
    return gift


@pytest.mark.parametrize("name", CASES)
def test_every_handler_acts_once_and_a_replay_changes_nothing(name):
    before, expected = CASES[name]
    gift = before()

    first = post(name, gift)
    assert first.status_code == 200
    gift = Gift.objects.get(pk=gift.pk)
    assert (gift.status, paid_statuses(gift), len(mail.outbox)) == expected, first.content
    if gift.status == S.CANCELLED:
        assert gift.ended_at is not None
    after_first = state(gift.pk)

    replay = post(name, gift)  # a fresh signature on the same event, as Stripe retries
    assert replay.status_code == 200 and replay.content.startswith(b"duplicate")
    assert state(gift.pk) == after_first
    event_id = json.loads(payload(name, gift))["id"]
    assert ProviderEvent.objects.filter(provider="stripe", event_id=event_id).count() == 1


def test_a_completed_checkout_keeps_who_gave_sealed_and_the_amount_stripe_took():
    gift = start("once", "25")
    post("checkout_session_completed_payment", gift)
    gift.refresh_from_db()
    assert gift.checkout_id == "cs_test_once01"
    # The cardholder's name Stripe reports is not kept (only a name the donor gives us).
    assert (gift.donor.email, gift.donor.name) == ("vera.donor@example.org", "")
    assert gift.payments.get().amount == Decimal("25")
    assert mail.outbox[0].to == ["vera.donor@example.org"]


def test_an_expired_checkout_removes_the_gift_that_never_began_and_a_replay_is_harmless():
    gift = start("once", "10")
    assert post("checkout_session_expired", gift).content == b"abandoned gift removed"
    assert not Gift.objects.filter(pk=gift.pk).exists()
    replay = post("checkout_session_expired", gift)
    assert replay.status_code == 200 and replay.content.startswith(b"duplicate")
    assert ProviderEvent.objects.get(event_id="evt_1SessionExpired").outcome == (
        "abandoned gift removed"
    )


def test_an_expired_checkout_keeps_a_gift_that_got_a_donor_meanwhile():
    gift = _unpaid_checkout()
    assert post("checkout_session_expired", gift).content == b"expired, gift kept"
    assert Gift.objects.get(pk=gift.pk).donor is not None


def test_a_renewal_before_the_checkout_completion_makes_one_donor_gift_and_receipt_each():
    gift = start("monthly", "5")
    # Stripe does not promise order: the renewal, then the first invoice, then the session.
    for name in (
        "invoice_paid_renewal",
        "invoice_paid_first",
        "checkout_session_completed_subscription",
    ):
        assert post(name, gift).status_code == 200
    gift.refresh_from_db()
    assert Gift.objects.count() == 1 and Donor.objects.count() == 1
    assert gift.status == Gift.Status.ACTIVE and gift.subscription_id == "sub_Vera01"
    assert gift.checkout_id == "cs_test_monthly01"
    assert gift.donor.customer_id == "cus_Vera01"
    # The session's first payment and the first invoice's are the same payment.
    assert paid_statuses(gift) == {"in_VeraFirst": "succeeded", "in_VeraRenewal1": "succeeded"}
    assert sorted(gift.payments.values_list("amount", flat=True)) == [Decimal("5")] * 2
    assert len(mail.outbox) == 2
    assert all(message.to == ["vera.donor@example.org"] for message in mail.outbox)
    assert gift.payments.filter(receipt_sent_at__isnull=True).count() == 0


def test_a_failed_renewal_that_stripe_retries_successfully_is_one_payment_and_one_receipt():
    gift = subscribed()
    post("invoice_payment_failed", gift)
    post("invoice_paid_retried", gift)
    gift.refresh_from_db()
    assert gift.status == Gift.Status.ACTIVE
    assert paid_statuses(gift) == {"in_VeraFirst": "succeeded", "in_VeraRenewal2": "succeeded"}
    assert len(mail.outbox) == 2


def test_a_partial_refund_leaves_the_payment_counted():
    gift = _paid_once()
    assert post("charge_refunded_partly", gift).content == b"partial refund, payment kept"
    assert paid_statuses(gift) == {"pi_3Once01": "succeeded"}


def test_a_refunded_renewal_is_found_through_its_invoice_at_stripe(settings):
    gift = subscribed()
    post("invoice_paid_renewal", gift)
    settings.GAZETTE_STRIPE_SECRET_KEY = "sk_test_gazette"
    with StripeStub() as stub:
        settings.GAZETTE_STRIPE_API_BASE = stub.url
        stub.invoice_payments["pi_3Renewal1"] = "in_VeraRenewal1"
        assert post("charge_refunded_renewal", gift).content == b"refunded"
        assert post("charge_refunded_renewal", gift).content == b"duplicate: refunded"
        [asked] = stub.calls("GET", "/v1/invoice_payments")
    assert asked.form["payment[payment_intent]"] == "pi_3Renewal1"
    assert paid_statuses(gift) == {"in_VeraFirst": "succeeded", "in_VeraRenewal1": "refunded"}
    assert len(mail.outbox) == 2  # the two payments' receipts, nothing for the refund


def test_a_subscription_update_other_than_cancelling_is_stored_and_changes_nothing():
    gift = subscribed()
    before = state(gift.pk)
    assert post("customer_subscription_updated_past_due", gift).content == b"no change for us"
    assert state(gift.pk) == before
    assert ProviderEvent.objects.filter(event_id="evt_1SubscriptionPastDue").exists()


def test_an_unknown_event_type_is_answered_200_and_stored_as_ignored():
    gift = start("once", "25")
    response = post("payment_intent_created", gift)
    assert response.status_code == 200 and response.content == b"ignored"
    event = ProviderEvent.objects.get(event_id="evt_1IntentCreated")
    assert (event.provider, event.type, event.outcome) == (
        "stripe",
        "payment_intent.created",
        "ignored",
    )
    gift.refresh_from_db()
    assert gift.status == Gift.Status.PENDING and not gift.payments.exists()


def test_an_event_for_a_gift_not_ours_is_answered_and_changes_nothing():
    response = post("checkout_session_completed_payment", None)
    assert response.status_code == 200 and response.content == b"no gift"
    assert not Donor.objects.exists() and not Payment.objects.exists() and not mail.outbox


def _forgeries(body: str) -> dict[str, str | None]:
    return {
        "wrong secret": sign(body, secret="whsec_someone_else"),
        "no signature": None,
        "garbage": "t=1,v1=deadbeef",
        "too old (a captured request replayed)": sign(body, at=int(time.time()) - 3600),
        "signature of another body": sign(body.replace("25", "26")),
    }


@pytest.mark.parametrize("forgery", list(_forgeries("")))
def test_a_forged_or_unsigned_event_is_refused_and_nothing_is_stored(forgery):
    gift = start("once", "25")
    body = payload("checkout_session_completed_payment", gift)
    headers = {}
    signature = _forgeries(body)[forgery]
    if signature is not None:
        headers["HTTP_STRIPE_SIGNATURE"] = signature
    response = Client().post(URL, data=body, content_type="application/json", **headers)
    assert response.status_code == 400
    assert not ProviderEvent.objects.exists() and not Payment.objects.exists()
    assert Gift.objects.get(pk=gift.pk).status == Gift.Status.PENDING and not mail.outbox


def test_without_a_webhook_secret_every_event_is_refused(settings):
    settings.GAZETTE_STRIPE_WEBHOOK_SECRET = ""
    gift = start("once", "25")
    assert post("checkout_session_completed_payment", gift).status_code == 400
    assert not ProviderEvent.objects.exists()


def test_an_event_that_fails_half_way_leaves_nothing_and_stripes_retry_succeeds(monkeypatch):
    gift = start("once", "25")

    def broken(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(recording, "record_payment", broken)
    response = post(
        "checkout_session_completed_payment", gift, client=Client(raise_request_exception=False)
    )
    assert response.status_code == 500
    # The donor attached before the failure went with it, and so did the event.
    assert not ProviderEvent.objects.exists() and not Donor.objects.exists()
    assert Gift.objects.get(pk=gift.pk).donor is None

    monkeypatch.undo()
    assert post("checkout_session_completed_payment", gift).status_code == 200
    gift.refresh_from_db()
    assert gift.status == Gift.Status.PAID and len(mail.outbox) == 1


def test_stored_events_hold_no_donor_data():
    gift = start("once", "25")
    post("checkout_session_completed_payment", gift)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM support_providerevent")
        raw = repr(cursor.fetchall()).lower()
    assert "evt_1sessionpaid" in raw
    assert "vera" not in raw and "example.org" not in raw
