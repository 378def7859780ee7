"""What the newsroom does with a donor's record on request or by rule: export it, erase
it, purge the records of lapsed donors, and re-seal them all under a new key. The
`gazette support` command and the Wagtail admin call these same functions.

Erasure and purge remove the person, not the money. The donor row (sealed email and name,
the lookup hash, the provider's customer id) is deleted. Their gifts and payments stay,
because a newsroom must account for what it received and the dashboard counts them, but
nothing in them leads back to a person any more: the gift loses its donor and the
provider's checkout and subscription ids, and each payment's provider id is replaced (with
those ids, anyone holding the provider's records could name the donor). Kept: amounts,
currency, frequency, status, dates, language and the article the gift started from.
The provider keeps its own records of the payment; erasing them there is done in the
provider's dashboard (README, "Donor data").
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from . import crypto
from .models import Donor, Gift, Payment
from .providers import ProviderError, provider

logger = logging.getLogger(__name__)

ROTATE_BATCH = 500


def _date(value):
    return value.isoformat() if value else None


def donor_data(donor: Donor) -> dict:
    """Everything stored about ``donor``, as the person would receive it (an access
    request): their email and name, their gifts, each gift's payments, and the article
    each gift started from."""
    gifts = donor.gifts.select_related("article").prefetch_related("payments").order_by("pk")
    return {
        "donor": {
            "id": donor.pk,
            "email": donor.email,
            "name": donor.name,
            "language": donor.language,
            "payment_provider_customer_id": donor.customer_id,
            "first_gift": _date(donor.created_at),
            "last_activity": _date(donor.last_activity_at),
        },
        "gifts": [
            {
                "id": gift.pk,
                "frequency": gift.frequency,
                "amount": str(gift.amount),
                "fee_covered": str(gift.fee_covered),
                "currency": gift.currency,
                "status": gift.status,
                "provider": gift.provider,
                "checkout_id": gift.checkout_id,
                "subscription_id": gift.subscription_id,
                "started_from": (
                    {"id": gift.article.pk, "title": gift.article.title, "path": gift.article.url}
                    if gift.article
                    else None
                ),
                "language": gift.language,
                "created": _date(gift.created_at),
                "started": _date(gift.started_at),
                "ended": _date(gift.ended_at),
                "payments": [
                    {
                        "provider_id": payment.provider_id,
                        "amount": str(payment.amount),
                        "currency": payment.currency,
                        "status": payment.status,
                        "date": _date(payment.paid_at),
                        "receipt_sent": _date(payment.receipt_sent_at),
                    }
                    for payment in sorted(gift.payments.all(), key=lambda item: item.pk)
                ],
            }
            for gift in gifts
        ],
    }


class StillActive(Exception):
    """A recurring gift could not be stopped at the provider, so the donor was kept: erasing
    them would leave a subscription charging someone we could no longer identify."""


@dataclass
class Erasure:
    gifts: int = 0
    payments: int = 0
    cancelled: list[int] = field(default_factory=list)  # gifts stopped at the provider

    def __str__(self) -> str:
        stopped = (
            f" Stopped {len(self.cancelled)} recurring gift(s) first." if self.cancelled else ""
        )
        return (
            f"Erased the donor.{stopped} Kept, unlinked from any person: {self.gifts} "
            f"gift(s) and {self.payments} payment(s) (amounts, dates, currency)."
        )


def erase_donor(donor: Donor) -> Erasure:
    """Stop the donor's running recurring gifts at the provider, then forget the donor
    (see the module's docstring for what stays). Raises ``StillActive`` if a provider
    refuses to stop a gift; nothing is erased then."""
    result = Erasure()
    for gift in donor.gifts.filter(status__in=(Gift.Status.ACTIVE, Gift.Status.PAST_DUE)):
        if not gift.recurring:
            continue
        try:
            provider(gift.provider).cancel(gift)
        except ProviderError as error:
            raise StillActive(
                f"Gift {gift.pk} could not be stopped at the provider ({error}); nothing "
                "was erased. Try again, or stop it in the provider's dashboard first."
            ) from error
        result.cancelled.append(gift.pk)
    result.gifts, result.payments = _forget(donor.pk)
    return result


@transaction.atomic
def _forget(donor_id: int) -> tuple[int, int]:
    gifts = Gift.objects.select_for_update().filter(donor_id=donor_id)
    gift_ids = list(gifts.values_list("pk", flat=True))
    # The provider's payment id would name the donor to anyone holding the provider's
    # records; "erased-<our id>" keeps each payment distinct (unique per gift).
    payment_count = Payment.objects.filter(gift_id__in=gift_ids).update(
        provider_id=Concat(Value("erased-"), Cast("pk", CharField()))
    )
    Gift.objects.filter(pk__in=gift_ids).update(donor=None, checkout_id=None, subscription_id=None)
    Donor.objects.filter(pk=donor_id).delete()
    return len(gift_ids), payment_count


def purge_lapsed(now=None) -> int:
    """Forget every donor with no active gift and no payment or change for
    GAZETTE_DONOR_RETENTION_DAYS; returns how many. Their gifts stay, unlinked."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.GAZETTE_DONOR_RETENTION_DAYS)
    count = 0
    for donor_id in Donor.objects.purgeable(before=before).values_list("pk", flat=True):
        _forget(donor_id)
        count += 1
    return count


def purge_daily() -> bool:
    """The worker clock's job: purge once a day. False if it ran today already or another
    worker holds the lock. Purging twice is harmless; the day's mark only saves queries."""
    from django.core.cache import cache

    from gazette.publishing.locks import exclusive

    key = f"support:purged:{timezone.now().date().isoformat()}"
    if cache.get(key):
        return False
    with exclusive("gazette.support.purge") as acquired:
        if not acquired:
            return False
        purged = purge_lapsed()
        if purged:
            logger.info("Purged %s lapsed donor record(s).", purged)
        cache.set(key, 1, timeout=86400)
        return True


@dataclass
class Rotation:
    resealed: int = 0
    current: int = 0
    unreadable: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        text = (
            f"Re-sealed {self.resealed} donor record(s) with the first key; "
            f"{self.current} already were."
        )
        if self.unreadable:
            text += (
                f" {len(self.unreadable)} could not be opened with any configured key "
                f"(donor ids {', '.join(map(str, self.unreadable))}): put back the key "
                "they were sealed with and run rotate-keys again."
            )
        return text


def rotate_keys() -> Rotation:
    """Re-seal every donor's email and name with the first of GAZETTE_DONOR_KEYS and file
    them under the first key's lookup hash. In batches, each committed by itself, and
    records already under the first key are skipped: interrupted, it is simply run again."""
    result = Rotation()
    last = 0
    while True:
        with transaction.atomic():
            batch = list(
                Donor.objects.select_for_update().filter(pk__gt=last).order_by("pk")[:ROTATE_BATCH]
            )
            for donor in batch:
                _rotate(donor, result)
        if not batch:
            return result
        last = batch[-1].pk


def _rotate(donor: Donor, result: Rotation) -> None:
    try:
        email = donor.email
        digest = crypto.email_digest(email)
        if (
            crypto.sealed_with_newest(donor.email_sealed)
            and crypto.sealed_with_newest(donor.name_sealed)
            and digest == donor.email_digest
        ):
            result.current += 1
            return
        donor.email_sealed = crypto.reseal(donor.email_sealed)
        donor.name_sealed = crypto.reseal(donor.name_sealed)
    except crypto.InvalidToken:
        result.unreadable.append(donor.pk)
        return
    donor.email_digest = digest
    donor.save(update_fields=["email_sealed", "name_sealed", "email_digest"])
    result.resealed += 1
