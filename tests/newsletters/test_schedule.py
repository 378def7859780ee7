"""The newsletters' clock: the weekly draft is proposed once, a scheduled issue goes out at its
time (with `gazette worker` running, as in production), and an issue whose time passed while
the system was down waits for an editor instead of going out late."""

import signal
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone
from wagtail.models import ModelLogEntry, Page

from gazette.newsletters import actions
from gazette.newsletters.models import Delivery, Issue, ProposedDraft
from gazette.newsletters.scheduling import default_send_at, run_clock, start_due_issues
from gazette.newsletters.weekly import propose_weekly_drafts
from gazette.publishing.store import PageStore
from tests.factories import make_article
from tests.workers import start_gazette, wait_for

from .conftest import make_issue, make_newsletter, make_subscribers
from .sink import Sink

RIGA = ZoneInfo("Europe/Riga")  # the test settings' TIME_ZONE (the default)


def riga(*args) -> datetime:
    return datetime(*args, tzinfo=RIGA)


def history(issue) -> list[str]:
    entries = ModelLogEntry.objects.filter(object_id=str(issue.pk)).order_by("timestamp", "pk")
    return [entry.action.rsplit(".", 1)[1] for entry in entries]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (riga(2026, 12, 3, 10, 0), riga(2026, 12, 4, 8, 0)),  # Thursday: tomorrow
        (riga(2026, 12, 4, 7, 59), riga(2026, 12, 4, 8, 0)),  # Friday before eight: today
        (riga(2026, 12, 4, 8, 0), riga(2026, 12, 11, 8, 0)),  # Friday at eight: next week
        (riga(2026, 12, 6, 23, 0), riga(2026, 12, 11, 8, 0)),  # Sunday night
        # Across the change to summer time: still 08:00 on the newsroom's clocks.
        (riga(2026, 3, 27, 9, 0), riga(2026, 4, 3, 8, 0)),
    ],
)
def test_default_send_time_is_the_next_friday_at_eight_in_the_newsroom(now, expected, settings):
    assert default_send_at(now) == expected
    assert timezone.localtime(default_send_at(now)).strftime("%A %H:%M") == "Friday 08:00"


def test_send_day_and_time_come_from_settings(settings):
    settings.GAZETTE_NEWSLETTER_SEND_DAY = 0  # Monday
    settings.GAZETTE_NEWSLETTER_SEND_TIME = (6, 30)
    assert default_send_at(riga(2026, 12, 3, 10, 0)) == riga(2026, 12, 7, 6, 30)


THURSDAY = riga(2026, 12, 3, 10, 0)


@pytest.fixture
def week(newsroom):
    """The newsroom's articles as published in the days before Thursday 3 December, plus
    one from the week before and an unpublished one."""
    hours = {"lead": 1, "tagged": 5, "same_section": 3, "older": 30, "other": 2}
    for key, ago in hours.items():
        Page.objects.filter(pk=newsroom[key].pk).update(
            first_published_at=THURSDAY - timedelta(hours=ago)
        )
    Page.objects.filter(pk=newsroom["tagged"].pk).update(
        first_published_at=THURSDAY - timedelta(days=8)
    )
    opinion = make_article(
        newsroom["news"],
        "Why the law must go",
        authors=[newsroom["authors"]["anna"]],
        kind="opinion",
    )
    Page.objects.filter(pk=opinion.pk).update(first_published_at=THURSDAY - timedelta(days=2))
    make_article(
        newsroom["news"], "Draft story", authors=[newsroom["authors"]["anna"]], publish=False
    )
    return {**newsroom, "opinion": opinion}


@pytest.mark.django_db
def test_the_weekly_draft_is_proposed_once(week, django_capture_on_commit_callbacks):
    weekly = make_newsletter()
    make_newsletter(slug="breaking", name="Breaking", kind="breaking")

    with time_machine.travel(THURSDAY - timedelta(days=1), tick=False):  # Wednesday
        assert run_clock()
        assert not Issue.objects.exists()

    with time_machine.travel(THURSDAY, tick=False):
        assert run_clock()
        assert run_clock()  # the next round, 20 seconds on: nothing more
        assert propose_weekly_drafts() == []
    (draft,) = Issue.objects.all()
    assert draft.newsletter == weekly and draft.status == Issue.Status.DRAFT
    # Newest first within each kind, at most three of a kind (the fourth news story, "Court
    # hears appeal", is left for the editor to add), news before opinion; last week's
    # article and unpublished ones are not offered.
    picked = [pick.article.title for pick in draft.picks()]
    assert picked == [
        "Assembly passes media law",
        "Grain exports fall",
        "Bridge reopens in Oskel",
        "Why the law must go",
    ]
    assert [label for label, _articles in draft.article_groups()] == ["News", "Opinion"]
    assert draft.subject == "Assembly passes media law"
    assert draft.preheader == "Grain exports fall; Bridge reopens in Oskel"
    assert draft.send_at == riga(2026, 12, 4, 8, 0)  # proposed, not scheduled
    assert ProposedDraft.objects.get().issue == draft

    # The editor deletes it: the clock does not propose it again that week...
    draft.delete()
    with time_machine.travel(THURSDAY + timedelta(days=1), tick=False):
        assert run_clock()
    assert not Issue.objects.exists()
    # ...but does the next week.
    with time_machine.travel(THURSDAY + timedelta(days=7), tick=False):
        assert run_clock()
    assert Issue.objects.count() == 1


@pytest.fixture
def weekly_with_readers(newsroom, sink, settings):
    settings.GAZETTE_NEWSLETTER_SMTP_URL = sink.url
    newsletter = make_newsletter()
    return newsletter, make_subscribers(newsletter, 5)


def due(issue, ago: timedelta) -> None:
    """As if the clock had moved on until the issue was due ``ago``."""
    Issue.objects.filter(pk=issue.pk).update(send_at=timezone.now() - ago)
    issue.refresh_from_db()


@pytest.mark.django_db
def test_a_due_issue_is_sent_by_the_clock(
    newsroom, weekly_with_readers, sink, django_capture_on_commit_callbacks
):
    newsletter, readers = weekly_with_readers
    issue = make_issue(newsletter, [newsroom["lead"]])
    actions.schedule(issue, user=None, send_at=timezone.now() + timedelta(hours=1))
    assert start_due_issues() == ([], [])  # not yet
    assert sink.count() == 0

    due(issue, timedelta(seconds=20))
    with django_capture_on_commit_callbacks(execute=True):
        started, held = start_due_issues()
    assert (started, held) == ([issue], [])
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT
    assert sink.copies() == {reader.email: 1 for reader in readers}
    assert history(issue) == ["schedule", "start", "sent"]
    # Sent is sent: the next round starts nothing.
    assert start_due_issues() == ([], [])


@pytest.mark.django_db
def test_an_issue_late_beyond_the_window_is_held_for_an_editor(
    newsroom, weekly_with_readers, sink, django_capture_on_commit_callbacks
):
    newsletter, readers = weekly_with_readers
    issue = make_issue(newsletter, [newsroom["lead"]])
    actions.schedule(issue, user=None, send_at=timezone.now() + timedelta(hours=1))
    due(issue, timedelta(hours=3))  # the machine was off from before its time until now

    with django_capture_on_commit_callbacks(execute=True):
        assert start_due_issues() == ([], [issue])
    issue.refresh_from_db()
    assert issue.status == Issue.Status.HELD
    assert not Delivery.objects.filter(issue=issue).exists() and sink.count() == 0
    explanation = actions.held_explanation(issue)
    assert "more than 2 hours late" in explanation and "not been sent to anyone" in explanation
    assert start_due_issues() == ([], [])  # it waits: no later round sends it

    # The editor decides it still goes out.
    with django_capture_on_commit_callbacks(execute=True):
        actions.send_now(issue, user=None)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT
    assert sink.copies() == {reader.email: 1 for reader in readers}
    assert history(issue) == ["schedule", "hold", "send_now", "sent"]


@pytest.mark.django_db
def test_a_late_issue_within_the_window_goes_out(
    newsroom, weekly_with_readers, sink, django_capture_on_commit_callbacks, settings
):
    settings.GAZETTE_NEWSLETTER_LATE_WINDOW = 3600
    newsletter, _readers = weekly_with_readers
    issue = make_issue(newsletter, [newsroom["lead"]])
    actions.schedule(issue, user=None, send_at=timezone.now() + timedelta(hours=1))
    due(issue, timedelta(minutes=50))
    with django_capture_on_commit_callbacks(execute=True):
        assert start_due_issues() == ([issue], [])
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT


@pytest.mark.django_db
def test_a_send_task_that_runs_too_late_holds_the_issue(
    newsroom, weekly_with_readers, sink, django_capture_on_commit_callbacks
):
    """Queued in time, but the worker went down before it ran the task: when the worker
    comes back hours later, the task holds the issue instead of sending it."""
    newsletter, _readers = weekly_with_readers
    issue = make_issue(newsletter, [newsroom["lead"]])
    with django_capture_on_commit_callbacks(execute=False) as queued:
        actions.send_now(issue, user=None)
    due(issue, timedelta(hours=5))
    for callback in queued:
        callback()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.HELD and sink.count() == 0


@pytest.mark.django_db
def test_a_queued_issue_is_asked_for_again_only_after_a_while(
    newsroom, weekly_with_readers, django_capture_on_commit_callbacks
):
    newsletter, _readers = weekly_with_readers
    issue = make_issue(newsletter, [newsroom["lead"]])
    actions.schedule(issue, user=None, send_at=timezone.now() + timedelta(hours=1))
    due(issue, timedelta(seconds=5))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert start_due_issues() == ([issue], [])
        assert start_due_issues() == ([], [])  # its task is queued: not twice
    assert len(queued) == 1
    # The task never ran (a flushed queue): ten minutes on, the clock asks again.
    Issue.objects.filter(pk=issue.pk).update(queued_at=timezone.now() - timedelta(minutes=11))
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert start_due_issues() == ([issue], [])
    assert len(again) == 1


def test_the_worker_sends_a_scheduled_issue_at_its_time_into_the_archive(
    committed_newsroom, tmp_path
):
    newsletter = make_newsletter()
    readers = make_subscribers(newsletter, 4)
    issue = make_issue(newsletter, [committed_newsroom["lead"]], subject="Friday's issue")
    actions.schedule(issue, user=None, send_at=timezone.now() + timedelta(seconds=4))
    sink = Sink().start()
    store = PageStore(tmp_path / "store")
    worker = start_gazette(
        "worker",
        GAZETTE_SCHEDULE_INTERVAL="1",
        GAZETTE_NEWSLETTER_SMTP_URL=sink.url,
        GAZETTE_STORE_DIR=str(store.root),
    )
    try:
        assert wait_for(lambda: Issue.objects.get(pk=issue.pk).status == Issue.Status.SENT)
        sent = Issue.objects.get(pk=issue.pk)
        assert sent.started_at >= sent.send_at  # not before its time
        assert sink.copies() == {reader.email: 1 for reader in readers}
        path = f"/newsletters/weekly/{issue.pk}/"
        assert wait_for(
            lambda: (
                store.read(path) is not None
                and store.read("/newsletters/weekly/latest/") is not None
            )
        )
        assert "Friday&#x27;s issue" in store.read(path).decode()
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=60)
        sink.stop()
    assert worker.returncode == 0, output


@pytest.mark.django_db
def test_the_newsletter_command_goes_through_the_same_actions(newsroom, weekly_with_readers, sink):
    from io import StringIO

    from django.core.management import CommandError, call_command

    newsletter, _readers = weekly_with_readers
    issue = make_issue(newsletter, [newsroom["lead"]])
    out = StringIO()
    call_command("newsletter", "schedule", str(issue.pk), stdout=out)
    friday = timezone.localtime(default_send_at()).strftime("%Y-%m-%d %H:%M")
    assert f"Issue {issue.pk}: Scheduled at {friday}" in out.getvalue()
    with pytest.raises(CommandError, match="write the time as YYYY-MM-DD HH:MM"):
        call_command("newsletter", "schedule", str(issue.pk), "--at", "Friday")
    with pytest.raises(CommandError, match="That time has passed"):
        call_command("newsletter", "schedule", str(issue.pk), "--at", "2020-01-03 08:00")
    with pytest.raises(CommandError, match="This issue is scheduled: it cannot be paused"):
        call_command("newsletter", "pause", str(issue.pk))

    # `send` on a scheduled issue sends it now, from this process.
    call_command("newsletter", "send", str(issue.pk), stdout=StringIO())
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT and sink.count() == 5
    assert history(issue) == ["schedule", "send_now", "sent"]
    with pytest.raises(CommandError, match="has been sent already"):
        call_command("newsletter", "send", str(issue.pk))
