"""The build renderer skips Django's per-request work and shares what pages have in common,
but must store exactly what Django answers a reader; and a big build runs in several
processes with the same result."""

import threading

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
from tests.workers import run_gazette


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
def test_a_build_in_several_processes_stores_the_same_pages(tmp_path):
    """Run as an operator would, `gazette site build` in a process of its own: forking this
    one, with the test run's threads (live server, browser driver) in it, could copy a
    lock one of them holds into a child that then waits for it forever."""
    load_demo()
    builds = {}
    for jobs in (1, 2):
        StoredPage.objects.all().delete()
        store = tmp_path / f"jobs-{jobs}"
        done = run_gazette("site", "build", "--jobs", str(jobs), GAZETTE_STORE_DIR=str(store))
        assert done.returncode == 0, done.stdout + done.stderr
        assert (f"; {jobs} processes" in done.stdout) == (jobs > 1), done.stdout
        builds[jobs] = {
            row.path: (row.page_id, shows(row.path)) for row in StoredPage.objects.all()
        }
    assert len(builds[1]) > 100 and builds[2] == builds[1]
    one, two = PageStore(tmp_path / "jobs-1"), PageStore(tmp_path / "jobs-2")
    assert list(one.paths()) == list(two.paths()) and len(list(one.paths())) > 100
    for path in one.paths():
        assert one.read(path).decode() == two.read(path).decode(), path


def test_the_build_command_refuses_a_job_count_below_one():
    done = run_gazette("site", "build", "--jobs", "0")
    assert done.returncode != 0 and "--jobs must be 1 or more." in done.stderr


@pytest.mark.django_db
def test_a_build_never_forks_while_other_threads_run(settings, tmp_path, caplog):
    load_demo()
    settings.GAZETTE_STORE_DIR = tmp_path / "store"
    ready, stop = threading.Event(), threading.Event()
    other = threading.Thread(target=lambda: (ready.set(), stop.wait(30)))
    other.start()
    ready.wait()
    try:
        summary = building.build_site(store=PageStore(), jobs=2)
    finally:
        stop.set()
        other.join()
    assert summary.errors == [] and summary.rendered > 100
    assert "Other threads are running: building in this process" in caplog.text
