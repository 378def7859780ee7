"""The donor's own pages, reached from the link in every receipt of a recurring gift (no
password, no account): /donate/manage/<token>/ shows their gifts and payments, and lets
them change the amount or frequency of a running gift, or stop it; /donate/manage/ mails a
fresh link to a donor whose link has expired.

The token in the address is the authority (``links``): the reader gets no cookie, and the
pages are never cached, so there is no CSRF cookie to check. A post that the browser says
came from another site is refused all the same (as the newsletter's preference page does):
a page that had learnt someone's link must not act through their browser. A GET only
shows forms; mail link scanners fetch every address in a message.
"""

from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_tasks import task
from wagtail.models import Site

from gazette import ratelimits
from gazette.clients import client_address
from gazette.newsletters.signup import is_cross_site
from gazette.newsletters.views import no_referrer

from . import recording
from .checkout import page
from .links import donor_for_token, manage_url
from .models import Donor, Frequency, Gift, SupportSettings
from .models.appeal import whole_cents
from .providers import ProviderError, provider
from .receipts import default_newsroom, send_to_donor

RECURRING = [
    (Frequency.MONTHLY, Frequency.MONTHLY.label),
    (Frequency.ANNUAL, Frequency.ANNUAL.label),
]


def _money(amount: Decimal) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


class ChangeForm(forms.Form):
    """A running gift's new amount or frequency, within the appeal's minimum and maximum."""

    amount = forms.CharField(label=_("Amount"), max_length=12)
    frequency = forms.ChoiceField(label=_("Frequency"), choices=RECURRING)

    def __init__(self, *args, gift: Gift, limits: SupportSettings, **kwargs):
        super().__init__(*args, **kwargs)
        self.gift, self.limits = gift, limits

    def clean_amount(self) -> Decimal:
        text = self.cleaned_data["amount"].strip().replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise forms.ValidationError(
                _("Write the amount as a number, e.g. 5 or 7.50.")
            ) from None
        if not whole_cents(amount):
            raise forms.ValidationError(_("Write the amount as a number, e.g. 5 or 7.50."))
        params = {"currency": self.gift.currency}
        if amount < self.limits.minimum_amount:
            raise forms.ValidationError(
                _("The smallest gift we can take is %(limit)s %(currency)s."),
                params={**params, "limit": _money(self.limits.minimum_amount)},
            )
        if amount > self.limits.maximum_amount:
            raise forms.ValidationError(
                _("The largest gift we can take here is %(limit)s %(currency)s."),
                params={**params, "limit": _money(self.limits.maximum_amount)},
            )
        return amount

    def clean(self):
        data = super().clean()
        if data.get("amount") == self.gift.amount and data.get("frequency") == self.gift.frequency:
            raise forms.ValidationError(_("That is your gift as it is: nothing to change."))
        return data


class LinkRequestForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


def _settings() -> SupportSettings:
    return SupportSettings.for_site(Site.objects.filter(is_default_site=True).first())


def _manageable(gift: Gift) -> bool:
    return gift.recurring and gift.status in (Gift.Status.ACTIVE, Gift.Status.PAST_DUE)


def _gift_of(donor: Donor, gift_id) -> Gift | None:
    try:
        gift = donor.gifts.get(pk=int(gift_id))
    except (Gift.DoesNotExist, TypeError, ValueError):
        return None
    return gift if _manageable(gift) else None


def _manage_context(donor: Donor, token: str, **extra) -> dict:
    gifts = list(
        donor.gifts.exclude(status=Gift.Status.PENDING)
        .select_related("article")
        .prefetch_related("payments")
        .order_by("-created_at", "-pk")
    )
    limits = _settings()
    rows = []
    for gift in gifts:
        form = extra.get("forms", {}).get(gift.pk)
        if form is None and _manageable(gift):
            initial = {"amount": gift.amount, "frequency": gift.frequency}
            form = ChangeForm(initial=initial, gift=gift, limits=limits)
        payments = sorted(gift.payments.all(), key=lambda item: item.paid_at, reverse=True)
        rows.append({"gift": gift, "form": form, "payments": payments})
    extra.pop("forms", None)
    return {"donor": donor, "token": token, "rows": rows, **extra}


@csrf_exempt
@never_cache
@no_referrer
@require_http_methods(["GET", "POST"])
@ratelimits.limit_posts("support:manage")
def manage_view(request, token: str):
    donor = donor_for_token(token)
    if donor is None:
        return _expired(request)
    with translation.override(donor.language or settings.LANGUAGE_CODE):
        if request.method == "GET":
            return page(request, "manage.html", _manage_context(donor, token))
        if is_cross_site(request):
            context = _manage_context(donor, token, cross_site=True)
            return page(request, "manage.html", context, status=403)
        gift = _gift_of(donor, request.POST.get("gift"))
        if gift is None:
            context = _manage_context(donor, token, not_running=True)
            return page(request, "manage.html", context, status=400)
        form = ChangeForm(request.POST, gift=gift, limits=_settings())
        if not form.is_valid():
            context = _manage_context(donor, token, forms={gift.pk: form})
            return page(request, "manage.html", context, status=400)
        amount, frequency = form.cleaned_data["amount"], form.cleaned_data["frequency"]
        try:
            provider(gift.provider).change(gift, amount=amount, frequency=frequency)
        except ProviderError as error:
            context = _manage_context(donor, token, provider_error=str(error))
            return page(request, "manage.html", context, status=502)
        # Providers record the change themselves; recording it again changes nothing.
        recording.record_change(gift_id=gift.pk, amount=amount, frequency=frequency)
        return page(request, "manage.html", _manage_context(donor, token, changed=gift.pk))


@csrf_exempt
@never_cache
@no_referrer
@require_http_methods(["GET", "POST"])
@ratelimits.limit_posts("support:cancel")
def cancel_view(request, token: str, gift_id: int):
    """The confirmation step: a GET asks "stop this gift?", a POST stops it."""
    donor = donor_for_token(token)
    if donor is None:
        return _expired(request)
    with translation.override(donor.language or settings.LANGUAGE_CODE):
        gift = _gift_of(donor, gift_id)
        if gift is None:
            context = _manage_context(donor, token, not_running=True)
            return page(request, "manage.html", context, status=404)
        context = {"donor": donor, "token": token, "gift": gift}
        if request.method == "GET":
            return page(request, "manage_cancel.html", context)
        if is_cross_site(request):
            return page(request, "manage_cancel.html", {**context, "cross_site": True}, 403)
        try:
            provider(gift.provider).cancel(gift)
        except ProviderError as error:
            return page(
                request, "manage_cancel.html", {**context, "provider_error": str(error)}, 502
            )
        recording.record_cancellation(gift_id=gift.pk)
        return page(request, "manage.html", _manage_context(donor, token, cancelled=gift.pk))


def _expired(request):
    context = {"form": LinkRequestForm(), "expired": True, "days": settings.GAZETTE_DONOR_LINK_DAYS}
    return page(request, "manage_request.html", context, status=404)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def request_link_view(request):
    """Mails a fresh manage link to the address if a donor has it, and answers the same
    whether or not one does: who gave to the newsroom is no one else's business."""
    if request.method == "GET":
        return page(request, "manage_request.html", {"form": LinkRequestForm()})
    if is_cross_site(request):
        return page(request, "manage_request.html", {"cross_site": True}, status=403)
    limited = ratelimits.over_limit(
        prefix="support:link",
        client_address=client_address(request),
        window=settings.GAZETTE_DONOR_LINK_WINDOW,
        per_client=settings.GAZETTE_DONOR_LINK_PER_CLIENT,
        overall=settings.GAZETTE_DONOR_LINK_GLOBAL,
    )
    if limited:
        return page(request, "manage_request.html", {"rate_limited": True}, status=429)
    form = LinkRequestForm(request.POST)
    if not form.is_valid():
        return page(request, "manage_request.html", {"form": form}, status=400)
    send_link(form.cleaned_data["email"])
    return page(request, "manage_request.html", {"sent": True})


def send_link(email: str) -> None:
    """Queue a fresh link for the donor with this address, if there is one, at most once
    per address per window. Sent by a task, so that the answer's timing does not tell
    whether the address is a donor's."""
    donor = Donor.objects.for_email(email).first()
    if donor is None:
        return
    if not ratelimits.first_in_window(
        "link-mail",
        email.strip().lower(),
        prefix="support",
        window=settings.GAZETTE_DONOR_LINK_MAIL_WINDOW,
    ):
        return
    from gazette.publishing.building import PUBLISH_PRIORITY, at_priority

    donor_id = donor.pk
    transaction.on_commit(lambda: at_priority(send_link_task, PUBLISH_PRIORITY).enqueue(donor_id))


@task()
def send_link_task(donor_id: int) -> None:
    donor = Donor.objects.filter(pk=donor_id).first()
    if donor is not None:
        mail_link(donor)


def mail_link(donor: Donor) -> None:
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string

    newsroom = default_newsroom()
    with translation.override(donor.language or settings.LANGUAGE_CODE):
        context = {
            "name": donor.name,
            "newsroom_name": newsroom.name if newsroom else settings.WAGTAIL_SITE_NAME,
            "manage_url": manage_url(donor),
            "days": settings.GAZETTE_DONOR_LINK_DAYS,
        }
        message = EmailMultiAlternatives(
            subject=translation.gettext("Your link to manage your gifts to %(name)s")
            % {"name": context["newsroom_name"]},
            body=render_to_string("support/manage_link_email.txt", context),
            from_email=settings.GAZETTE_SUPPORT_FROM_EMAIL or settings.DEFAULT_FROM_EMAIL,
            to=[donor.email],
        )
        message.attach_alternative(
            render_to_string("support/manage_link_email.html", context), "text/html"
        )
        send_to_donor(message, what=f"manage link for donor {donor.pk}")
