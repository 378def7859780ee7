"""The one path for every change to a gift: starting a checkout, a completed checkout, a
payment, a failed renewal, a cancellation. Views, webhooks, the test provider and commands
call these; each is atomic and idempotent (called twice with the same provider ids, it
changes nothing the second time), and mail goes out only on commit.

Events may arrive in any order: a renewal's invoice can come before the checkout's
completion. So every function finds its gift by our own id (sent to the provider as
metadata when the checkout is created) and brings the gift forward from whatever state it
is in, never back.
"""

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import Donor, Frequency, Gift, Payment


def start_gift(
    *,
    frequency: str,
    amount: Decimal,
    currency: str,
    fee_covered: Decimal = Decimal(0),
    provider: str,
    article_id: int | None = None,
    language: str = "en",
) -> Gift:
    """A pending gift, made when a reader presses Continue (values already validated)."""
    return Gift.objects.create(
        frequency=frequency,
        amount=amount,
        currency=currency.upper(),
        fee_covered=fee_covered,
        provider=provider,
        article_id=article_id,
        language=language,
    )


def _locked(gift_id: int) -> Gift:
    return Gift.objects.select_for_update().get(pk=gift_id)


def _donor(*, email: str, name: str = "", customer_id: str = "", language: str) -> Donor:
    donor = Donor.objects.for_email(email).select_for_update().first()
    if donor is None:
        donor = Donor(language=language)
        donor.email = email
    if name and not donor.name_sealed:
        donor.name = name
    if customer_id:
        donor.customer_id = customer_id
    donor.last_activity_at = timezone.now()
    donor.save()
    return donor


@transaction.atomic
def attach_donor(
    *,
    gift_id: int,
    email: str,
    name: str = "",
    customer_id: str = "",
    checkout_id: str = "",
    subscription_id: str = "",
) -> Gift:
    """Who gave, once the provider tells us (a completed checkout, or an invoice that came
    first). Keeps the ids the provider knows the gift by."""
    from .receipts import send_receipt_later

    gift = _locked(gift_id)
    if gift.donor_id is None and gift.payments.filter(provider_id__startswith="erased-").exists():
        # Its donor was erased or purged (donor_records.py): a late event naming the gift
        # must not bring the person back.
        return gift
    if gift.donor_id is None and email:
        gift.donor = _donor(email=email, name=name, customer_id=customer_id, language=gift.language)
        # Payments reported before we knew the donor get their receipts now.
        for payment in gift.payments.filter(
            status=Payment.Status.SUCCEEDED, receipt_sent_at__isnull=True
        ):
            send_receipt_later(payment)
    if checkout_id and not gift.checkout_id:
        gift.checkout_id = checkout_id
    if subscription_id and not gift.subscription_id:
        gift.subscription_id = subscription_id
    gift.save()
    return gift


@transaction.atomic
def record_payment(
    *,
    gift_id: int,
    provider_id: str,
    amount: Decimal,
    currency: str,
    paid_at: datetime | None = None,
    succeeded: bool = True,
) -> Payment | None:
    """A payment of the gift (its first, or a renewal), once per ``provider_id``. Returns
    the new payment, or None if it was recorded before. A receipt follows on commit."""
    from .receipts import send_receipt_later

    gift = _locked(gift_id)
    payment, created = Payment.objects.get_or_create(
        gift=gift,
        provider_id=provider_id,
        defaults={
            "amount": amount,
            "currency": currency.upper(),
            "status": Payment.Status.SUCCEEDED if succeeded else Payment.Status.FAILED,
            "paid_at": paid_at or timezone.now(),
        },
    )
    if not created:
        if succeeded and payment.status == Payment.Status.FAILED:
            # A retried renewal that went through after all.
            payment.status = Payment.Status.SUCCEEDED
            payment.save(update_fields=["status"])
            send_receipt_later(payment)
            _bring_forward(gift, succeeded=True)
            return payment
        return None
    _bring_forward(gift, succeeded=succeeded)
    if succeeded:
        send_receipt_later(payment)
    return payment


def _bring_forward(gift: Gift, *, succeeded: bool) -> None:
    now = timezone.now()
    if succeeded:
        if gift.frequency == Frequency.ONCE:
            if gift.status in (Gift.Status.PENDING, Gift.Status.DECLINED):
                gift.status = Gift.Status.PAID
                gift.started_at = gift.started_at or now
                gift.ended_at = gift.ended_at or now
        elif gift.status in (Gift.Status.PENDING, Gift.Status.PAST_DUE, Gift.Status.DECLINED):
            gift.status = Gift.Status.ACTIVE
            gift.started_at = gift.started_at or now
    elif gift.recurring and gift.status == Gift.Status.ACTIVE:
        gift.status = Gift.Status.PAST_DUE
    elif gift.status == Gift.Status.PENDING:
        gift.status = Gift.Status.DECLINED
    gift.save()
    if gift.donor_id:
        Donor.objects.filter(pk=gift.donor_id).update(last_activity_at=now)


@transaction.atomic
def record_decline(*, gift_id: int) -> Gift:
    """A checkout whose payment was declined: the gift stays unpaid (a later success may
    still bring it forward)."""
    gift = _locked(gift_id)
    if gift.status == Gift.Status.PENDING:
        gift.status = Gift.Status.DECLINED
        gift.save(update_fields=["status"])
    return gift


@transaction.atomic
def record_cancellation(*, gift_id: int, at: datetime | None = None) -> bool:
    """A recurring gift stopped (by the donor, staff or the provider). True if it was
    running; a second call changes nothing."""
    gift = _locked(gift_id)
    if not gift.recurring or gift.status == Gift.Status.CANCELLED:
        return False
    gift.status = Gift.Status.CANCELLED
    gift.ended_at = at or timezone.now()
    gift.save(update_fields=["status", "ended_at"])
    if gift.donor_id:
        Donor.objects.filter(pk=gift.donor_id).update(last_activity_at=timezone.now())
    return True


@transaction.atomic
def record_change(*, gift_id: int, amount: Decimal, frequency: str) -> Gift:
    """A recurring gift's new amount or frequency, once the provider has taken it."""
    gift = _locked(gift_id)
    gift.amount = amount
    gift.frequency = frequency
    gift.save(update_fields=["amount", "frequency"])
    return gift


@transaction.atomic
def record_abandoned(*, gift_id: int) -> bool:
    """A checkout that expired unpaid: the gift never began, so nothing about it is kept
    (we keep the minimum). A gift that got a donor or a payment meanwhile stays. True if
    it was removed; a second call finds nothing to remove."""
    gift = Gift.objects.select_for_update().filter(pk=gift_id).first()
    if gift is None or gift.status != Gift.Status.PENDING:
        return False
    if gift.donor_id is not None or gift.payments.exists():
        return False
    gift.delete()
    return True


@transaction.atomic
def record_refund(*, payment_id: int) -> bool:
    """A payment given back in full. True if it was counted as received until now; a
    second call changes nothing. (A partial refund leaves the payment as it is.)"""
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    if payment.status != Payment.Status.SUCCEEDED:
        return False
    payment.status = Payment.Status.REFUNDED
    payment.save(update_fields=["status"])
    return True
