"""The support page in the demo (form, high-risk notice, bank details, crypto QR codes drawn
here as SVG), the appeal on article pages, and the rebuild after support settings change."""

import pytest
from django.test import Client

from gazette.demo.loader import load_demo
from gazette.newsroom.models import ArticlePage, NewsroomSettings
from gazette.support.models import SupportPage, SupportSettings
from gazette.support.wagtail_hooks import rebuild_after_support_settings

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.GAZETTE_SUPPORT_TEST_PROVIDER = True
    settings.GAZETTE_STRIPE_SECRET_KEY = ""
    load_demo()


def test_the_demo_support_page_offers_every_method(demo):
    page = SupportPage.objects.live().get()
    assert NewsroomSettings.objects.get().support_page_id == page.pk
    response = Client().get(page.url)
    html = response.content.decode()
    assert response.status_code == 200 and not response.cookies
    assert '<form class="donation-form" method="post" action="/donate/checkout/"' in html
    assert f'<input type="hidden" name="article" value="{page.pk}">' in html
    assert "Card payments appear on your bank statement" in html
    assert "IBAN: LV00 DEMO" in html
    # One QR code per address, drawn on our server: inline SVG, no image from elsewhere.
    assert (
        html.count('<svg viewBox="0 0')
        == len(SupportSettings.objects.get().crypto_address_list())
        == 2
    )
    assert "style=" not in html and "<script>" not in html


def test_article_pages_carry_the_appeal_with_its_settings(demo):
    SupportSettings.objects.update(remind_days=3, thanks_days=30, show_every=2)
    article = ArticlePage.objects.published().first()
    html = Client().get(article.url).content.decode()
    assert 'data-remind-days="3" data-thanks-days="30" data-show-every="2"' in html
    assert f'<input type="hidden" name="article" value="{article.pk}">' in html
    assert "A message from The Lantern" in html
    assert 'name="website"' in html  # the honeypot
    assert "support/appeal.js" in html and "support/appeal.css" in html


def test_no_payment_method_no_appeal_form(demo, settings):
    settings.GAZETTE_SUPPORT_TEST_PROVIDER = False
    article = ArticlePage.objects.published().first()
    assert 'class="appeal"' not in Client().get(article.url).content.decode()


def test_saving_the_support_settings_rebuilds_the_stored_site(
    demo, settings, tmp_path, django_capture_on_commit_callbacks
):
    from gazette.publishing.building import build_site
    from gazette.publishing.store import PageStore

    settings.GAZETTE_STORE_DIR = str(tmp_path / "store")
    settings.GAZETTE_BUILD_JOBS = 1
    article = ArticlePage.objects.published().first()
    build_site()
    assert b"A message from The Lantern" in PageStore().read(article.url)
    support = SupportSettings.objects.get()
    support.appeal_heading = "Keep The Lantern lit"
    support.save()
    with django_capture_on_commit_callbacks(execute=True):
        rebuild_after_support_settings(None, support)  # the admin's after_edit_setting hook
    stored = PageStore().read(article.url)
    assert b"Keep The Lantern lit" in stored and b"A message from The Lantern" not in stored
    assert PageStore().read(SupportPage.objects.get().url) is not None  # the support page is stored
