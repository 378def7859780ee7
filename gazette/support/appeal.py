"""What the appeal on article pages and the form on the support page offer, taken from a
site's SupportSettings once per build (every article page shows the appeal, and a full
build must not ask the database for it per page)."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from gazette.publishing.session import remember

from . import providers
from .models import Frequency, SupportSettings
from .models.appeal import CURRENCIES

PROVIDER_LABELS = {"stripe": _("Card"), "test": _("Card (test mode)")}


@dataclass
class Choice:
    value: str
    label: str


@dataclass
class FrequencyOffer:
    value: str
    label: str
    amounts: list[Decimal]


@dataclass
class Offer:
    """Everything the appeal's form shows, as plain values (kept for a whole build)."""

    site_id: int
    heading: str
    message: str
    signoff: str
    frequencies: list[FrequencyOffer]
    default_frequency: str
    currencies: list[Choice]
    minimum: Decimal
    maximum: Decimal
    offer_fee_cover: bool
    fee_percent: Decimal
    fee_fixed: Decimal
    remind_days: int
    thanks_days: int
    show_every: int
    methods: list[Choice] = field(default_factory=list)

    @property
    def default_currency(self) -> str:
        return self.currencies[0].value if self.currencies else ""

    @property
    def default_symbol(self) -> str:
        return CURRENCIES.get(self.default_currency, "")

    @property
    def default_amount(self) -> Decimal | None:
        """The preset chosen first: the middle one of the first frequency's amounts."""
        for offer in self.frequencies:
            if offer.value == self.default_frequency and offer.amounts:
                return offer.amounts[len(offer.amounts) // 2]
        return None

    @property
    def defaults(self) -> dict:
        """What the form shows chosen before the reader picks anything."""
        return {
            "frequency": self.default_frequency,
            "amount": str(self.default_amount or ""),
            "currency": self.default_currency,
            "cover_fee": False,
            "provider": self.methods[0].value if self.methods else "",
        }

    @property
    def fee_example(self) -> str:
        """The fee as the newsroom's processor charges it, for readers without JS."""
        percent = self.fee_percent.normalize()
        return f"{percent}% + {self.fee_fixed}"


def currency_symbol(code: str) -> str:
    return CURRENCIES.get(code, f"{code} ")


def _cents(value) -> Decimal:
    """A money setting as the database gives it back (2.9 from a default is 2.90 once
    saved), so that a page reads the same whether its settings were just created or not."""
    return Decimal(value).quantize(Decimal("0.01"))


def offer_for(settings: SupportSettings) -> Offer:
    return Offer(
        site_id=settings.site_id,
        heading=settings.appeal_heading,
        message=settings.appeal_message,
        signoff=settings.appeal_signoff,
        frequencies=[
            FrequencyOffer(value, label, settings.amounts(value))
            for value, label in Frequency.choices
        ],
        default_frequency=settings.default_frequency,
        currencies=[Choice(code, currency_symbol(code)) for code in settings.currency_list()],
        minimum=_cents(settings.minimum_amount),
        maximum=_cents(settings.maximum_amount),
        offer_fee_cover=settings.offer_fee_cover,
        fee_percent=_cents(settings.fee_percent),
        fee_fixed=_cents(settings.fee_fixed),
        remind_days=settings.remind_days,
        thanks_days=settings.thanks_days,
        show_every=settings.show_every,
        methods=[Choice(name, PROVIDER_LABELS.get(name, name)) for name in providers.available()],
    )


def site_offer(site_id: int) -> Offer:
    """The offer of a site, found once per build."""
    return remember(
        ("support-offer", site_id),
        lambda: offer_for(SupportSettings.objects.get_or_create(site_id=site_id)[0]),
    )
