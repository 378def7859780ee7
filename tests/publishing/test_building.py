"""The page store follows the content: a full build holds every public page exactly as
Django renders it, and publishing, editing or unpublishing an article re-renders the pages
that show it."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from wagtail.models import Page

from gazette.publishing.building import DEEP_PRIORITY, build_site, record
from gazette.publishing.models import StoredPage
from gazette.publishing.rendering import Rendered
from gazette.publishing.store import PageStore
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(settings, tmp_path):
    settings.GAZETTE_STORE_DIR = tmp_path / "store"
    return PageStore()


def test_full_build_holds_every_public_page_as_django_renders_it(newsroom, store):
    summary = build_site(store=store)
    assert summary.errors == []
    paths = set(store.paths())
    listings = [
        "/",
        "/news/",
        "/business/",
        "/tags/censorship/",
        "/tags/assembly/",
        "/tags/courts/",
        "/tags/economy/",
        "/authors/anna-petrenko/",
        "/authors/ivan-sorokin/",
        "/authors/staff/",
    ]
    expected = {
        *listings,
        *(f"{path}{feed}" for path in listings for feed in ["rss.xml", "atom.xml", "feed.json"]),
        "/about/",
        "/privacy/",
        "/support/",
        *(newsroom[key].url for key in ["lead", "tagged", "same_section", "older", "other"]),
        "/robots.txt",
        "/mirrors.json",
        "/sitemap.xml",
        "/sitemaps/pages.xml",
        "/sitemaps/news.xml",
        "/sitemaps/articles-1.xml",
    }
    assert paths == expected
    for path in expected:
        assert store.read(path) == Client().get(path).content, path
    assert summary.written == len(expected)
    again = build_site(store=store)
    assert again.written == 0 and again.unchanged == len(expected)


def test_full_build_removes_what_the_site_no_longer_has(newsroom, store):
    build_site(store=store)
    store.write("/news/a-deleted-story/", b"old")
    summary = build_site(store=store)
    assert "/news/a-deleted-story/" not in set(store.paths())
    assert summary.removed == 1


def test_stored_pages_record_the_articles_they_show(newsroom, store):
    build_site(store=store)
    home = StoredPage.objects.get(path="/")
    assert newsroom["lead"].pk in set(home.shows.values_list("pk", flat=True))
    article = StoredPage.objects.get(path=newsroom["lead"].url)
    assert article.page_id == newsroom["lead"].pk
    # Its "Read more" shows the article sharing its tag.
    assert newsroom["tagged"].pk in set(article.shows.values_list("pk", flat=True))


def test_recording_a_path_again_updates_its_row(newsroom):
    page_id = Page.objects.live().last().pk
    record([Rendered("/somewhere/", 200, shows=set(), page_id=page_id)])
    first = StoredPage.objects.get(path="/somewhere/")
    assert first.page_id == page_id
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        record([Rendered("/somewhere/", 200, shows=set(), page_id=None)])
    again = StoredPage.objects.get(path="/somewhere/")
    assert again.pk == first.pk and again.page_id is None
    assert again.rendered_at - first.rendered_at >= timedelta(minutes=59)


def test_publishing_an_article_updates_every_page_that_shows_it(
    newsroom, store, django_capture_on_commit_callbacks
):
    build_site(store=store)
    with django_capture_on_commit_callbacks(execute=True):
        article = make_article(
            newsroom["business"],
            "Censors fine a printing house",
            authors=[newsroom["authors"]["ivan"]],
            tags=["Censorship"],
            hours_ago=0,
        )
    for path in ["/", "/business/", "/tags/censorship/", "/authors/ivan-sorokin/", article.url]:
        assert b"Censors fine a printing house" in store.read(path), path
    # Articles sharing its tag list it under "Read more".
    assert b"Censors fine a printing house" in store.read(newsroom["lead"].url)
    # Pages that do not show it are not touched.
    assert b"Censors fine a printing house" not in store.read("/news/")


def test_editing_a_headline_updates_pages_that_show_it(
    newsroom, store, django_capture_on_commit_callbacks
):
    build_site(store=store)
    tagged = newsroom["tagged"]
    assert b"Printers face new fines" in store.read(newsroom["lead"].url)
    with django_capture_on_commit_callbacks(execute=True):
        tagged.title = "Printers face record fines"
        tagged.save_revision().publish()
    for path in ["/", "/business/", "/tags/censorship/", newsroom["lead"].url]:
        page = store.read(path)
        assert b"Printers face record fines" in page, path
        assert b"Printers face new fines" not in page, path
    assert b'<h1 class="article__headline">Printers face record fines</h1>' in store.read(
        tagged.url
    )


def test_unpublishing_removes_an_article_everywhere(
    newsroom, store, django_capture_on_commit_callbacks
):
    build_site(store=store)
    tagged = newsroom["tagged"]
    with django_capture_on_commit_callbacks(execute=True):
        tagged.unpublish()
    assert store.read(tagged.url) is None
    for path in store.paths():
        assert b"Printers face new fines" not in store.read(path), path
    assert not StoredPage.objects.filter(path=tagged.url).exists()


def test_deleting_an_article_removes_it_everywhere(
    newsroom, store, django_capture_on_commit_callbacks
):
    build_site(store=store)
    other = newsroom["other"]
    url = other.url
    with django_capture_on_commit_callbacks(execute=True):
        other.delete()
    assert store.read(url) is None
    for path in store.paths():
        assert b"Grain exports fall" not in store.read(path), path


def test_deep_listing_pages_follow_in_a_second_task(
    newsroom, store, django_capture_on_commit_callbacks
):
    from django_tasks.signals import task_enqueued

    from gazette.publishing.paths import is_deep_listing_page

    for number in range(45):  # three pages of News
        make_article(
            newsroom["news"],
            f"Archive story {number}",
            authors=[newsroom["authors"]["anna"]],
            hours_ago=50 + number,
        )
    build_site(store=store)
    assert store.read("/news/page/3/") is not None
    assert is_deep_listing_page("/news/page/3/") and not is_deep_listing_page("/news/page/2/")
    queued = []

    def note(sender, task_result, **kwargs):
        if task_result.task.priority == DEEP_PRIORITY:
            queued.append(task_result.args[0])

    task_enqueued.connect(note)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            make_article(
                newsroom["news"], "Fresh report", authors=[newsroom["authors"]["anna"]], hours_ago=0
            )
    finally:
        task_enqueued.disconnect(note)
    # The deep pages went to their own task...
    assert queued == [["/authors/anna-petrenko/page/3/", "/news/page/3/"]]
    # ...which ran (immediate backend here): the oldest story moved to the new last page.
    assert b"Archive story 44" in store.read("/news/page/3/")
    assert b"Fresh report" in store.read("/news/")


def test_low_priority_renders_give_way_to_a_newer_publish(newsroom, store, monkeypatch):
    from django_tasks.signals import task_enqueued

    from gazette.publishing import building

    paths = ["/", "/news/", "/business/"]
    summary = building.render_paths(paths, store=store, give_way=lambda: True)
    # At least one path is rendered; the rest is handed back.
    assert summary.rendered == 1 and summary.left == ["/news/", "/business/"]
    assert store.read("/") is not None and store.read("/news/") is None

    # The task queues what it left behind it, at its own priority, until all is done.
    monkeypatch.setattr(building, "urgent_task_waiting", lambda priority: True)
    requeued = []

    def note(sender, task_result, **kwargs):
        requeued.append((task_result.task.priority, task_result.args[0]))

    task_enqueued.connect(note)
    try:
        building.render_paths_task.call(["/news/", "/business/"], building.FOLLOW_UP_PRIORITY)
    finally:
        task_enqueued.disconnect(note)
    assert requeued == [(building.FOLLOW_UP_PRIORITY, ["/business/"])]
    assert store.read("/news/") is not None and store.read("/business/") is not None
