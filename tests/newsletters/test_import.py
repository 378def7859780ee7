"""Importing subscribers from CSV: good rows kept as confirmed subscriptions with their consent
source, each bad row reported by line number with its reason, files that cannot be read
refused before anything is written, addresses we must not mail never subscribed again, and
a second run harmless. Through the `gazette newsletter import` command too."""

from datetime import UTC, datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from gazette.newsletters.models import (
    ErasedAddress,
    Subscriber,
    Subscription,
    Suppression,
)
from gazette.newsletters.subscribers import ImportFileError, import_csv

from .conftest import make_newsletter, make_subscribers

pytestmark = pytest.mark.django_db


def write(tmp_path, text: str, name: str = "members.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def problems(report) -> list[tuple[int, str]]:
    return [(problem.line, problem.reason) for problem in report.problems]


def subscribed(newsletter) -> dict[str, str]:
    return dict(
        Subscription.objects.filter(newsletter=newsletter).values_list(
            "subscriber__email", "status"
        )
    )


def test_good_rows_become_confirmed_subscriptions_with_their_consent(weekly, tmp_path):
    path = write(
        tmp_path,
        "Email,Name,Language,Subscribed_at,Source list\n"
        " Anna@Example.NET ,Anna Petrova,ru,2024-03-01,old\n"
        "boris@example.net,,EN-gb,2024-05-06T09:30:00Z,old\n"
        "vera@example.net,Vera,,,old\n",
    )
    before = timezone.now()

    report = import_csv(path, newsletter=weekly, run_by="alice", policy_version="2023-1")

    assert (report.rows, report.added, report.skipped) == (3, 3, 0)
    assert report.ignored_columns == ["Source list"]
    assert subscribed(weekly) == {
        "anna@example.net": "confirmed",
        "boris@example.net": "confirmed",
        "vera@example.net": "confirmed",
    }
    anna = Subscriber.objects.get(email="anna@example.net")
    assert (anna.name, anna.language, anna.status) == ("Anna Petrova", "ru", "active")
    assert Subscriber.objects.get(email="boris@example.net").language == "en"
    consent = {s.subscriber.email: s for s in Subscription.objects.select_related("subscriber")}
    assert consent["anna@example.net"].consent_at == datetime(2024, 3, 1, tzinfo=UTC)
    assert consent["boris@example.net"].consent_at == datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
    assert consent["vera@example.net"].consent_at >= before  # no date: the import's time
    for subscription in consent.values():
        assert subscription.consent_source.startswith("import:members.csv (")
        assert subscription.consent_source.endswith(" UTC, by alice)")
        assert subscription.policy_version == "2023-1"
        assert subscription.confirmed_at >= before


def test_each_bad_row_is_reported_by_line_with_its_reason(weekly, tmp_path):
    breaking = make_newsletter(name="Breaking", slug="breaking")
    Suppression.add("bounced@example.net", reason=Suppression.Reason.HARD_BOUNCE)
    Subscriber.objects.create(email="complained@example.net", status="complained")
    ErasedAddress.remember("forgotten@example.net", reason=ErasedAddress.Reason.REQUEST)
    (left,) = make_subscribers(weekly, 1, prefix="left", status="unsubscribed")
    (elsewhere,) = make_subscribers(breaking, 1, prefix="elsewhere")
    path = write(
        tmp_path,
        "email,name,language,subscribed_at,status\n"  # line 1
        "good1@example.net,One,en,2024-01-01,subscribed\n"  # 2
        "not-an-address,Two,en,,\n"  # 3
        "good1@EXAMPLE.net,Again,,,\n"  # 4
        "short@example.net,Short\n"  # 5
        "long@example.net,Smith, John,en,,\n"  # 6
        "date@example.net,,,01/02/2024,\n"  # 7
        "future@example.net,,,2999-01-01,\n"  # 8
        "lang@example.net,,klingon,,\n"  # 9
        "gone@example.net,,,,unsubscribed\n"  # 10
        "bounced@example.net,,,,\n"  # 11
        "complained@example.net,,,,\n"  # 12
        "forgotten@example.net,,,,\n"  # 13
        f"{left.email},,,,\n"  # 14
        ',"A name\nover two lines",,,\n'  # 15-16
        "\n"  # 17: blank, not a row
        f"{elsewhere.email},,,,confirmed\n"  # 18
        "good2@example.net,Two,,,\n",  # 19
    )

    report = import_csv(path, newsletter=weekly, run_by="alice")

    assert problems(report) == [
        (3, "'not-an-address' is not a valid email address"),
        (4, "duplicate of line 2"),
        (5, "missing columns: 2 fields where the header names 5"),
        (6, "6 fields where the header names 5 (a comma in a name must be inside quotes)"),
        (7, "'01/02/2024' is not a date; write it as 2024-03-01 or 2024-03-01T09:30:00Z"),
        (8, "the consent date '2999-01-01' lies in the future"),
        (9, "unknown language 'klingon' (use one of: en, ru)"),
        (10, "the status is 'unsubscribed': only subscribed rows are imported"),
        (11, "suppressed (hard bounce)"),
        (12, "the subscriber is marked complained; the address is not mailed"),
        (13, f"erased on {timezone.localdate()} (Erased on request)"),
        (14, "unsubscribed from this newsletter here; an import does not bring them back"),
        (15, "no email address"),
    ]
    assert (report.rows, report.added, report.skipped) == (16, 3, 13)
    # The good rows are kept; nothing of the bad ones was written.
    assert subscribed(weekly) == {
        "good1@example.net": "confirmed",
        "good2@example.net": "confirmed",
        elsewhere.email: "confirmed",
        left.email: "unsubscribed",
    }
    assert Subscriber.objects.get(email="good1@example.net").name == "One"
    assert set(Subscriber.objects.values_list("email", flat=True)) == {
        "complained@example.net",
        left.email,
        elsewhere.email,
        "good1@example.net",
        "good2@example.net",
    }
    assert not Subscription.objects.filter(subscriber__email="complained@example.net").exists()


def test_running_it_again_changes_nothing(weekly, tmp_path):
    path = write(tmp_path, "email\nreader1@example.net\nreader2@example.net\nbad\n")
    first = import_csv(path, newsletter=weekly, run_by="alice")
    stored = list(Subscription.objects.order_by("pk").values())

    again = import_csv(path, newsletter=weekly, run_by="bob")

    assert (first.added, first.skipped) == (2, 1)
    assert (again.added, again.already, again.skipped) == (0, 2, 1)
    assert list(Subscription.objects.order_by("pk").values()) == stored
    assert Subscriber.objects.count() == 2


def test_someone_waiting_for_their_own_confirmation_is_left_waiting(weekly, tmp_path):
    make_subscribers(weekly, 1, status="pending")
    report = import_csv(
        write(tmp_path, "email\nreader0@example.net\n"), newsletter=weekly, run_by="a"
    )
    assert (report.added, report.pending) == (0, 1)
    assert subscribed(weekly) == {"reader0@example.net": "pending"}


def test_an_existing_subscriber_is_added_to_another_newsletter(weekly, tmp_path):
    breaking = make_newsletter(name="Breaking", slug="breaking")
    make_subscribers(weekly, 1)
    report = import_csv(
        write(tmp_path, "email\nreader0@example.net\n"), newsletter=breaking, run_by="a"
    )
    assert report.added == 1
    assert Subscriber.objects.count() == 1
    assert subscribed(breaking) == {"reader0@example.net": "confirmed"}


def test_a_dry_run_reports_the_same_and_writes_nothing(weekly, tmp_path):
    path = write(tmp_path, "email\nreader1@example.net\nreader1@example.net\nbad\n")
    report = import_csv(path, newsletter=weekly, run_by="alice", dry_run=True)
    assert (report.added, report.skipped) == (1, 2)
    assert problems(report) == [
        (3, "duplicate of line 2"),
        (4, "'bad' is not a valid email address"),
    ]
    assert "1 would be added" in str(report)
    assert not Subscriber.objects.exists()


def test_a_large_file_is_written_in_batches_and_duplicates_found_across_them(weekly, tmp_path):
    lines = [f"reader{number}@example.net" for number in range(2500)]
    lines[2400] = "reader3@example.net"
    path = write(tmp_path, "email\n" + "\n".join(lines) + "\n")
    reported = []

    report = import_csv(
        path, newsletter=weekly, run_by="alice", batch_size=100, on_problem=reported.append
    )

    assert (report.rows, report.added, report.skipped) == (2500, 2499, 1)
    assert [str(problem) for problem in reported] == ["line 2402: duplicate of line 5"]
    assert report.problems == []  # they went to the callback
    assert Subscription.objects.filter(newsletter=weekly, status="confirmed").count() == 2499


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "line 1: the file is empty"),
        (b"name,language\nAnna,ru\n", "line 1: the header has no 'email' column"),
        (b"anna@example.net,Anna\n", "line 1: this looks like an address, not a header"),
        (b"email,E-mail\nanna@example.net,x\n", "line 1: two columns give the 'email'"),
        (b"email\na@example.net\nb@example.net\nc\xe9@example.net\n", "line 4: this is not UTF-8"),
        (
            b'email,name\na@example.net,"Anna\nb@example.net,Boris\n' + b"x" * 140000 + b"\n",
            "line 2: this cannot be read as CSV",
        ),
    ],
)
def test_a_file_that_cannot_be_read_writes_nothing(weekly, tmp_path, content, message):
    path = tmp_path / "broken.csv"
    path.write_bytes(content)
    with pytest.raises(ImportFileError) as raised:
        import_csv(path, newsletter=weekly, run_by="alice")
    assert str(raised.value).startswith(message)
    assert not Subscriber.objects.exists()  # the good rows before the damage neither


def test_a_byte_order_mark_and_windows_line_ends_are_fine(weekly, tmp_path):
    path = write(tmp_path, "\ufeffemail;x\r\n".replace(";x", "") + "a@example.net\r\n")
    assert import_csv(path, newsletter=weekly, run_by="alice").added == 1


def test_the_command_lists_bad_rows_and_sums_up(weekly, tmp_path):
    path = write(tmp_path, "email,name\nreader@example.net,Reader\nnope,Nope\n")
    out, err = StringIO(), StringIO()

    call_command(
        "newsletter", "import", str(path), "--newsletter", "weekly", "--by", "alice",
        stdout=out, stderr=err,
    )  # fmt: skip

    assert err.getvalue() == "line 3: 'nope' is not a valid email address\n"
    assert "The Lantern Weekly: 2 rows: 1 added, 0 already subscribed" in out.getvalue()
    assert "1 skipped" in out.getvalue()
    source = Subscription.objects.get().consent_source
    assert source.startswith("import:members.csv (") and source.endswith("by alice)")


def test_the_command_refuses_what_it_cannot_do(weekly, tmp_path):
    with pytest.raises(CommandError, match="There is no newsletter 'monthly'"):
        call_command("newsletter", "import", "x.csv", "--newsletter", "monthly")
    with pytest.raises(CommandError, match="Cannot read .*missing.csv"):
        call_command(
            "newsletter", "import", str(tmp_path / "missing.csv"), "--newsletter", "weekly"
        )
    path = write(tmp_path, "name\nAnna\n")
    with pytest.raises(CommandError, match="no 'email' column.* Nothing was imported"):
        call_command("newsletter", "import", str(path), "--newsletter", "weekly")
