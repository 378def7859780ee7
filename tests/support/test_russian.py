"""Reader revenue in Russian: the appeal on a Russian article page and the receipt of a gift
made from one speak Russian, labels, choices and the numbers' format alike. The catalogue
itself (complete, compiled, no clash with Wagtail's Russian) is checked in
tests/newsletters/test_russian.py."""

from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import translation
from wagtail.models import Locale

from gazette.publishing.building import rebuilds_paused
from gazette.support import recording
from tests.factories import home_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _language_restored():
    """A request for a Russian page leaves Russian active in this thread (LocaleMiddleware
    activates a language and nothing deactivates it): the tests after these would then
    read Russian where they expect English."""
    language = translation.get_language()
    yield
    translation.activate(language)


@pytest.fixture
def russian_article(newsroom, settings):
    """The newsroom's lead article, translated into its Russian edition."""
    settings.GAZETTE_SUPPORT_TEST_PROVIDER = True
    settings.GAZETTE_STRIPE_SECRET_KEY = ""
    russian = Locale.objects.get(language_code="ru")
    with rebuilds_paused():
        for page in (home_page(), newsroom["lead"].get_parent().specific):
            translated = page.copy_for_translation(russian)
            translated.save_revision().publish()
        article = newsroom["lead"].copy_for_translation(russian)
        article.title = "Ассамблея приняла закон о СМИ"
        article.save_revision().publish()
    return article


def test_the_appeal_on_a_russian_article_is_in_russian(russian_article):
    response = Client().get(russian_article.url)
    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="ru">' in html
    for text in ("Как часто", "Ежемесячно", "Другая сумма", "Банковская карта (тестовый режим)"):
        assert text in html, text
    assert "Напомнить позже" in html and "Remind me later" not in html
    assert "Спасибо за вашу поддержку" in html and "Thank you for your support" not in html
    # The gift started here is recorded as Russian, so that its mails are Russian too.
    assert '<input type="hidden" name="language" value="ru">' in html


def test_the_receipt_of_a_russian_gift_is_in_russian(django_capture_on_commit_callbacks):
    gift = recording.start_gift(
        frequency="monthly",
        amount=Decimal("7.50"),
        currency="eur",
        provider="test",
        language="ru",
    )
    recording.attach_donor(
        gift_id=gift.pk, email="olga@example.org", name="Ольга", subscription_id="sub_ru"
    )
    with django_capture_on_commit_callbacks(execute=True):
        recording.record_payment(
            gift_id=gift.pk, provider_id="in_ru", amount=Decimal("7.50"), currency="eur"
        )
    [receipt] = mail.outbox
    assert receipt.subject.startswith("Спасибо! Ваша квитанция от «")
    html = receipt.alternatives[0][0]
    for body in (receipt.body, html):
        assert "Здравствуйте, Ольга!" in body
        assert "в размере 7,50 EUR. Спасибо!" in body  # a decimal comma, as Russian writes it
        assert "Оно будет повторяться каждый месяц, пока вы его не отмените." in body
        assert "Квитанция" in body and "Receipt" not in body
    assert "Посмотреть, изменить или отменить пожертвования" in html
