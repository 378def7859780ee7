"""POST /donate/checkout/: every reader mistake gets a message they can act on and stores
nothing; bots (honeypot), floods (rate limits) and other sites' forms are refused; a good
post makes one pending gift and sends the reader to the provider's checkout."""

import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from wagtail.models import Page, Site

from gazette import ratelimits
from gazette.support.models import Gift, SupportSettings

pytestmark = pytest.mark.django_db

GOOD = {
    "frequency": "monthly",
    "amount": "5",
    "custom_amount": "",
    "currency": "USD",
    "provider": "test",
    "language": "en",
    "website": "",
}


@pytest.fixture(autouse=True)
def support(settings):
    settings.GAZETTE_SUPPORT_TEST_PROVIDER = True
    settings.GAZETTE_STRIPE_SECRET_KEY = ""
    site = Site.objects.get(is_default_site=True)
    return SupportSettings.objects.create(
        site=site, minimum_amount=Decimal("2"), maximum_amount=Decimal("1000")
    )


def post(client=None, **fields):
    data = {**GOOD, **fields}
    return (client or Client()).post(
        "/donate/checkout/", {k: v for k, v in data.items() if v is not None}
    )


def test_a_good_post_makes_a_pending_gift_and_goes_to_the_test_checkout():
    article = Page.objects.get(depth=2)
    response = post(article=str(article.pk), cover_fee="1", language="ru")
    assert response.status_code == 302
    gift = Gift.objects.get()
    assert response["Location"].startswith("/donate/test/")
    assert (gift.frequency, gift.amount, gift.currency) == ("monthly", Decimal("5"), "USD")
    assert gift.status == Gift.Status.PENDING and gift.provider == "test"
    assert gift.fee_covered == SupportSettings.objects.get().fee_for(Decimal("5")) > 0
    assert (gift.article_id, gift.language) == (article.pk, "ru")
    assert gift.donor is None
    assert not response.cookies


@pytest.mark.parametrize("amount", ["1e30", "9" * 40, "-1e30", "1e-30"])
def test_an_absurd_amount_gets_a_message_not_a_server_error(amount):
    response = post(amount="", custom_amount=amount)
    assert response.status_code == 400
    assert not Gift.objects.exists()


def test_a_written_amount_wins_over_the_preset_and_takes_two_decimals():
    assert post(amount="10", custom_amount="12.50", frequency="annual").status_code == 302
    gift = Gift.objects.get()
    assert (gift.amount, gift.frequency, gift.fee_covered) == (Decimal("12.50"), "annual", 0)


def test_an_unknown_article_id_is_dropped_not_refused():
    assert post(article="999999").status_code == 302
    assert Gift.objects.get().article_id is None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"frequency": None}, "Choose how often to give: once, monthly or annually."),
        ({"frequency": "weekly"}, "Choose how often to give: once, monthly or annually."),
        ({"amount": ""}, "Choose an amount, or write your own."),
        ({"custom_amount": "lots"}, "“lots” is not an amount: write a number, such as 5 or 12.50."),
        ({"custom_amount": "NaN"}, "“NaN” is not an amount: write a number, such as 5 or 12.50."),
        ({"custom_amount": "5.555"}, "Write the amount with at most two decimals, such as 12.50."),
        ({"custom_amount": "1.99"}, "The smallest gift we can take is $2.00."),
        ({"custom_amount": "-5"}, "The smallest gift we can take is $2.00."),
        ({"custom_amount": "1.50", "currency": "EUR"}, "The smallest gift we can take is €2.00."),
        (
            {"custom_amount": "1000.01"},
            "The largest gift we take here is $1,000.00. For a larger one, please use a bank "
            "transfer (see our support page).",
        ),
        ({"currency": "JPY"}, "We take gifts in USD, EUR only: choose one of them."),
        ({"currency": ""}, "Choose a currency."),
        ({"provider": ""}, "Choose a payment method."),
        ({"provider": "stripe"}, "That payment method is not available: choose another."),
    ],
)
def test_bad_input_is_shown_with_what_to_correct_and_nothing_is_stored(fields, message):
    response = post(**fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert message.replace("“", "&ldquo;").replace("”", "&rdquo;") in html or message in html
    assert not Gift.objects.exists()
    assert not response.cookies


def test_the_form_comes_back_as_the_reader_filled_it_in():
    html = post(
        frequency="annual", amount="", custom_amount="0.5", currency="EUR", cover_fee="1"
    ).content.decode()
    assert '<input type="radio" name="frequency" value="annual" checked>' in html
    assert re.search(r'name="custom_amount"[^>]*value="0.5"', html)
    assert '<option value="EUR" data-symbol="€" selected>' in html
    assert '<input type="checkbox" name="cover_fee" value="1" checked>' in html
    assert '<input type="radio" name="provider" value="test" checked>' in html


def test_the_honeypot_refuses_bots_and_stores_nothing():
    response = post(website="https://spam.example")
    assert response.status_code == 400
    assert b"filled in by a program" in response.content
    assert not Gift.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_ORIGIN": "https://cards.example"},
        # A sandboxed frame elsewhere. (Origin "null" with Sec-Fetch-Site "same-origin" is
        # our own no-referrer page: signup.is_cross_site lets it through.)
        {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_ORIGIN": "null"},
    ],
)
def test_a_post_from_another_site_is_refused(headers):
    response = Client(**headers).post("/donate/checkout/", GOOD)
    assert response.status_code == 403
    assert b"sent from another website" in response.content
    assert not Gift.objects.exists()


def test_a_post_from_our_own_pages_is_accepted():
    client = Client(HTTP_SEC_FETCH_SITE="same-origin", HTTP_ORIGIN="https://lantern.example")
    assert client.post("/donate/checkout/", GOOD).status_code == 302


def test_rate_limit_per_client_then_429(settings):
    settings.GAZETTE_SUPPORT_PER_CLIENT = 3
    for _ in range(3):
        assert post().status_code == 302
    response = post()
    assert response.status_code == 429
    assert b"Too many attempts" in response.content
    assert Gift.objects.count() == 3
    # Bad posts count too: a card-testing bot does not get more tries by erring.
    assert post(amount="").status_code == 429
    assert post(client=Client(REMOTE_ADDR="192.0.2.7")).status_code == 302


def test_rate_limit_for_everyone_together(settings):
    settings.GAZETTE_SUPPORT_GLOBAL = 2
    clients = [Client(REMOTE_ADDR=f"192.0.2.{number}") for number in range(3)]
    assert [post(client=client).status_code for client in clients] == [302, 302, 429]
    assert Gift.objects.count() == 2


def test_the_client_is_counted_under_a_keyed_hash_not_its_address():
    post(client=Client(REMOTE_ADDR="198.51.100.23"))
    key = ratelimits.keyed("client", "198.51.100.23", prefix="support:checkout")
    assert "198.51.100.23" not in key
    assert cache.get(key) == 1


def test_no_provider_on_offer_means_no_gift(settings):
    settings.GAZETTE_SUPPORT_TEST_PROVIDER = False
    response = post()
    assert response.status_code == 400
    assert "That payment method is not available: choose another." in response.content.decode()
    assert not Gift.objects.exists()


def test_only_post_is_answered():
    assert Client().get("/donate/checkout/").status_code == 405
