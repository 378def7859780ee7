"""POST /donate/checkout/: the appeal's and the support page's form. Checks everything the
reader chose, makes a pending gift (``recording.start_gift``) and sends the reader to the
payment provider's checkout; and /donate/thanks/<token>/, where the reader comes back.

The form sits on pre-rendered pages served without Django, so readers have no CSRF cookie;
as for the newsletter signup, the browser's own word on where a post came from
(``signup.is_cross_site``), a honeypot and rate limits (per client, hashed, in the cache
only; and per site) stand instead. Card-testing bots post here several times a minute.
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from wagtail.models import Page

from gazette import ratelimits
from gazette.clients import client_address
from gazette.newsletters.signup import is_cross_site

from . import providers, recording
from .appeal import offer_for
from .forms import CheckoutForm
from .links import gift_for_thanks_token, thanks_token
from .models import SupportSettings


def over_rate_limit(request) -> bool:
    return ratelimits.over_limit(
        prefix="support:checkout",
        client_address=client_address(request),
        window=settings.GAZETTE_SUPPORT_WINDOW,
        per_client=settings.GAZETTE_SUPPORT_PER_CLIENT,
        overall=settings.GAZETTE_SUPPORT_GLOBAL,
    )


def page(request, template: str, context: dict, status: int = 200):
    """A plain page of the support app, in the newsroom's frame."""
    from gazette.newsroom.models import NewsroomSettings

    context = {"newsroom": NewsroomSettings.for_request(request), **context}
    return render(request, f"support/{template}", context, status=status)


def _language(value: str) -> str:
    return value if value in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _chosen(form: CheckoutForm) -> dict:
    """What the reader picked, to show the form again as it was sent."""
    data = form.data
    return {
        "frequency": data.get("frequency", ""),
        "amount": data.get("amount", ""),
        "custom_amount": data.get("custom_amount", ""),
        "currency": data.get("currency", ""),
        "cover_fee": bool(data.get("cover_fee")),
        "provider": data.get("provider", ""),
        "article": data.get("article", ""),
    }


def _form_again(request, form: CheckoutForm, support: SupportSettings, status: int, error=""):
    context = {
        "offer": offer_for(support),
        "form": form,
        "chosen": _chosen(form),
        "provider_error": error,
    }
    return page(request, "checkout_form.html", context, status=status)


@csrf_exempt
@never_cache
@require_POST
def checkout_view(request):
    support = SupportSettings.for_request(request)
    form = CheckoutForm(request.POST, support=support, providers=providers.available())
    with translation.override(_language(request.POST.get("language", ""))):
        if is_cross_site(request):
            return page(request, "checkout_refused.html", {}, status=403)
        if over_rate_limit(request):
            return page(request, "checkout_refused.html", {"rate_limited": True}, status=429)
        if form.is_bot:
            return page(request, "checkout_refused.html", {"bot": True}, status=400)
        if not form.is_valid():
            return _form_again(request, form, support, status=400)
        data = form.cleaned_data
        article_id = data["article"]
        if article_id and not Page.objects.filter(pk=article_id).exists():
            article_id = None
        gift = recording.start_gift(
            frequency=data["frequency"],
            amount=data["gift_amount"],
            currency=data["currency"],
            fee_covered=data["fee_covered"],
            provider=data["provider"],
            article_id=article_id,
            language=data["language"],
        )
        try:
            url = providers.provider(gift.provider).start_checkout(gift, request=request)
        except providers.ProviderError as error:
            gift.delete()  # no checkout was started: nothing to keep
            return _form_again(request, form, support, status=502, error=str(error))
        return redirect(url)


def thanks_url(gift) -> str:
    return reverse("support:thanks", args=[thanks_token(gift)])


@never_cache
@require_GET
def thanks_view(request, token: str):
    gift = gift_for_thanks_token(token)
    if gift is None:
        raise Http404("No such gift")
    support = SupportSettings.for_request(request)
    with translation.override(_language(gift.language)):
        context = {"gift": gift, "thanks_days": support.thanks_days}
        return page(request, "thanks.html", context)
