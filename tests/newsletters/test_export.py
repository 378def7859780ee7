"""Exporting subscribers as CSV, streamed, in a form the import reads back: the same confirmed
subscribers with their names and languages come back, and no one who left, never confirmed
or must not be mailed is subscribed by re-importing an export."""

import csv
import os
import stat
from io import StringIO

import pytest
from django.core.management import call_command

from gazette.newsletters.models import Subscriber, Subscription, Suppression
from gazette.newsletters.subscribers import export_csv, import_csv

from .conftest import make_newsletter, make_subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture
def readers(weekly):
    confirmed = make_subscribers(weekly, 3)
    Subscriber.objects.filter(pk=confirmed[0].pk).update(name="=HYPERLINK(evil)", language="ru")
    Subscriber.objects.filter(pk=confirmed[1].pk).update(name="Boris, the editor")
    make_subscribers(weekly, 1, prefix="waiting", status="pending")
    (left,) = make_subscribers(weekly, 1, prefix="left")
    Subscription.objects.get(subscriber=left).unsubscribe()
    (bounced,) = make_subscribers(weekly, 1, prefix="bounced")
    Suppression.add(bounced.email, reason=Suppression.Reason.HARD_BOUNCE)
    (complained,) = make_subscribers(weekly, 1, prefix="complained")
    Subscriber.objects.filter(pk=complained.pk).update(status="complained")
    return confirmed


def test_the_csv_has_status_and_consent_fields(weekly, readers):
    out = StringIO()
    assert export_csv(out, newsletter=weekly) == 7
    rows = {row["email"]: row for row in csv.DictReader(StringIO(out.getvalue()))}
    first = rows["reader0@example.net"]
    assert first["name"] == "'=HYPERLINK(evil)"  # a spreadsheet shows it, never runs it
    assert (first["language"], first["newsletter"], first["status"]) == (
        "ru",
        "weekly",
        "confirmed",
    )
    subscription = Subscription.objects.get(subscriber=readers[0])
    assert first["subscribed_at"] == subscription.consent_at.isoformat()
    assert first["subscribed_at"].endswith("+00:00")
    assert rows["waiting0@example.net"]["status"] == "pending"
    assert rows["left0@example.net"]["status"] == "unsubscribed"
    assert rows["left0@example.net"]["unsubscribed_at"]
    assert rows["bounced0@example.net"]["suppressed"] == "hard_bounce"
    assert rows["complained0@example.net"]["suppressed"] == "complained"
    assert rows["reader2@example.net"]["suppressed"] == ""


def test_an_export_imports_back_as_it_was(weekly, readers, tmp_path):
    path = tmp_path / "export.csv"
    call_command("newsletter", "export", str(path), "--newsletter", "weekly", stdout=StringIO())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # a list of readers: owner only
    before = {
        s.subscriber.email: (s.subscriber.name, s.subscriber.language, s.consent_at)
        for s in Subscription.objects.filter(status="confirmed").select_related("subscriber")
        if s.subscriber.status == "active"
        and not Suppression.objects.filter(email=s.subscriber.email)
    }
    Subscriber.objects.all().delete()
    Suppression.objects.all().delete()  # a new installation, which knows nothing

    report = import_csv(path, newsletter=weekly, run_by="alice")

    after = {
        s.subscriber.email: (s.subscriber.name, s.subscriber.language, s.consent_at)
        for s in Subscription.objects.select_related("subscriber")
    }
    assert after == before
    assert set(after) == {"reader0@example.net", "reader1@example.net", "reader2@example.net"}
    assert after["reader0@example.net"][0] == "=HYPERLINK(evil)"
    assert after["reader1@example.net"][0] == "Boris, the editor"
    assert sorted(problem.reason for problem in report.problems) == [
        "marked suppressed in the file (complained)",
        "marked suppressed in the file (hard_bounce)",
        "the status is 'pending': only subscribed rows are imported",
        "the status is 'unsubscribed': only subscribed rows are imported",
    ]


def test_the_export_is_streamed_from_the_database(weekly, django_assert_max_num_queries):
    make_subscribers(weekly, 4500)
    out = StringIO()
    # A chunk at a time: memory stays flat however long the list (PostgreSQL reads through
    # a server-side cursor; SQLite's cursor is read a chunk at a time).
    with django_assert_max_num_queries(4):
        assert export_csv(out) == 4500
    assert out.getvalue().count("\r\n") == 4501


def test_all_newsletters_to_standard_output(weekly):
    breaking = make_newsletter(name="Breaking", slug="breaking")
    make_subscribers(weekly, 1)
    make_subscribers(breaking, 1, prefix="fast")
    out = StringIO()
    call_command("newsletter", "export", stdout=out)
    rows = list(csv.DictReader(StringIO(out.getvalue())))
    assert [(row["email"], row["newsletter"]) for row in rows] == [
        ("reader0@example.net", "weekly"),
        ("fast0@example.net", "breaking"),
    ]
