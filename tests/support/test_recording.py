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


class RefusingBackend:
    """A mail backend whose server refuses the recipient, naming it, as SMTP servers do."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        import smtplib

        raise smtplib.SMTPRecipientsRefused(
            {messages[0].to[0]: (550, b"5.1.1 <" + messages[0].to[0].encode() + b">: unknown")}
        )


@pytest.mark.django_db
def test_a_refused_receipt_fails_without_the_address_in_the_error(settings, caplog):
    import traceback

    from gazette.support.receipts import MailFailed

    gift = monthly_gift()
    recording.attach_donor(gift_id=gift.pk, email="hidden.donor@example.org", subscription_id="s")
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"
    payment = recording.record_payment(
        gift_id=gift.pk, provider_id="in_9", amount=Decimal("5"), currency="usd"
    )
    with pytest.raises(MailFailed) as failure:
        send_receipt(payment.pk)
    # What a task backend stores for a failed task: the formatted exception.
    stored = "".join(traceback.format_exception(failure.value))
    assert "hidden.donor" not in stored and "hidden.donor" not in caplog.text
    assert "550" in stored and f"payment {payment.pk}" in stored
    payment.refresh_from_db()
    assert payment.receipt_sent_at is None  # left for a later try


@pytest.mark.django_db
def test_a_subscription_is_active_only_once_money_came_in():
    gift = monthly_gift()
    recording.attach_donor(gift_id=gift.pk, email="ana@example.org", subscription_id="sub_5")
    gift.refresh_from_db()
    assert gift.status == Gift.Status.PENDING  # e.g. a bank debit still clearing
    recording.record_payment(
        gift_id=gift.pk, provider_id="in_5", amount=Decimal("5"), currency="usd"
    )
    gift.refresh_from_db()
    assert gift.status == Gift.Status.ACTIVE


@pytest.mark.django_db
def test_a_donor_whose_renewal_failed_is_not_purged():
    from datetime import timedelta

    from django.utils import timezone

    gift = monthly_gift()
    recording.attach_donor(gift_id=gift.pk, email="ana@example.org", subscription_id="sub_6")
    recording.record_payment(
        gift_id=gift.pk, provider_id="in_6", amount=Decimal("5"), currency="usd"
    )
    recording.record_payment(
        gift_id=gift.pk, provider_id="in_7", amount=Decimal("5"), currency="usd", succeeded=False
    )
    gift.refresh_from_db()
    assert gift.status == Gift.Status.PAST_DUE
    Donor.objects.update(last_activity_at=timezone.now() - timedelta(days=2000))
    later = timezone.now()
    assert not Donor.objects.purgeable(before=later).exists()
    recording.record_cancellation(gift_id=gift.pk)
    Donor.objects.update(last_activity_at=timezone.now() - timedelta(days=2000))
    assert Donor.objects.purgeable(before=later).count() == 1


def test_no_payment_method_is_offered_without_donor_keys(settings):
    from gazette.support.providers import available

    settings.GAZETTE_SUPPORT_TEST_PROVIDER = True
    assert available() == ["test"]
    settings.GAZETTE_DONOR_KEYS = []
    assert available() == []


@pytest.mark.django_db
def test_a_late_event_does_not_bring_an_erased_donor_back():
    from gazette.support.donor_records import erase_donor

    gift = recording.start_gift(
        frequency="once", amount=Decimal("5"), currency="usd", provider="test"
    )
    recording.attach_donor(gift_id=gift.pk, email="gone@example.org")
    recording.record_payment(
        gift_id=gift.pk, provider_id="pi_1", amount=Decimal("5"), currency="usd"
    )
    erase_donor(Donor.objects.get())
    recording.attach_donor(gift_id=gift.pk, email="gone@example.org", name="Gone")
    assert not Donor.objects.exists()
    gift.refresh_from_db()
    assert gift.donor_id is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_receipt_that_did_not_go_is_sent_by_a_later_sweep_once(settings):
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    from gazette.support.receipts import MailFailed, retry_unsent_receipts

    gift = monthly_gift()
    recording.attach_donor(gift_id=gift.pk, email="late@example.org", subscription_id="s_l")
    settings.EMAIL_BACKEND = f"{__name__}.RefusingBackend"  # the mail server is down
    payment = recording.record_payment(
        gift_id=gift.pk, provider_id="in_l", amount=Decimal("5"), currency="usd"
    )
    with pytest.raises(MailFailed):
        send_receipt(payment.pk)  # what the task tried
    assert mail.outbox == []
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert retry_unsent_receipts() == 0  # too soon: the payment's own task may still run
    cache.clear()
    Payment.objects.filter(pk=payment.pk).update(paid_at=timezone.now() - timedelta(hours=1))
    assert retry_unsent_receipts() == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["late@example.org"]
    cache.clear()
    assert retry_unsent_receipts() == 0  # sent: nothing left to send
    assert len(mail.outbox) == 1
