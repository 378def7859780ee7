"""The donor's manage page (/donate/manage/<token>/): history, changing and stopping a
recurring gift through the provider interface, expired and forged links, and the form that
mails a fresh link without telling who is a donor."""

import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from gazette.support.links import manage_token
from gazette.support.models import Gift
from gazette.support.providers import ProviderError

from .giving import give

pytestmark = pytest.mark.django_db


def manage_path(gift: Gift) -> str:
    return f"/donate/manage/{manage_token(gift.donor)}/"


@pytest.fixture
def monthly(newsroom):
    return give("ana@example.org", amount="5", payments=2, article_id=newsroom["lead"].pk)


def test_the_page_shows_the_donors_gifts_and_payments_and_sets_no_cookie(monthly):
    give("ana@example.org", frequency="once", amount="25")
    give("someone.else@example.org", amount="77")
    response = Client().get(manage_path(monthly))
    assert response.status_code == 200
    page = response.content.decode()
    assert "ana@example.org" in page
    assert "5.00 USD, monthly" in page and "25.00 USD, once" in page
    assert page.count("<tr><td>") == 3  # two payments of the monthly gift, one of the other
    assert "77" not in page and "someone.else" not in page
    assert not response.cookies
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-cache" in response["Cache-Control"]
    assert "<script" not in page and "style=" not in page
    assert "default-src" in response["Content-Security-Policy"]
    # Only the running gift can be changed or stopped.
    assert page.count('name="gift"') == 1
    assert f"/cancel/{monthly.pk}/" in page


def test_changing_the_amount_and_frequency_goes_through_the_provider(monthly):
    response = Client().post(
        manage_path(monthly), {"gift": monthly.pk, "amount": "12.50", "frequency": "annual"}
    )
    assert response.status_code == 200
    assert b"Your change is saved" in response.content
    monthly.refresh_from_db()
    assert monthly.amount == Decimal("12.50") and monthly.frequency == "annual"
    assert monthly.status == Gift.Status.ACTIVE


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"amount": "1", "frequency": "monthly"}, "The smallest gift we can take is 2.00 USD."),
        ({"amount": "20000", "frequency": "monthly"}, "The largest gift we can take here is"),
        ({"amount": "five", "frequency": "monthly"}, "Write the amount as a number"),
        ({"amount": "5.001", "frequency": "monthly"}, "Write the amount as a number"),
        # Too large for quantize() in Decimal's context: once a server error.
        ({"amount": "1e30", "frequency": "monthly"}, "The largest gift we can take here is"),
        ({"amount": "10", "frequency": "once"}, "Select a valid choice"),
        ({"amount": "5", "frequency": "monthly"}, "nothing to change"),
    ],
)
def test_a_bad_change_is_refused_with_a_message_and_changes_nothing(monthly, fields, message):
    response = Client().post(manage_path(monthly), {"gift": monthly.pk, **fields})
    assert response.status_code == 400
    assert message in response.content.decode()
    monthly.refresh_from_db()
    assert monthly.amount == Decimal("5") and monthly.frequency == "monthly"


def test_a_provider_refusal_is_shown_and_nothing_changes(monthly):
    refusal = ProviderError("The card network is not answering.")
    with mock.patch("gazette.support.providers.testmode.change", side_effect=refusal):
        response = Client().post(
            manage_path(monthly), {"gift": monthly.pk, "amount": "9", "frequency": "monthly"}
        )
    assert response.status_code == 502
    assert "The card network is not answering." in response.content.decode()
    monthly.refresh_from_db()
    assert monthly.amount == Decimal("5")


def test_cancelling_asks_first_then_stops_the_gift(monthly):
    client = Client()
    cancel = f"{manage_path(monthly)}cancel/{monthly.pk}/"
    response = client.get(cancel)
    assert response.status_code == 200 and b"Yes, stop my gift" in response.content
    monthly.refresh_from_db()
    assert monthly.status == Gift.Status.ACTIVE  # a GET (a link scanner) stops nothing
    response = client.post(cancel)
    assert response.status_code == 200 and b"Your gift is stopped" in response.content
    monthly.refresh_from_db()
    assert monthly.status == Gift.Status.CANCELLED and monthly.ended_at is not None
    assert b'name="gift"' not in response.content  # nothing left to change
    # Stopping it again: it is not running, said plainly.
    again = client.post(cancel)
    assert again.status_code == 404 and b"not running any more" in again.content


def test_another_donors_gift_cannot_be_touched_with_my_link(monthly):
    other = give("bob@example.org", amount="8")
    response = Client().post(
        manage_path(monthly), {"gift": other.pk, "amount": "3", "frequency": "monthly"}
    )
    assert response.status_code == 400
    response = Client().post(f"{manage_path(monthly)}cancel/{other.pk}/")
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.amount == Decimal("8") and other.status == Gift.Status.ACTIVE


def test_a_post_from_another_site_is_refused(monthly):
    response = Client().post(
        f"{manage_path(monthly)}cancel/{monthly.pk}/", headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    monthly.refresh_from_db()
    assert monthly.status == Gift.Status.ACTIVE


def test_a_post_from_our_own_no_referrer_page_is_accepted(monthly):
    """The page is sent with "Referrer-Policy: no-referrer", so Chromium posts its forms
    with "Origin: null"; Sec-Fetch-Site says they came from our own origin."""
    headers = {"Sec-Fetch-Site": "same-origin", "Origin": "null"}
    response = Client().post(f"{manage_path(monthly)}cancel/{monthly.pk}/", headers=headers)
    assert response.status_code == 200
    monthly.refresh_from_db()
    assert monthly.status == Gift.Status.CANCELLED


@pytest.mark.parametrize("kind", ["expired", "forged"])
def test_an_expired_or_forged_link_offers_a_fresh_one(monthly, settings, kind):
    token = manage_token(monthly.donor)
    if kind == "expired":
        settings.GAZETTE_DONOR_LINK_DAYS = 7
        later = timezone.now() + timedelta(days=8)
        with mock.patch("django.core.signing.time.time", return_value=later.timestamp()):
            response = Client().get(f"/donate/manage/{token}/")
    else:
        response = Client().get(f"/donate/manage/{token[:-3]}abc/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This link has expired or does not work" in page
    assert 'action="/donate/manage/"' in page and "ana@example.org" not in page


def fresh_link(email: str, client: Client | None = None):
    return (client or Client()).post("/donate/manage/", {"email": email})


def test_a_known_donor_gets_a_fresh_link_by_mail(monthly, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = fresh_link("ANA@example.org")
    assert response.status_code == 200
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ana@example.org"]
    link = re.search(r"https://lantern\.example(/donate/manage/\S+/)", mail.outbox[0].body)
    page = Client().get(link.group(1))
    assert page.status_code == 200 and b"5.00 USD, monthly" in page.content
    # Asked again at once: the same answer, and no second mail (a mailbox is not flooded).
    with django_capture_on_commit_callbacks(execute=True):
        again = fresh_link("ana@example.org")
    assert again.content == response.content and len(mail.outbox) == 1


def test_an_unknown_address_gets_the_same_answer_and_no_mail(
    monthly, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        unknown = fresh_link("nobody@example.org")
        known = fresh_link("ana@example.org")
    assert unknown.status_code == known.status_code == 200
    assert unknown.content == known.content
    assert [message.to for message in mail.outbox] == [["ana@example.org"]]


def test_a_bad_address_is_refused_with_a_message(db):
    response = fresh_link("not-an-address")
    assert response.status_code == 400
    assert b"Enter a valid email address." in response.content


def test_fresh_links_are_rate_limited_per_client_and_overall(monthly, settings):
    settings.GAZETTE_DONOR_LINK_PER_CLIENT = 2
    assert [fresh_link(f"x{n}@example.org").status_code for n in range(3)] == [200, 200, 429]
    assert b"Too many requests" in fresh_link("ana@example.org").content
    assert not mail.outbox
    other = Client(REMOTE_ADDR="192.0.2.9")
    assert fresh_link("y@example.org", other).status_code == 200
    settings.GAZETTE_DONOR_LINK_GLOBAL = 3  # four posts so far from two clients
    assert fresh_link("z@example.org", Client(REMOTE_ADDR="192.0.2.10")).status_code == 429
