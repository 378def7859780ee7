"""The test provider's checkout pages (success, decline, cancel; refused when off), the
thank-you page and its token, and the support settings' rebuild of the stored site."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from wagtail.models import Page, Site

from gazette.support import recording
from gazette.support.links import gift_for_thanks_token, thanks_token
from gazette.support.models import Gift, Payment, SupportSettings
from gazette.support.providers import testmode

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def test_provider(settings):
    settings.GAZETTE_SUPPORT_TEST_PROVIDER = True
    SupportSettings.objects.get_or_create(site=Site.objects.get(is_default_site=True))


def gift(frequency="monthly", **fields) -> Gift:
    return recording.start_gift(
        frequency=frequency,
        amount=Decimal("5"),
        currency="EUR",
        fee_covered=Decimal("0.46"),
        provider="test",
        **fields,
    )


def checkout_path(item: Gift) -> str:
    path = testmode.start_checkout(item, request=None)
    assert path.startswith("/donate/test/")
    return path


def test_the_checkout_page_says_test_mode_and_what_is_given():
    response = Client().get(checkout_path(gift()))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Test mode: no money is taken" in html
    assert "5.46 EUR, Monthly" in html
    assert not response.cookies


def test_paying_a_monthly_gift_records_donor_subscription_payment_and_receipt(
    django_capture_on_commit_callbacks,
):
    item = gift()
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(checkout_path(item), {"action": "pay", "email": "Ana@Example.org"})
    assert response.status_code == 302
    assert response["Location"] == f"/donate/thanks/{thanks_token(item)}/"
    item.refresh_from_db()
    assert item.status == Gift.Status.ACTIVE
    assert item.subscription_id == f"test_sub_{item.pk}"
    assert item.donor.email == "ana@example.org"
    payment = item.payments.get()
    assert (payment.amount, payment.currency) == (Decimal("5.46"), "EUR")
    assert [message.to for message in mail.outbox] == [["ana@example.org"]]
    # Posting again (a reload, the back button) pays nothing twice.
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post(checkout_path(item), {"action": "pay", "email": "ana@example.org"})
    assert again["Location"] == response["Location"]
    assert Payment.objects.count() == 1 and len(mail.outbox) == 1


def test_a_one_time_gift_is_paid_without_a_subscription():
    item = gift("once")
    Client().post(checkout_path(item), {"action": "pay", "email": "b@example.org", "name": "B"})
    item.refresh_from_db()
    assert (item.status, item.subscription_id) == (Gift.Status.PAID, None)
    assert item.donor.name == "B"


def test_paying_needs_a_valid_email_and_says_so():
    item = gift()
    response = Client().post(checkout_path(item), {"action": "pay", "email": "not an address"})
    assert response.status_code == 400
    assert "Enter a valid email address, such as name@example.org." in response.content.decode()
    item.refresh_from_db()
    assert item.status == Gift.Status.PENDING and item.donor is None
    assert not mail.outbox


def test_decline_records_a_declined_gift_that_can_still_be_paid():
    item = gift()
    path = checkout_path(item)
    response = Client().post(path, {"action": "decline", "email": "c@example.org"})
    assert "The test payment was declined" in response.content.decode()
    item.refresh_from_db()
    assert item.status == Gift.Status.DECLINED and not item.payments.exists()
    Client().post(path, {"action": "pay", "email": "c@example.org"})
    item.refresh_from_db()
    assert item.status == Gift.Status.ACTIVE


def test_cancel_goes_back_to_the_page_the_reader_came_from():
    page = Page.objects.get(depth=2)
    item = gift(article_id=page.pk)
    response = Client().post(checkout_path(item), {"action": "cancel"})
    assert response.status_code == 302 and response["Location"] == page.url
    item.refresh_from_db()
    assert item.status == Gift.Status.PENDING and item.donor is None
    orphan = gift()
    assert Client().post(checkout_path(orphan), {"action": "cancel"})["Location"] == "/"


def test_the_test_checkout_is_refused_when_the_provider_is_off(settings):
    path = checkout_path(gift())
    settings.GAZETTE_SUPPORT_TEST_PROVIDER = False
    assert Client().get(path).status_code == 404
    assert Client().post(path, {"action": "pay", "email": "d@example.org"}).status_code == 404
    assert not Payment.objects.exists()


def test_a_forged_token_or_another_providers_gift_is_not_found():
    assert Client().get("/donate/test/forged/").status_code == 404
    stripe_gift = gift()
    Gift.objects.filter(pk=stripe_gift.pk).update(provider="stripe")
    assert Client().get(checkout_path(stripe_gift)).status_code == 404


def test_the_thank_you_token_names_its_gift_and_nothing_else():
    item = gift()
    token = thanks_token(item)
    assert gift_for_thanks_token(token) == item
    assert gift_for_thanks_token(token + "x") is None
    assert gift_for_thanks_token("garbage") is None
    response = Client().get(f"/donate/thanks/{token}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-thanks-days="90"' in html and "support/thanks.js" in html
    assert "<script>" not in html  # no inline script: the static file records the gift
    assert Client().get("/donate/thanks/garbage/").status_code == 404
