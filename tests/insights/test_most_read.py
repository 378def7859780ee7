""" "Most read": its order, the home page's list and its re-render, the weekly draft."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from wagtail.models import Page

from gazette.insights.counting import today
from gazette.insights.models import PageDay
from gazette.insights.most_read import CHECK_EVERY, home_most_read, refresh_home_pages
from gazette.newsletters.weekly import propose_draft
from gazette.publishing.store import PageStore
from tests.factories import make_article
from tests.newsletters.conftest import make_newsletter

pytestmark = pytest.mark.django_db


def read(page, *, visitors, views=None, days_ago=0):
    PageDay.objects.update_or_create(
        day=today() - timedelta(days=days_ago),
        path=page.relative_path(),
        defaults={"page": page, "visitors": visitors, "views": views or visitors},
    )


@pytest.fixture
def readings(newsroom):
    draft = make_article(
        newsroom["news"], "Draft story", authors=[newsroom["authors"]["anna"]], publish=False
    )
    read(newsroom["lead"], visitors=5, views=6)
    read(newsroom["older"], visitors=5, views=9)  # as many readers, more views: ahead
    read(newsroom["tagged"], visitors=8, days_ago=1)  # yesterday counts too
    read(newsroom["other"], visitors=50, days_ago=2)  # too long ago for the home page
    read(draft, visitors=99)  # not published (any more): never listed
    read(newsroom["news"], visitors=99)  # a section, not an article
    return newsroom


def home(newsroom):
    return newsroom["news"].get_parent().specific


def test_most_read_ranks_articles_by_visitors_then_views_over_two_days(readings):
    ids = home_most_read(home(readings))
    assert ids == [readings["tagged"].pk, readings["older"].pk, readings["lead"].pk]


def list_on(html: str) -> list[str]:
    block = html.split('id="most-read-heading"', 1)[1].split("</ol>", 1)[0]
    titles = []
    for part in block.split("<h3")[1:]:
        link = part.split("<a", 1)[1]
        titles.append(link.split(">", 1)[1].split("<", 1)[0].strip())
    return titles


def test_the_home_page_shows_the_most_read(readings, client):
    html = client.get("/").content.decode()
    assert list_on(html) == [
        "Printers face new fines",
        "Court hears appeal",
        "Assembly passes media law",
    ]


def test_a_home_page_without_counts_has_no_most_read(newsroom, client):
    assert 'id="most-read-heading"' not in client.get("/").content.decode()


def test_the_clock_renders_the_home_page_again_only_when_the_list_changed(
    readings, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.GAZETTE_STORE_DIR = tmp_path / "store"
    store = PageStore()
    with django_capture_on_commit_callbacks(execute=True):
        assert refresh_home_pages() == ["/"]  # the first look after a start
    assert list_on(store.read("/").decode())[0] == "Printers face new fines"
    assert refresh_home_pages() == []  # within the hour: not even looked at

    with time_machine.travel(timezone.now() + timedelta(seconds=CHECK_EVERY + 1)):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert refresh_home_pages() == []  # looked at, unchanged: nothing rendered
        assert callbacks == []
    read(readings["lead"], visitors=30)
    with time_machine.travel(timezone.now() + timedelta(seconds=2 * CHECK_EVERY + 2)):
        with django_capture_on_commit_callbacks(execute=True):
            assert refresh_home_pages() == ["/"]
        assert list_on(store.read("/").decode())[0] == "Assembly passes media law"


def test_the_weekly_draft_leads_with_the_weeks_most_read(readings):
    for key in ("lead", "older", "tagged", "other"):
        Page.objects.filter(pk=readings[key].pk).update(
            first_published_at=timezone.now() - timedelta(days=1)
        )
    read(readings["other"], visitors=40, days_ago=6)  # within the week
    draft = propose_draft(make_newsletter())
    picked = [pick.article.title for pick in draft.picks()]
    # The week's three most read first, then the rest newest first by kind.
    assert picked[:3] == ["Grain exports fall", "Printers face new fines", "Court hears appeal"]
    assert set(picked[3:]) == {"Assembly passes media law", "Bridge reopens in Oskel"}
    assert draft.subject == "Grain exports fall"
