"""What the appeal says and offers, edited by fundraising staff in the admin."""

from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


class Frequency(models.TextChoices):
    ONCE = "once", _("Once")
    MONTHLY = "monthly", _("Monthly")
    ANNUAL = "annual", _("Annual")


CURRENCIES = {"USD": "$", "EUR": "€", "GBP": "£", "CHF": "CHF ", "PLN": "zł ", "CZK": "Kč "}


def whole_cents(amount: Decimal) -> bool:
    """Whether ``amount`` has at most two decimals. (Not ``amount.quantize()``: that raises
    on a number too large for the context, such as 1e30 typed into a form.)"""
    return amount.is_finite() and amount.normalize().as_tuple().exponent >= -2


def parse_amounts(text: str) -> list[Decimal]:
    """'2, 5, 10' as amounts; ValidationError naming the entry that is not one."""
    amounts = []
    for item in text.replace(";", ",").split(","):
        item = item.strip()
        if not item:
            continue
        try:
            amount = Decimal(item)
        except InvalidOperation:
            raise ValidationError(
                _("“%(item)s” is not an amount: write numbers separated by commas, e.g. 2, 5, 10."),
                params={"item": item},
            ) from None
        if amount <= 0 or amount != amount.quantize(Decimal("0.01")):
            raise ValidationError(_("“%(item)s” is not an amount of money."), params={"item": item})
        amounts.append(amount)
    return amounts


def validate_amounts(text: str) -> None:
    if not parse_amounts(text):
        raise ValidationError(_("Give at least one amount."))


def parse_currencies(text: str) -> list[str]:
    return [code.strip().upper() for code in text.split(",") if code.strip()]


def validate_currencies(text: str) -> None:
    codes = parse_currencies(text)
    unknown = [code for code in codes if code not in CURRENCIES]
    if not codes:
        raise ValidationError(_("Choose at least one currency."))
    if unknown:
        raise ValidationError(
            _("Unknown currency: %(codes)s. Gazette takes %(known)s."),
            params={"codes": ", ".join(unknown), "known": ", ".join(CURRENCIES)},
        )


# Stripe's rules for a statement descriptor: 5 to 22 characters, at least one letter,
# none of < > \ ' " * (https://docs.stripe.com/get-started/account/statement-descriptors).
statement_descriptor_validator = RegexValidator(
    r"^(?=.*[A-Za-z])[^<>\\'\"*]{5,22}$",
    _("5 to 22 characters, at least one letter, and none of < > \\ ' \" *."),
)


@register_setting(icon="pick")
class SupportSettings(BaseSiteSetting):
    """The donation appeal on article pages and the support page, and what it offers."""

    appeal_heading = models.CharField(
        _("appeal heading"), max_length=120, default="A message from the newsroom"
    )
    appeal_message = models.TextField(
        _("appeal message"),
        default=(
            "Dear readers, we report what others cannot, and we are paid by no government "
            "and no owner: by you. Please support us monthly, starting from just $2."
        ),
    )
    appeal_signoff = models.CharField(_("sign-off"), max_length=200, blank=True)
    currencies = models.CharField(
        _("currencies"),
        max_length=60,
        default="USD,EUR",
        validators=[validate_currencies],
        help_text=_("Codes separated by commas; the first is the default. E.g. USD,EUR."),
    )
    amounts_once = models.CharField(
        _("amounts, once"), max_length=100, default="10, 25, 50", validators=[validate_amounts]
    )
    amounts_monthly = models.CharField(
        _("amounts, monthly"), max_length=100, default="2, 5, 10", validators=[validate_amounts]
    )
    amounts_annual = models.CharField(
        _("amounts, annual"), max_length=100, default="25, 50, 100", validators=[validate_amounts]
    )
    default_frequency = models.CharField(
        _("frequency chosen first"),
        max_length=10,
        choices=Frequency.choices,
        default=Frequency.MONTHLY,
    )
    minimum_amount = models.DecimalField(
        _("minimum amount"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("2"),
        validators=[MinValueValidator(Decimal("1"))],
    )
    maximum_amount = models.DecimalField(
        _("maximum amount"), max_digits=10, decimal_places=2, default=Decimal("10000")
    )
    offer_fee_cover = models.BooleanField(_("offer to cover the processing fee"), default=True)
    fee_percent = models.DecimalField(
        _("processing fee, percent"), max_digits=4, decimal_places=2, default=Decimal("2.9")
    )
    fee_fixed = models.DecimalField(
        _("processing fee, fixed part"), max_digits=6, decimal_places=2, default=Decimal("0.30")
    )
    remind_days = models.PositiveSmallIntegerField(
        _("“Remind me later” hides the appeal for (days)"), default=7
    )
    thanks_days = models.PositiveSmallIntegerField(
        _("after a donation, thank instead of asking for (days)"), default=90
    )
    show_every = models.PositiveSmallIntegerField(
        _("show the appeal on every Nth article view"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("1 shows it on every article; 3 on every third article a reader opens."),
    )
    high_risk_notice = models.TextField(
        _("notice for readers in high-risk countries"),
        blank=True,
        help_text=_(
            "Shown on the support page above the payment methods: e.g. that card payments "
            "appear on statements, and which methods are safer."
        ),
    )
    statement_descriptor = models.CharField(
        _("card statement descriptor"),
        max_length=22,
        blank=True,
        validators=[statement_descriptor_validator],
        help_text=_(
            "What donors' card statements show. A neutral name protects donors whose "
            "statements may be read by others. Empty: the payment account's default."
        ),
    )
    bank_transfer_details = models.TextField(
        _("bank transfer details"),
        blank=True,
        help_text=_("Account holder, IBAN, BIC, reference: shown on the support page."),
    )
    crypto_addresses = models.TextField(
        _("cryptocurrency addresses"),
        blank=True,
        help_text=_(
            "One a line: the currency, a colon, the address. E.g. “Bitcoin: bc1q…”. Each is "
            "shown with a QR code drawn on our server."
        ),
    )

    panels = [
        MultiFieldPanel(
            [
                FieldPanel("appeal_heading"),
                FieldPanel("appeal_message"),
                FieldPanel("appeal_signoff"),
            ],
            heading=_("Appeal"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("currencies"),
                FieldPanel("default_frequency"),
                FieldRowPanel(
                    [
                        FieldPanel("amounts_once"),
                        FieldPanel("amounts_monthly"),
                        FieldPanel("amounts_annual"),
                    ]
                ),
                FieldRowPanel([FieldPanel("minimum_amount"), FieldPanel("maximum_amount")]),
                FieldPanel("offer_fee_cover"),
                FieldRowPanel([FieldPanel("fee_percent"), FieldPanel("fee_fixed")]),
            ],
            heading=_("Amounts"),
        ),
        MultiFieldPanel(
            [FieldPanel("remind_days"), FieldPanel("thanks_days"), FieldPanel("show_every")],
            heading=_("When the appeal shows"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("statement_descriptor"),
                FieldPanel("high_risk_notice"),
                FieldPanel("bank_transfer_details"),
                FieldPanel("crypto_addresses"),
            ],
            heading=_("Payment methods and donor safety"),
        ),
    ]

    class Meta:
        verbose_name = _("reader revenue")
        verbose_name_plural = _("reader revenue settings")

    def clean(self):
        super().clean()
        if self.maximum_amount is not None and self.minimum_amount is not None:
            if self.maximum_amount < self.minimum_amount:
                raise ValidationError(
                    {"maximum_amount": _("The maximum must not be below the minimum.")}
                )

    def currency_list(self) -> list[str]:
        return parse_currencies(self.currencies)

    def amounts(self, frequency: str) -> list[Decimal]:
        return parse_amounts(getattr(self, f"amounts_{frequency}"))

    def fee_for(self, amount: Decimal) -> Decimal:
        """What covering the processing fee adds to ``amount``, so that the newsroom
        receives all of it: (amount + fixed) / (1 - percent) - amount, to the cent."""
        gross = (amount + self.fee_fixed) / (1 - self.fee_percent / 100)
        return (gross - amount).quantize(Decimal("0.01"))

    def crypto_address_list(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.crypto_addresses.splitlines():
            name, _colon, address = line.partition(":")
            if address.strip():
                pairs.append((name.strip(), address.strip()))
        return pairs
