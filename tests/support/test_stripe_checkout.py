"""Stripe Checkout, cancel and change: the real SDK against a local stub of Stripe's API,
checking what Stripe would have received and what we recorded."""

from decimal import Decimal

import pytest
from django.test import RequestFactory
from wagtail.models import Site

from gazette.support import recording
from gazette.support.links import gift_for_thanks_token
from gazette.support.models import Gift, SupportSettings
from gazette.support.providers import ProviderError, provider
from tests.support.stripe_stub import StripeStub, error

MIRROR = "mirror.lantern.example"


@pytest.fixture
def stub(settings):
    settings.GAZETTE_STRIPE_SECRET_KEY = "sk_test_gazette"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, MIRROR]
    with StripeStub() as running:
        settings.GAZETTE_STRIPE_API_BASE = running.url
        yield running


@pytest.fixture
def descriptor(newsroom):
    support = SupportSettings.for_site(Site.objects.get(is_default_site=True))
    support.statement_descriptor = "LANTERN MEDIA"
    support.save()
    return support.statement_descriptor


def reader_request():
    # A reader on a mirror, over HTTPS: the return addresses must name the mirror.
    return RequestFactory().post("/donate/checkout/", HTTP_HOST=MIRROR, secure=True)


def gift(frequency: str, *, amount="5", fee="0", article=None) -> Gift:
    return recording.start_gift(
        frequency=frequency,
        amount=Decimal(amount),
        fee_covered=Decimal(fee),
        currency="eur",
        provider="stripe",
        article_id=article.pk if article else None,
        language="ru",
    )


def test_a_one_time_checkout_sends_a_payment_session_with_the_gift_everywhere(
    stub, newsroom, descriptor
):
    article = newsroom["lead"]
    once = gift("once", amount="25", fee="1.05", article=article)

    url = provider("stripe").start_checkout(once, request=reader_request())

    [sent] = stub.calls("POST", "/v1/checkout/sessions")
    form = sent.form
    assert sent.headers["Authorization"] == "Bearer sk_test_gazette"
    assert form["mode"] == "payment" and form["submit_type"] == "donate"
    assert form["line_items[0][price_data][unit_amount]"] == "2605"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["line_items[0][price_data][product_data][name]"] == "Donation to The Lantern"
    assert "line_items[0][price_data][recurring][interval]" not in form
    assert form["metadata[gazette_gift]"] == str(once.pk)
    assert form["payment_intent_data[metadata][gazette_gift]"] == str(once.pk)
    assert form["client_reference_id"] == str(once.pk)
    assert form["payment_intent_data[statement_descriptor_suffix]"] == descriptor
    assert form["locale"] == "ru"
    # Back to the reader's own host: the thanks page by signed token, or the article.
    thanks_prefix = f"https://{MIRROR}/donate/thanks/"
    assert form["success_url"].startswith(thanks_prefix)
    token = form["success_url"][len(thanks_prefix) :].rstrip("/")
    assert gift_for_thanks_token(token) == once
    assert gift_for_thanks_token(token + "x") is None
    assert form["cancel_url"] == f"https://{MIRROR}{article.url_path.removeprefix('/home')}"
    assert article.slug in form["cancel_url"]
    # Only the session was created: a one-time payment needs no product of ours.
    assert len(stub.requests) == 1

    once.refresh_from_db()
    assert url == f"https://checkout.stripe.com/c/pay/{once.checkout_id}"
    assert once.checkout_id.startswith("cs_test_")


@pytest.mark.parametrize(("frequency", "interval"), [("monthly", "month"), ("annual", "year")])
def test_a_recurring_checkout_sends_a_subscription_with_its_interval_and_descriptor(
    stub, newsroom, descriptor, frequency, interval
):
    recurring = gift(frequency, amount="5")

    provider("stripe").start_checkout(recurring, request=reader_request())

    # Subscriptions take their descriptor from their product: made once, with it.
    [made] = stub.calls("POST", "/v1/products")
    assert made.form["id"] == "gazette_donation"
    assert made.form["statement_descriptor"] == descriptor
    [sent] = stub.calls("POST", "/v1/checkout/sessions")
    form = sent.form
    assert form["mode"] == "subscription"
    assert form["line_items[0][price_data][unit_amount]"] == "500"
    assert form["line_items[0][price_data][recurring][interval]"] == interval
    assert form["line_items[0][price_data][product]"] == "gazette_donation"
    assert form["subscription_data[metadata][gazette_gift]"] == str(recurring.pk)
    assert form["metadata[gazette_gift]"] == str(recurring.pk)
    assert not any(key.startswith("payment_intent_data") for key in form)
    # No article: back to the newsroom's support page, on the mirror.
    assert form["cancel_url"] == f"https://{MIRROR}/support/"
    assert form["success_url"].startswith(f"https://{MIRROR}/donate/thanks/")


def test_the_product_follows_a_changed_descriptor(stub, newsroom, descriptor):
    stub.products["gazette_donation"] = {
        "id": "gazette_donation",
        "object": "product",
        "name": "Donation",
        "statement_descriptor": "OLD NAME",
    }
    provider("stripe").start_checkout(gift("monthly"), request=reader_request())
    [updated] = stub.calls("POST", "/v1/products/gazette_donation")
    assert updated.form == {"statement_descriptor": descriptor}
    assert stub.products["gazette_donation"]["statement_descriptor"] == descriptor
    assert not stub.calls("POST", "/v1/products")


def test_stripe_refusing_the_checkout_gives_the_reader_a_message_and_keeps_no_session_id(
    stub, newsroom, caplog
):
    stub.fail_with = (
        400,
        error("invalid_request_error", "Amount must convert to at least 50 cents."),
    )
    once = gift("once")
    with pytest.raises(ProviderError) as raised:
        provider("stripe").start_checkout(once, request=reader_request())
    assert "Card payments are not available right now" in str(raised.value)
    assert "another way to give" in str(raised.value)
    assert "50 cents" in caplog.text  # Stripe's detail goes to the log, for staff
    once.refresh_from_db()
    assert once.checkout_id is None


def test_a_descriptor_stripe_refuses_does_not_lose_the_gift_and_staff_are_told(
    stub, newsroom, descriptor, caplog
):
    stub.refuse_field = "payment_intent_data[statement_descriptor_suffix]"
    once = gift("once")
    url = provider("stripe").start_checkout(once, request=reader_request())
    refused, sent = stub.calls("POST", "/v1/checkout/sessions")
    assert refused.form["payment_intent_data[statement_descriptor_suffix]"] == descriptor
    assert "payment_intent_data[statement_descriptor_suffix]" not in sent.form
    assert sent.form["payment_intent_data[metadata][gazette_gift]"] == str(once.pk)
    assert url.startswith("https://checkout.stripe.com/")
    assert "Shorten it in the reader revenue settings" in caplog.text


def test_cancel_stops_the_subscription_at_stripe_then_records_it(stub, newsroom):
    monthly = gift("monthly")
    recording.attach_donor(gift_id=monthly.pk, email="ana@example.org", subscription_id="sub_9")
    stub.add_subscription("sub_9", unit_amount=500, currency="eur", interval="month")

    provider("stripe").cancel(Gift.objects.get(pk=monthly.pk))

    assert len(stub.calls("DELETE", "/v1/subscriptions/sub_9")) == 1
    assert stub.subscriptions["sub_9"]["status"] == "canceled"
    monthly.refresh_from_db()
    assert monthly.status == Gift.Status.CANCELLED and monthly.ended_at is not None

    # Cancelled at Stripe already (e.g. twice from two tabs): no second DELETE, no error.
    provider("stripe").cancel(Gift.objects.get(pk=monthly.pk))
    assert len(stub.calls("DELETE", "/v1/subscriptions/sub_9")) == 1


def test_a_failed_cancel_changes_nothing_and_says_so(stub, newsroom):
    monthly = gift("monthly")
    recording.attach_donor(gift_id=monthly.pk, email="ana@example.org", subscription_id="sub_8")
    recording.record_payment(
        gift_id=monthly.pk, provider_id="in_8", amount=Decimal("5"), currency="eur"
    )
    stub.fail_with = (400, error("invalid_request_error", "No such subscription: sub_8"))
    with pytest.raises(ProviderError, match="could not be cancelled"):
        provider("stripe").cancel(Gift.objects.get(pk=monthly.pk))
    monthly.refresh_from_db()
    assert monthly.status == Gift.Status.ACTIVE


def test_change_gives_the_item_a_new_price_of_the_same_product_without_prorations(stub, newsroom):
    monthly = gift("monthly", amount="5", fee="0.45")
    recording.attach_donor(gift_id=monthly.pk, email="ana@example.org", subscription_id="sub_7")
    stub.add_subscription("sub_7", unit_amount=545, currency="eur", interval="month")

    provider("stripe").change(
        Gift.objects.get(pk=monthly.pk), amount=Decimal("50"), frequency="annual"
    )

    [sent] = stub.calls("POST", "/v1/subscriptions/sub_7")
    assert sent.form == {
        "items[0][id]": "si_sub_7",
        "items[0][price_data][currency]": "eur",
        "items[0][price_data][product]": "gazette_donation",
        "items[0][price_data][unit_amount]": "5045",
        "items[0][price_data][recurring][interval]": "year",
        "proration_behavior": "none",
    }
    monthly.refresh_from_db()
    assert monthly.amount == Decimal("50") and monthly.frequency == "annual"


def test_a_failed_change_keeps_the_old_amount(stub, newsroom):
    monthly = gift("monthly", amount="5")
    recording.attach_donor(gift_id=monthly.pk, email="ana@example.org", subscription_id="sub_6")
    stub.fail_with = (400, error("invalid_request_error", "This subscription is canceled."))
    with pytest.raises(ProviderError, match="could not be changed"):
        provider("stripe").change(
            Gift.objects.get(pk=monthly.pk), amount=Decimal("10"), frequency="monthly"
        )
    monthly.refresh_from_db()
    assert monthly.amount == Decimal("5")
