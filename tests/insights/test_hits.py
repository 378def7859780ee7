"""The beacon's endpoint: what it counts, what it refuses, and what it keeps."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import models

from gazette.insights.models import DailySalt, PageDay, Seen, SiteDay
from tests.insights.conftest import ADDRESS, UA, hit

pytestmark = pytest.mark.django_db

RIGA = ZoneInfo("Europe/Riga")


def counts():
    return {(row.path, row.day): (row.views, row.visitors) for row in PageDay.objects.all()}


def test_a_view_of_a_public_page_is_counted_with_its_page(stored, client):
    path = stored["lead"].relative_path()
    response = hit(client, path)
    assert response.status_code == 204 and response.content == b""
    row = PageDay.objects.get()
    assert (row.path, row.page_id, row.views, row.visitors) == (path, stored["lead"].pk, 1, 1)
    assert SiteDay.objects.get().visitors == 1


def test_a_reader_is_one_visitor_per_page_and_per_site_however_often_they_come(stored, client):
    lead, older = stored["lead"].relative_path(), stored["older"].relative_path()
    for _ in range(3):
        hit(client, lead)
    hit(client, older)
    hit(client, lead, user_agent="Another browser/2.0")  # someone else at the same address
    hit(client, lead, address="198.51.100.9")
    views = {row.path: (row.views, row.visitors) for row in PageDay.objects.all()}
    assert views == {lead: (5, 3), older: (1, 1)}
    assert SiteDay.objects.get().visitors == 3


def test_paths_that_are_not_public_pages_are_not_counted(stored, client):
    for path in ["/no-such-page/", "/news/assembly-passes-media-law", "/rss.xml", "/admin/"]:
        response = hit(client, path)
        assert response.status_code == 204, path
    assert not PageDay.objects.exists() and not SiteDay.objects.exists()
    assert not Seen.objects.exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "starting with “/”"),
        (b"news/", "starting with “/”"),
        (b"https://elsewhere.example/news/", "starting with “/”"),
        (b"/news/?q=1", "no query"),
        (b"/news/#top", "no query"),
        (b"/news/\n/x/", "no query"),
        (b"/\xff\xfe/", "UTF-8"),
        (b"/" + b"a" * 1000, "longer than 1000"),
    ],
)
def test_malformed_hits_get_a_clear_400(stored, client, body, message):
    response = hit(client, body)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response["Content-Type"].startswith("text/plain")
    assert not PageDay.objects.exists()


def test_only_post_is_answered(stored, client):
    assert client.get("/insights/hit").status_code == 405


def test_a_page_on_another_site_cannot_add_views(stored, client):
    response = hit(client, stored["lead"].relative_path(), **{"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert "this site's own pages" in response.content.decode()
    assert not PageDay.objects.exists()


@pytest.mark.parametrize("header", [{"Sec-GPC": "1"}, {"DNT": "1"}])
def test_a_reader_who_asks_not_to_be_tracked_is_not_counted(stored, client, header):
    assert hit(client, stored["lead"].relative_path(), **header).status_code == 204
    assert not PageDay.objects.exists() and not Seen.objects.exists()


def test_a_flood_from_one_address_stops_being_counted(stored, client, settings):
    settings.GAZETTE_INSIGHTS_PER_CLIENT = 2
    path = stored["lead"].relative_path()
    assert [hit(client, path).status_code for _ in range(3)] == [204, 204, 429]
    assert PageDay.objects.get().views == 2
    # Someone else is still counted.
    assert hit(client, path, address="198.51.100.9").status_code == 204


def test_no_answer_sets_a_cookie(stored, client):
    responses = [
        hit(client, stored["lead"].relative_path()),
        hit(client, "/no-such-page/"),
        hit(client, b"nonsense"),
        client.get("/insights/hit"),
    ]
    for response in responses:
        assert not response.cookies
        assert "Set-Cookie" not in response.headers
    assert not client.cookies


# Every column of every table the insights keep: a new one fails here until it is checked
# against what may be stored.
COLUMNS = {
    PageDay: {"id", "day", "path", "page", "views", "visitors"},
    SiteDay: {"id", "day", "visitors"},
    Seen: {"id", "day", "digest"},
    DailySalt: {"id", "day", "salt"},
}


def test_nothing_that_identifies_a_reader_is_stored(stored, client):
    secret_host = "reader-specific-host.example"
    for path in (stored["lead"].relative_path(), stored["older"].relative_path()):
        hit(client, path, HOST=secret_host)
        hit(client, path)
    assert PageDay.objects.count() == 2
    identifying = [ADDRESS, UA, "TestBrowser", secret_host, "203.0.113"]
    for model, columns in COLUMNS.items():
        fields = {field.name for field in model._meta.concrete_fields}
        assert fields == columns, model
        for row in model.objects.values_list(*[f.attname for f in model._meta.concrete_fields]):
            for value in row:
                for secret in identifying:
                    assert secret not in str(value), (model, value)
    # The digests are of fixed size, and none of them is the day's salt.
    salt = DailySalt.objects.get().salt
    assert all(
        len(d) == 32 and d not in salt for d in Seen.objects.values_list("digest", flat=True)
    )
    for model in COLUMNS:
        assert not any(isinstance(f, models.GenericIPAddressField) for f in model._meta.fields)


def test_the_salt_is_made_anew_each_day_and_the_old_one_deleted(stored, client):
    path = stored["lead"].relative_path()
    first_day = datetime(2026, 12, 1, 23, 50, tzinfo=RIGA)
    with time_machine.travel(first_day, tick=False):
        hit(client, path)
        (first,) = DailySalt.objects.values_list("day", "salt")
        assert str(first[0]) == "2026-12-01"
    with time_machine.travel(first_day + timedelta(minutes=20), tick=False):  # past midnight
        hit(client, path)
        (second,) = DailySalt.objects.values_list("day", "salt")
    assert str(second[0]) == "2026-12-02" and second[1] != first[1]


def test_uniques_are_counted_within_a_day_and_not_linked_across_days(stored, client):
    path = stored["lead"].relative_path()
    morning = datetime(2026, 12, 1, 9, 0, tzinfo=RIGA)
    with time_machine.travel(morning, tick=False):
        hit(client, path)
    with time_machine.travel(morning + timedelta(hours=10), tick=False):
        hit(client, path)
        digests_day_one = set(Seen.objects.values_list("digest", flat=True))
    with time_machine.travel(morning + timedelta(days=1), tick=False):
        hit(client, path)
        digests_day_two = set(
            Seen.objects.filter(day="2026-12-02").values_list("digest", flat=True)
        )
    by_day = {str(row.day): (row.views, row.visitors) for row in PageDay.objects.all()}
    assert by_day == {"2026-12-01": (2, 1), "2026-12-02": (1, 1)}
    assert dict(SiteDay.objects.values_list("day", "visitors")) == {
        date(2026, 12, 1): 1,
        date(2026, 12, 2): 1,
    }
    # The same reader on the next day has other digests: their days cannot be joined.
    assert len(digests_day_two) == 2 and not digests_day_one & digests_day_two
