"""The built-in test provider: a checkout that walks through success, decline and cancel
on our own pages, with no network and no money. For the demo and the browser tests;
clearly labelled as test mode, refused (404) unless GAZETTE_SUPPORT_TEST_PROVIDER, and
production refuses to start with it enabled (settings.py). A recurring test gift renews
only when told to (``gazette support``).

What a real checkout would report by webhook goes through ``recording`` exactly as the
webhooks do: the donor first (``attach_donor``), then the payment (``record_payment``)."""

from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from gazette import ratelimits

from .. import recording
from ..models import Gift

SALT = "gazette.support.testcheckout"


def start_checkout(gift: Gift, *, request) -> str:
    token = signing.dumps(gift.pk, salt=SALT)
    return reverse("support:test_checkout", args=[token])


def cancel(gift: Gift) -> None:
    recording.record_cancellation(gift_id=gift.pk)


def change(gift: Gift, *, amount: Decimal, frequency: str) -> None:
    recording.record_change(gift_id=gift.pk, amount=amount, frequency=frequency)


def _gift(token: str) -> Gift:
    if not settings.GAZETTE_SUPPORT_TEST_PROVIDER:
        raise Http404("The test provider is off")
    try:
        gift_id = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        raise Http404("No such checkout") from None
    gift = Gift.objects.filter(pk=gift_id, provider=Gift.Provider.TEST).first()
    if gift is None:
        raise Http404("No such checkout")
    return gift


def pay(gift: Gift, *, email: str, name: str = "") -> None:
    """What a successful checkout reports: who gave, the subscription of a recurring gift,
    and its first payment."""
    recording.attach_donor(
        gift_id=gift.pk,
        email=email,
        name=name,
        checkout_id=f"test_cs_{gift.pk}",
        subscription_id=f"test_sub_{gift.pk}" if gift.recurring else "",
    )
    recording.record_payment(
        gift_id=gift.pk,
        provider_id=f"test_pay_{gift.pk}_1",
        amount=gift.total,
        currency=gift.currency,
    )


def return_path(gift: Gift) -> str:
    """Where Cancel leads: the page the reader came from, or the front page."""
    from gazette.newsroom.models.base import page_path

    article = gift.article
    return (page_path(article) if article is not None and article.live else "") or "/"


# The token in the address is the authority; there is no cookie to carry a CSRF token.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimits.limit_posts("support:test-checkout")
def checkout_view(request, token: str):
    from ..checkout import page, thanks_url
    from ..forms import TestCheckoutForm

    gift = _gift(token)
    with translation.override(gift.language):
        if gift.status in (Gift.Status.PAID, Gift.Status.ACTIVE):
            return redirect(thanks_url(gift))  # paid already (back button, reload)
        form = TestCheckoutForm(request.POST or None)
        declined = False
        if request.method == "POST":
            from gazette.newsletters.signup import is_cross_site

            if is_cross_site(request):
                raise Http404("Refused")
            action = request.POST.get("action")
            if action == "cancel":
                return redirect(return_path(gift))
            if action == "decline":
                recording.record_decline(gift_id=gift.pk)
                declined = True
                form = TestCheckoutForm(initial={"email": request.POST.get("email", "")})
            elif form.is_valid():
                pay(gift, **form.cleaned_data)
                return redirect(thanks_url(gift))
        context = {"gift": gift, "form": form, "declined": declined}
        return page(request, "test_checkout.html", context, status=400 if form.errors else 200)
