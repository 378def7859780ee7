"""The support app's models: the appeal and its amounts (``appeal``), and donors, gifts,
payments and provider events (``donations``)."""

from .appeal import Frequency, SupportSettings
from .donations import Donor, Gift, Payment, ProviderEvent
from .pages import SupportPage

__all__ = [
    "Donor",
    "Frequency",
    "Gift",
    "Payment",
    "ProviderEvent",
    "SupportPage",
    "SupportSettings",
]
