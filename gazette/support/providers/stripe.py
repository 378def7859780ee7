"""Card payments through Stripe Checkout (https://docs.stripe.com/api/checkout/sessions).

A one-time gift is a Checkout Session in ``payment`` mode; a monthly or annual gift one in
``subscription`` mode with a recurring price. Prices are inline (``price_data``), so the
newsroom's amounts live in its appeal settings, not in Stripe's catalogue. What follows
the checkout (payments, renewals, failures, cancellations) arrives as webhooks
(``gazette.support.webhooks``), each finding the gift by the id we put in the metadata
of the session, of its payment and of its subscription: a renewal invoice may arrive
before the checkout's completion, and must still find its gift.
"""

import logging
from decimal import Decimal

import stripe
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import gettext as _
from wagtail.models import Site

from .. import recording
from ..links import thanks_token
from ..models import Frequency, Gift, SupportSettings
from . import ProviderError

logger = logging.getLogger(__name__)

# The metadata key naming our gift: a Stripe account may serve more than this site.
GIFT_KEY = "gazette_gift"
# The one product every recurring gift's price belongs to. Subscriptions take their
# card statement descriptor from their product (Checkout has no descriptor parameter
# in subscription mode), so it is ours, with a fixed id, kept in step with the setting.
PRODUCT_ID = "gazette_donation"
INTERVALS = {Frequency.MONTHLY: "month", Frequency.ANNUAL: "year"}
# Checkout's page languages (https://docs.stripe.com/api/checkout/sessions/create#locale)
# that our readers use; others let Stripe pick from the browser.
CHECKOUT_LOCALES = {"en", "ru", "uk", "de", "fr", "es", "it", "pl", "cs", "lt", "lv", "et"}


def client() -> stripe.StripeClient:
    base = settings.GAZETTE_STRIPE_API_BASE
    return stripe.StripeClient(
        settings.GAZETTE_STRIPE_SECRET_KEY,
        base_addresses={"api": base} if base else None,
        max_network_retries=1,
    )


def minor_units(amount: Decimal) -> int:
    """Cents: every currency the appeal offers has two decimal places."""
    return int((amount * 100).quantize(Decimal(1)))


def start_checkout(gift: Gift, *, request: HttpRequest) -> str:
    """Create the gift's Checkout Session and return its URL; the session id becomes the
    gift's ``checkout_id``."""
    support = SupportSettings.for_request(request)
    descriptor = support.statement_descriptor
    metadata = {GIFT_KEY: str(gift.pk)}
    price = {"currency": gift.currency.lower(), "unit_amount": minor_units(gift.total)}
    params = {
        "client_reference_id": str(gift.pk),
        "metadata": metadata,
        "line_items": [{"price_data": price, "quantity": 1}],
        # On the host the reader came from: a mirror's reader returns to the mirror.
        # The thanks page (the appeal's, at /donate/thanks/<token>/) names the gift only
        # by a signed token.
        "success_url": request.build_absolute_uri(f"/donate/thanks/{thanks_token(gift)}/"),
        "cancel_url": request.build_absolute_uri(_return_path(gift, request)),
        "locale": gift.language if gift.language in CHECKOUT_LOCALES else "auto",
    }
    with _reader_error(_("Card payments are not available right now.")) as api:
        if gift.recurring:
            price["recurring"] = {"interval": INTERVALS[gift.frequency]}
            price["product"] = _product(api, descriptor=descriptor, request=request)
            params["mode"] = "subscription"
            params["subscription_data"] = {"metadata": metadata}
        else:
            price["product_data"] = {"name": _product_name(request)}
            params["mode"] = "payment"
            params["submit_type"] = "donate"
            params["payment_intent_data"] = {"metadata": metadata}
            if descriptor:
                # Card charges refuse a full descriptor; the suffix follows the account's
                # prefix (https://docs.stripe.com/get-started/account/statement-descriptors).
                params["payment_intent_data"]["statement_descriptor_suffix"] = descriptor
        session = _create_session(api, params)
    Gift.objects.filter(pk=gift.pk).update(checkout_id=session.id)
    gift.checkout_id = session.id
    return session.url


def _create_session(api: stripe.StripeClient, params: dict):
    try:
        return api.v1.checkout.sessions.create(params)
    except stripe.InvalidRequestError as error:
        suffix = params.get("payment_intent_data", {}).pop("statement_descriptor_suffix", None)
        if not suffix or "statement_descriptor" not in (error.param or ""):
            raise
        # The suffix and the account's prefix together exceed what Stripe takes (22
        # characters): the gift goes through with the account's own descriptor, which
        # the setting's help says is what an empty setting means; staff are told.
        logger.error(
            "Stripe refused the card statement descriptor %r (%s); this checkout uses the "
            "account's default. Shorten it in the reader revenue settings.",
            suffix,
            error.user_message or error,
        )
        return api.v1.checkout.sessions.create(params)


def cancel(gift: Gift) -> None:
    """Stop the subscription at Stripe now, then record it (the webhook that follows
    finds it recorded and changes nothing)."""
    if gift.subscription_id:
        with _reader_error(_("Your gift could not be cancelled just now.")) as api:
            subscription = api.v1.subscriptions.retrieve(gift.subscription_id)
            if subscription.status != "canceled":
                api.v1.subscriptions.cancel(gift.subscription_id)
    recording.record_cancellation(gift_id=gift.pk)


def change(gift: Gift, *, amount: Decimal, frequency: str) -> None:
    """A new amount or frequency from the next renewal on: the subscription's item gets
    a new inline price of the same product, without prorations (no surprise charge or
    credit). A change of interval starts the new period now, as Stripe does."""
    if frequency not in INTERVALS:
        raise ValueError(f"A recurring gift cannot become {frequency!r}.")
    if not gift.subscription_id:
        raise ProviderError(_("This gift has no card subscription to change yet."))
    with _reader_error(_("Your gift could not be changed just now.")) as api:
        subscription = api.v1.subscriptions.retrieve(gift.subscription_id)
        item = subscription["items"].data[0]
        product = item.price.product
        api.v1.subscriptions.update(
            gift.subscription_id,
            {
                "items": [
                    {
                        "id": item.id,
                        "price_data": {
                            "currency": gift.currency.lower(),
                            "product": getattr(product, "id", product),
                            # The fee the donor chose to cover stays as it was.
                            "unit_amount": minor_units(amount + gift.fee_covered),
                            "recurring": {"interval": INTERVALS[frequency]},
                        },
                    }
                ],
                "proration_behavior": "none",
            },
        )
    recording.record_change(gift_id=gift.pk, amount=amount, frequency=frequency)


def _return_path(gift: Gift, request: HttpRequest) -> str:
    """Back where the reader pressed Continue: the article, else the support page, as a
    path on the reader's own host."""
    from gazette.newsroom.models import NewsroomSettings

    site = Site.find_for_request(request)
    support_page = NewsroomSettings.for_site(site).support_page if site else None
    for page in (gift.article, support_page):
        parts = page.specific.get_url_parts(request=request) if page else None
        if parts:
            return parts[2]
    return "/"


def _product_name(request: HttpRequest) -> str:
    from gazette.newsroom.models import NewsroomSettings

    site = Site.find_for_request(request)
    name = NewsroomSettings.for_site(site).name if site else ""
    return _("Donation to %(name)s") % {"name": name} if name else _("Donation")


def _product(api: stripe.StripeClient, *, descriptor: str, request: HttpRequest) -> str:
    """Our product's id, made or brought in step with the descriptor setting (remembered
    for an hour, so most checkouts make one call, not three)."""
    key = f"support:stripe-product:{descriptor.encode().hex()}"
    if cache.get(key):
        return PRODUCT_ID
    try:
        product = api.v1.products.retrieve(PRODUCT_ID)
    except stripe.InvalidRequestError as error:
        if error.code != "resource_missing":
            raise
        params = {"id": PRODUCT_ID, "name": _product_name(request)}
        if descriptor:
            params["statement_descriptor"] = descriptor
        api.v1.products.create(params)
    else:
        if (product.to_dict().get("statement_descriptor") or "") != descriptor:
            api.v1.products.update(PRODUCT_ID, {"statement_descriptor": descriptor})
    cache.set(key, True, 3600)
    return PRODUCT_ID


class _reader_error:
    """Run Stripe calls with a client; turn Stripe's errors into a ProviderError the
    reader can act on, and log what Stripe said for staff."""

    def __init__(self, what: str):
        self.what = what

    def __enter__(self) -> stripe.StripeClient:
        return client()

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None or not isinstance(error, stripe.StripeError):
            return False
        logger.warning(
            "Stripe refused a request: %s (code %s, HTTP %s, request %s)",
            error.user_message or str(error),
            error.code,
            error.http_status,
            error.request_id,
        )
        if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
            hint = _("Please try again in a few minutes.")
        else:
            hint = _("Please try again later, or choose another way to give on our support page.")
        raise ProviderError(f"{self.what} {hint}") from error
