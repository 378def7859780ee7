"""The built-in test provider: a checkout that walks through success, decline and cancel
on our own pages, with no network and no money. For the demo and the browser tests;
clearly labelled as test mode, and production refuses to start with it enabled
(settings.py). A recurring test gift renews only when told to (``gazette support``)."""

from decimal import Decimal

from .. import recording
from ..models import Gift


def cancel(gift: Gift) -> None:
    recording.record_cancellation(gift_id=gift.pk)


def change(gift: Gift, *, amount: Decimal, frequency: str) -> None:
    recording.record_change(gift_id=gift.pk, amount=amount, frequency=frequency)
