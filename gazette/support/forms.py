"""The donation form that the appeal and the support page post to /donate/checkout/, and the
test provider's checkout form. Everything is checked here, whatever the page's script did:
card-testing bots post straight to the endpoint."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import Frequency, SupportSettings
from .models.appeal import CURRENCIES, whole_cents

# Named like a field a person would fill in, so that form-filling bots do; people never see
# it (hidden by a class, skipped by screen readers). The same name as the signup form's.
HONEYPOT = "website"


def _money(value: Decimal, currency: str) -> str:
    return f"{CURRENCIES.get(currency, currency + ' ')}{value:,.2f}"


class CheckoutForm(forms.Form):
    frequency = forms.ChoiceField(
        choices=Frequency.choices,
        error_messages={
            "required": _("Choose how often to give: once, monthly or annually."),
            "invalid_choice": _("Choose how often to give: once, monthly or annually."),
        },
    )
    amount = forms.CharField(required=False, max_length=20)
    custom_amount = forms.CharField(required=False, max_length=20)
    currency = forms.ChoiceField(
        error_messages={"required": _("Choose a currency.")},
    )
    cover_fee = forms.BooleanField(required=False)
    provider = forms.ChoiceField(
        error_messages={
            "required": _("Choose a payment method."),
            "invalid_choice": _("That payment method is not available: choose another."),
        },
    )
    article = forms.IntegerField(required=False, min_value=1)
    language = forms.CharField(required=False, max_length=10)
    website = forms.CharField(required=False, max_length=500)

    def __init__(self, *args, support: SupportSettings, providers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.support = support
        codes = support.currency_list()
        self.fields["currency"].choices = [(code, code) for code in codes]
        self.fields["currency"].error_messages["invalid_choice"] = _(
            "We take gifts in %(codes)s only: choose one of them."
        ) % {"codes": ", ".join(codes)}
        self.fields["provider"].choices = [(name, name) for name in providers]

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT))

    def clean_language(self) -> str:
        language = self.cleaned_data["language"]
        return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    def clean(self):
        cleaned = super().clean()
        written = (cleaned.get("custom_amount") or "").strip()
        chosen = written or (cleaned.get("amount") or "").strip()
        field = "custom_amount" if written else "amount"
        if not chosen:
            self.add_error("amount", _("Choose an amount, or write your own."))
            return cleaned
        try:
            amount = Decimal(chosen.replace(",", ".").lstrip("$€£ "))
            if not amount.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            self.add_error(
                field,
                _("“%(value)s” is not an amount: write a number, such as 5 or 12.50.")
                % {"value": chosen},
            )
            return cleaned
        if not whole_cents(amount):
            self.add_error(field, _("Write the amount with at most two decimals, such as 12.50."))
            return cleaned
        currency = cleaned.get("currency", "")
        if amount < self.support.minimum_amount:
            self.add_error(
                field,
                _("The smallest gift we can take is %(minimum)s.")
                % {"minimum": _money(self.support.minimum_amount, currency)},
            )
            return cleaned
        if amount > self.support.maximum_amount:
            self.add_error(
                field,
                _(
                    "The largest gift we take here is %(maximum)s. For a larger one, please "
                    "use a bank transfer (see our support page)."
                )
                % {"maximum": _money(self.support.maximum_amount, currency)},
            )
            return cleaned
        cleaned["gift_amount"] = amount
        offered = self.support.offer_fee_cover and cleaned.get("cover_fee")
        cleaned["fee_covered"] = self.support.fee_for(amount) if offered else Decimal(0)
        return cleaned


class TestCheckoutForm(forms.Form):
    """The test provider's stand-in for a card form: who gives, and which outcome."""

    email = forms.EmailField(
        max_length=254,
        error_messages={
            "required": _("Enter your email address: the receipt goes there."),
            "invalid": _("Enter a valid email address, such as name@example.org."),
        },
    )
    name = forms.CharField(required=False, max_length=200)
