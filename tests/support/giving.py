"""Gifts made the way production makes them: through gazette.support.recording."""

from decimal import Decimal
from itertools import count

from gazette.support import recording
from gazette.support.models import Gift

_ids = count(1)


def give(
    email: str,
    *,
    frequency: str = "monthly",
    amount: str = "5",
    currency: str = "usd",
    name: str = "",
    article_id: int | None = None,
    payments: int = 1,
    provider: str = "test",
) -> Gift:
    """A completed gift from ``email`` with ``payments`` successful payments."""
    gift = recording.start_gift(
        frequency=frequency,
        amount=Decimal(amount),
        currency=currency,
        provider=provider,
        article_id=article_id,
    )
    number = next(_ids)
    recording.attach_donor(
        gift_id=gift.pk,
        email=email,
        name=name,
        customer_id=f"cus_{number}",
        checkout_id=f"cs_{number}",
        subscription_id=f"sub_{number}" if frequency != "once" else "",
    )
    for payment in range(payments):
        recording.record_payment(
            gift_id=gift.pk,
            provider_id=f"in_{number}_{payment}",
            amount=Decimal(amount),
            currency=currency,
        )
    gift.refresh_from_db()
    return gift
