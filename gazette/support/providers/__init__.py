"""Payment providers. Each is a module with three functions, called by the checkout view
and the donor's manage page; what the provider then reports (a webhook, or the test
provider's own pages) goes through ``recording``:

- ``start_checkout(gift, *, request) -> str``: where to send the reader to pay.
- ``cancel(gift) -> None``: stop a recurring gift at the provider (then record it).
- ``change(gift, *, amount, frequency) -> None``: a recurring gift's new amount or
  frequency at the provider (then record it).

``stripe``: Stripe Checkout, when GAZETTE_STRIPE_SECRET_KEY is set. ``test``: the
built-in test provider (GAZETTE_SUPPORT_TEST_PROVIDER; never in production).
"""

from importlib import import_module
from types import ModuleType

from django.conf import settings

MODULES = {
    "stripe": "gazette.support.providers.stripe",
    "test": "gazette.support.providers.testmode",
}


class ProviderError(Exception):
    """The provider refused or could not be reached; the message is for the reader."""


def available() -> list[str]:
    """The card providers on offer, in the order the appeal shows them: none while donor
    records cannot be sealed (no or bad GAZETTE_DONOR_KEYS), or a donor would pay and
    every record of it fail."""
    from ..crypto import keys_problem

    if keys_problem():
        return []
    names = []
    if settings.GAZETTE_STRIPE_SECRET_KEY:
        names.append("stripe")
    if settings.GAZETTE_SUPPORT_TEST_PROVIDER:
        names.append("test")
    return names


def provider(name: str) -> ModuleType:
    if name not in MODULES:
        raise LookupError(f"No payment provider called {name!r}.")
    return import_module(MODULES[name])
