"""The newsletters' clock, run by `gazette worker` beside scheduled publishing: it proposes
the weekly drafts and starts issues whose time has come, holding those it finds too late.

Times of day are the newsroom's (``TIME_ZONE``): "Friday 08:00" is 08:00 where the editors
are, in summer and in winter.
"""

from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import task

from gazette.publishing.locks import exclusive

from . import actions
from .models import Issue

# A queued issue still not started after this long: its task was lost (a Redis queue
# flushed, say), so it is asked for again. A second task for one send is harmless: the
# workers share the send.
REQUEUE_AFTER = timedelta(minutes=10)


def local_now(now: datetime | None = None) -> datetime:
    return timezone.localtime(now or timezone.now())


def default_send_at(now: datetime | None = None) -> datetime:
    """When an issue goes out unless the editor says otherwise: the next send day (Friday)
    at the send time (08:00), in the newsroom's time zone."""
    now = local_now(now)
    hour, minute = settings.GAZETTE_NEWSLETTER_SEND_TIME
    days = (settings.GAZETTE_NEWSLETTER_SEND_DAY - now.weekday()) % 7
    for ahead in (days, days + 7):
        day = now.date() + timedelta(days=ahead)
        moment = timezone.make_aware(datetime.combine(day, time(hour, minute)))
        if moment > now:
            return moment
    raise AssertionError("unreachable: a week ahead is always in the future")


def week_of(now: datetime | None = None) -> date:
    """The Monday of the newsroom's current week."""
    today = local_now(now).date()
    return today - timedelta(days=today.weekday())


def draft_is_due(now: datetime | None = None) -> bool:
    """Whether this week's draft should exist by now: from the draft day (Thursday) on."""
    return local_now(now).weekday() >= settings.GAZETTE_NEWSLETTER_DRAFT_DAY


def start_due_issues(now: datetime | None = None) -> tuple[list[Issue], list[Issue]]:
    """Start the scheduled issues whose time has come, and hold those that are later than
    the window (the system was down): (started, held)."""
    now = now or timezone.now()
    due = Issue.objects.filter(status=Issue.Status.SCHEDULED, send_at__lte=now).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER)
    )
    started, held = [], []
    for issue in due.select_related("newsletter").order_by("send_at", "pk"):
        if actions.hold_if_late(issue):
            held.append(issue)
        elif actions.start(issue):
            started.append(issue)
    return started, held


def run_clock() -> bool:
    """One round of the clock. False if another worker is running it."""
    from .weekly import propose_weekly_drafts

    with exclusive("gazette.newsletters.clock") as acquired:
        if acquired:
            propose_weekly_drafts()
            start_due_issues()
        return acquired


@task()
def run_clock_task() -> bool:
    return run_clock()
