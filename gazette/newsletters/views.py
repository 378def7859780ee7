"""The newsletters' public views: /newsletters/ and the signup POST (logic in signup.py),
the confirmation link, the preference page (preferences.py), and the unsubscribe link of
every newsletter: a page reached from the mail body, and the RFC 8058 one-click POST that mail
programs send from the List-Unsubscribe header.

The token in the address is the authority (the POST carries no cookie, and the reader has no
account), so the view is exempt from CSRF checks. A GET only shows a button: link scanners
fetch every address in a message, and must never unsubscribe anyone. The POST answers 200
itself, never a redirect (RFC 8058 section 3.2), and is idempotent.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail.models import Site

from gazette import ratelimits
from gazette.clients import client_address

from . import preferences, signup
from .forms import PreferencesForm, SignupForm
from .models import Subscription
from .tokens import unsubscribe_signer


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimits.limit_posts("newsletters:unsubscribe", per_client_factor=10)
def unsubscribe(request, token: str):
    ids = unsubscribe_signer().read(token, 2)
    subscription = None
    if ids:
        subscriber_id, newsletter_id = ids
        subscription = (
            Subscription.objects.select_related("newsletter")
            .filter(subscriber_id=subscriber_id, newsletter_id=newsletter_id)
            .first()
        )
    if subscription is None:
        return render(request, "newsletters/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        subscription.unsubscribe()
    context = {"subscription": subscription, "newsletter": subscription.newsletter}
    return render(request, "newsletters/unsubscribe.html", context)


def _site_newsletters(request):
    return signup.site_newsletters(
        Site.find_for_request(request) or Site.objects.get(is_default_site=True)
    )


def privacy_path(request) -> str:
    from gazette.newsroom.models import NewsroomSettings

    newsroom = NewsroomSettings.for_request(request)
    page = newsroom.privacy_page.localized if newsroom.privacy_page else None
    return page.url if page is not None and page.live else ""


def _page(request, template: str, context: dict, status: int = 200):
    from gazette.newsroom.models import NewsroomSettings

    context = {"newsroom": NewsroomSettings.for_request(request), **context}
    return render(request, f"newsletters/{template}", context, status=status)


@never_cache
@require_GET
def newsletter_list(request):
    """/newsletters/: the site's newsletters and the signup form."""
    newsletters = _site_newsletters(request)
    context = {
        "form": SignupForm(newsletters=newsletters),
        "newsletters": newsletters,
        "chosen": [newsletter.slug for newsletter in newsletters[:1]],
        "source": request.path,
        "privacy_path": privacy_path(request),
    }
    return _page(request, "newsletter_list.html", context)


# No CSRF cookie exists on cached pages; `is_cross_site` is the check instead (signup.py).
@csrf_exempt
@never_cache
@require_POST
def signup_view(request):
    newsletters = _site_newsletters(request)
    form = SignupForm(request.POST, newsletters=newsletters)
    source = request.POST.get("source", "")
    # Answer in the language of the page the form was on (/ru/... is Russian).
    with translation.override(translation.get_language_from_path(source) or "en"):
        if signup.is_cross_site(request):
            return _page(request, "signup_refused.html", {}, status=403)
        if signup.over_rate_limit(client_address(request)):
            return _page(request, "signup_refused.html", {"rate_limited": True}, status=429)
        if form.is_bot:
            # The same answer a person gets, so that a bot learns nothing from it.
            return _page(request, "signup_done.html", {})
        if not form.is_valid():
            # The form again, as filled in, with what to correct; nothing was stored.
            context = {
                "form": form,
                "newsletters": newsletters,
                "chosen": request.POST.getlist("newsletters"),
                "source": form.cleaned_data.get("source", ""),
                "privacy_path": privacy_path(request),
            }
            return _page(request, "newsletter_list.html", context, status=400)
        signup.sign_up(
            email=form.cleaned_data["email"],
            newsletters=form.chosen(),
            source=form.cleaned_data["source"],
        )
        return _page(request, "signup_done.html", {})


# A GET only shows a button, because mail link scanners (corporate gateways, antivirus
# tools) follow every link in a message: confirming on GET would let a scanner subscribe a
# reader who never clicked. The token is the authority, so no CSRF cookie is involved.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
@ratelimits.limit_posts("newsletters:confirm")
def confirm_view(request, token: str):
    found = signup.subscriptions_for(token)
    if found is None:
        return _page(request, "confirm.html", {"invalid": True}, status=400)
    subscriptions, language = found
    with translation.override(language):
        if request.method == "POST":
            signup.confirm(subscriptions)
        context = {
            "subscriptions": subscriptions,
            "confirmed": all(s.status == Subscription.Status.CONFIRMED for s in subscriptions),
        }
        return _page(request, "confirm.html", context)


def no_referrer(view):
    """The address holds the token: keep it out of the Referer of links on the page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapped


# The token in the address is the authority, as for unsubscribing: the reader has no account
# and gets no cookie, and the page is never cached, so there is no CSRF cookie to check. A
# post that the browser says came from another site is refused all the same (as on the
# signup form): a page that had learnt someone's link must not act through their browser.
# A GET only shows the form; link scanners fetch every address in a mail.
@csrf_exempt
@never_cache
@no_referrer
@require_http_methods(["GET", "POST"])
@ratelimits.limit_posts("newsletters:preferences")
def preferences_view(request, token: str):
    from gazette.newsroom.models import NewsroomSettings

    link = preferences.read_link(token)
    if link is None:
        return _page(request, "preferences.html", {"invalid": True}, status=404)
    if link.expired:
        context = {"expired": True, "days": settings.GAZETTE_PREFERENCES_LINK_DAYS}
        return _page(request, "preferences.html", context, status=410)
    subscriber, newsletter = link.subscriber, link.newsletter
    with translation.override(subscriber.language or settings.LANGUAGE_CODE):
        choices = preferences.choices(subscriber, newsletter)
        context = {
            "newsroom": NewsroomSettings.for_site(newsletter.site),
            "subscriber": subscriber,
            "choices": choices,
            "refuses_mail": preferences.refuses_mail(subscriber),
        }
        if request.method == "GET":
            return render(request, "newsletters/preferences.html", context)
        if signup.is_cross_site(request):
            context["cross_site"] = True
            return render(request, "newsletters/preferences.html", context, status=403)
        form = PreferencesForm(request.POST, newsletters=[item.newsletter for item in choices])
        if not form.is_valid():
            context["form"] = form  # nothing was changed; the boxes show what is stored
            return render(request, "newsletters/preferences.html", context, status=400)
        changes = preferences.update(
            subscriber=subscriber,
            newsletters=form.newsletter_list,
            wanted=form.wanted(),
            refused=context["refuses_mail"],
        )
        context.update(saved=True, changes=changes)
        context["choices"] = preferences.choices(subscriber, newsletter)
        return render(request, "newsletters/preferences.html", context)
