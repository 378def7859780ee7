"""The one path for gift changes: idempotent, order-proof, sealed donor data."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from gazette.support import recording
from gazette.support.models import Donor, Gift, Payment
from gazette.support.receipts import send_receipt


def monthly_gift() -> Gift:
    return recording.start_gift(
        frequency="monthly", amount=Decimal("5"), currency="usd", provider="test"
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_payment_reported_twice_is_one_payment_and_one_receipt():
    gift = monthly_gift()
    recording.attach_donor(gift_id=gift.pk, email="Ana@Example.org", subscription_id="sub_1")
    for _ in range(2):
        recording.record_payment(
            gift_id=gift.pk, provider_id="in_1", amount=Decimal("5"), currency="usd"
        )
    gift.refresh_from_db()
    assert gift.status == Gift.Status.ACTIVE and gift.payments.count() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]
    assert "/donate/manage/" in mail.outbox[0].body


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_renewal_before_the_checkout_completes_still_makes_one_donor_and_gift():
    gift = monthly_gift()
    recording.record_payment(
        gift_id=gift.pk, provider_id="in_2", amount=Decimal("5"), currency="usd"
    )
    recording.attach_donor(gift_id=gift.pk, email="ana@example.org", subscription_id="sub_2")
    recording.attach_donor(gift_id=gift.pk, email="ana@example.org", subscription_id="sub_2")
    gift.refresh_from_db()
    assert gift.status == Gift.Status.ACTIVE and Donor.objects.count() == 1
    assert Payment.objects.count() == 1
    # The receipt waited for the donor, and went once.
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]
    assert send_receipt(Payment.objects.get().pk) is False


@pytest.mark.django_db
def test_a_cancellation_twice_changes_nothing_the_second_time():
    gift = monthly_gift()
    recording.attach_donor(gift_id=gift.pk, email="ana@example.org", subscription_id="sub_3")
    assert recording.record_cancellation(gift_id=gift.pk) is True
    assert recording.record_cancellation(gift_id=gift.pk) is False
    gift.refresh_from_db()
    assert gift.status == Gift.Status.CANCELLED and gift.ended_at is not None


@pytest.mark.django_db
def test_the_donor_table_holds_no_email_or_name_in_plain_text():
    gift = monthly_gift()
    recording.attach_donor(
        gift_id=gift.pk, email="secret.donor@example.org", name="Vera Secret", subscription_id="s"
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM support_donor")
        raw = repr(cursor.fetchall())
    assert "secret.donor" not in raw and "Vera" not in raw and "Secret" not in raw
    donor = Donor.objects.get()
    assert donor.email == "secret.donor@example.org" and donor.name == "Vera Secret"
    assert Donor.objects.for_email(" SECRET.donor@example.org").get() == donor
