"""The build renderer skips Django's per-request work and shares what pages have in common,
but must store exactly what Django answers a reader; and a big build runs in several
processes with the same result."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from wagtail.models import Locale

from gazette.demo.loader import load_demo
from gazette.newsroom.models import pages as page_models
from gazette.publishing import building
from gazette.publishing import paths as site_paths
from gazette.publishing.building import rebuilds_paused
from gazette.publishing.models import StoredPage
from gazette.publishing.store import PageStore


@pytest.fixture
def small_pages(monkeypatch):
    """Four articles a listing page, so that the demo has deep listing pages."""
    monkeypatch.setattr(page_models, "PAGE_SIZE", 4)
    monkeypatch.setattr(site_paths, "PAGE_SIZE", 4)


def translate_an_article() -> page_models.ArticlePage:
    """The demo's Russian edition has only a front page: give it a section and an article."""
    russian = Locale.objects.get(language_code="ru")
    with rebuilds_paused():
        section = page_models.SectionPage.objects.get(slug="news", locale__language_code="en")
        section_ru = section.copy_for_translation(russian)
        section_ru.title = "Новости"
        section_ru.save_revision().publish()
        article = page_models.ArticlePage.objects.child_of(section).first()
        article_ru = article.copy_for_translation(russian)
        article_ru.title = "Перевод статьи"
        article_ru.slug = "перевод-статьи"  # quoted in links as Django's reverse() does
        article_ru.save_revision().publish()
    return page_models.ArticlePage.objects.get(pk=article_ru.pk)


def shows(path: str) -> set[int]:
    return set(StoredPage.objects.get(path=path).shows.values_list("pk", flat=True))


@pytest.mark.django_db
def test_every_stored_page_of_the_demo_is_what_django_answers(
    small_pages, monkeypatch, settings, tmp_path
):
    load_demo()
    translated = translate_an_article()
    client = Client()
    # A few paths (a publish) and many (a full build) are rendered in different ways.
    for bulk_from in (10_000, 0):
        monkeypatch.setattr(building, "BULK_FROM", bulk_from)
        settings.GAZETTE_STORE_DIR = tmp_path / f"store-{bulk_from}"
        store = PageStore()
        with CaptureQueriesContext(connection) as queries:
            summary = building.build_site(store=store)
        assert summary.errors == []
        stored = list(store.paths())
        assert set(stored) == set(site_paths.site_paths()) and len(stored) > 150
        # Both editions, deep listing pages, translated articles and feeds are among them.
        assert "/ru/" in stored and "/news/page/3/" in stored and "/ru/rss.xml" in stored
        assert translated.relative_path() in stored and "%D0%BF" in translated.relative_path()
        assert translated.get_translation(Locale.get_default()).relative_path() in stored
        for path in stored:
            assert store.read(path) == client.get(path).content, path
        if bulk_from == 0:
            # What pages share is fetched once per build: a few queries a page, not dozens.
            assert len(queries.captured_queries) / len(stored) < 3


@pytest.mark.django_db
def test_a_build_session_keeps_no_stale_listing_between_builds(small_pages, settings, tmp_path):
    load_demo()
    settings.GAZETTE_STORE_DIR = tmp_path / "store"
    store = PageStore()
    building.build_site(store=store)
    first = shows("/news/")
    newest = page_models.ArticlePage.objects.published().child_of(
        page_models.SectionPage.objects.get(slug="news")
    )[0]
    newest.unpublish()
    building.render_paths(["/news/", newest.relative_path()], store=store)
    assert newest.pk in first and newest.pk not in shows("/news/")
    assert store.read(newest.relative_path()) is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_build_in_several_processes_stores_the_same_pages(
    small_pages, monkeypatch, settings, tmp_path
):
    load_demo()
    monkeypatch.setattr(building, "CHUNK", 7)  # several slices for two processes
    settings.GAZETTE_STORE_DIR = tmp_path / "one"
    alone = building.build_site(store=PageStore(), jobs=1)
    recorded = {row.path: (row.page_id, shows(row.path)) for row in StoredPage.objects.all()}
    StoredPage.objects.all().delete()
    settings.GAZETTE_STORE_DIR = tmp_path / "two"
    together = building.build_site(store=PageStore(), jobs=2)
    assert together.errors == [] and together.rendered == alone.rendered
    one, two = PageStore(tmp_path / "one"), PageStore(tmp_path / "two")
    assert list(one.paths()) == list(two.paths())
    for path in one.paths():
        assert one.read(path).decode() == two.read(path).decode(), path
    assert {
        row.path: (row.page_id, shows(row.path)) for row in StoredPage.objects.all()
    } == recorded
