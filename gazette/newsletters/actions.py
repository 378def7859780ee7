"""Every change of an issue's state, one function each, with its permission check and its
entry in the admin's history. The admin's views, `gazette newsletter` and the worker's clock
call these and nothing else (see the life of an issue in ``models/issues.py``).

``user`` is the person asking; None for the system (the clock, a command run by an
operator), which needs no permission but is recorded all the same. A move the issue's
current state does not allow raises ``Refused`` with a message for the person.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from wagtail.log_actions import log

from .archive import issue_sent
from .dkim import signer_for
from .messages import IssueMail, new_message_id
from .models import Issue, normalise_email
from .models.deliveries import Claimed
from .transports import Outcome, transport_from_settings

EDIT = "newsletters.change_issue"
SEND = "newsletters.send_issue"
STARTABLE = (Issue.Status.DRAFT, Issue.Status.SCHEDULED, Issue.Status.HELD)


class Refused(Exception):
    """The action cannot be done; ``str()`` says why, for the person who asked."""


def _check(user, permission: str) -> None:
    if user is not None and not user.has_perm(permission):
        raise PermissionDenied


def _log(issue: Issue, action: str, user, **data) -> None:
    log(issue, f"newsletters.issue.{action}", user=user, data=data)


def _local(moment: datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _state_refusal(issue: Issue, doing: str) -> Refused:
    """``doing`` ends the sentence; its words carry the context "it cannot be" so that they
    may take the form the sentence needs (Russian: an infinitive) without changing
    Wagtail's own "scheduled", a page's state."""
    issue.refresh_from_db(fields=["status"])
    return Refused(
        _("This issue is %(status)s: it cannot be %(doing)s.")
        % {"status": issue.get_status_display().lower(), "doing": doing}
    )


def check_ready(issue: Issue) -> None:
    """What an issue needs before it may go out."""
    if not issue.subject.strip():
        raise Refused(_("Give the issue a subject first."))
    if not issue.picks() and not issue.intro.strip():
        raise Refused(_("The issue is empty: pick at least one article or write an introduction."))
    unpublished = issue.unpublished_articles()
    if unpublished:
        raise Refused(
            _("Not published: %(titles)s. Publish them or take them out of the issue.")
            % {"titles": ", ".join(f"“{article.title}”" for article in unpublished)}
        )


def schedule(issue: Issue, *, user, send_at: datetime) -> None:
    _check(user, SEND)
    check_ready(issue)
    if send_at <= timezone.now():
        raise Refused(_("That time has passed: choose a time in the future."))
    moved = Issue.objects.filter(pk=issue.pk, status__in=STARTABLE).update(
        status=Issue.Status.SCHEDULED, send_at=send_at, queued_at=None, held_at=None
    )
    if not moved:
        raise _state_refusal(issue, pgettext("it cannot be", "scheduled"))
    issue.refresh_from_db()
    _log(issue, "schedule", user, send_at=send_at.isoformat())


def unschedule(issue: Issue, *, user) -> None:
    """Back to a draft, as long as no worker has been asked to start it."""
    _check(user, SEND)
    moved = Issue.objects.filter(
        pk=issue.pk, status=Issue.Status.SCHEDULED, queued_at__isnull=True
    ).update(status=Issue.Status.DRAFT)
    if not moved:
        raise _state_refusal(issue, pgettext("it cannot be", "taken back to a draft"))
    issue.refresh_from_db()
    _log(issue, "unschedule", user)


def send_now(issue: Issue, *, user, enqueue: bool = True) -> None:
    """Start sending: a worker prepares the deliveries and sends (``enqueue=False`` when the
    caller sends from its own process, as `gazette newsletter send` does)."""
    _check(user, SEND)
    check_ready(issue)
    now = timezone.now()
    moved = Issue.objects.filter(pk=issue.pk, status__in=STARTABLE).update(
        status=Issue.Status.SCHEDULED, send_at=now, queued_at=now, held_at=None
    )
    if not moved:
        raise _state_refusal(issue, pgettext("it cannot be", "sent now"))
    issue.refresh_from_db()
    _log(issue, "send_now", user)
    if enqueue:
        _enqueue_send(issue)


def start(issue: Issue) -> bool:
    """The clock: its time has come. False if someone else moved it meanwhile."""
    now = timezone.now()
    moved = Issue.objects.filter(
        pk=issue.pk, status=Issue.Status.SCHEDULED, send_at__lte=now
    ).update(queued_at=now)
    if moved:
        issue.refresh_from_db()
        _log(issue, "start", None)
        _enqueue_send(issue)
    return bool(moved)


def hold_if_late(issue: Issue) -> bool:
    """Hold a scheduled issue that is later than the window allows (the worker was down):
    an editor decides whether it still goes out. True if it was held."""
    now = timezone.now()
    late = issue.late_by(now)
    if late is None:
        return False
    moved = Issue.objects.filter(
        pk=issue.pk, status=Issue.Status.SCHEDULED, send_at=issue.send_at
    ).update(status=Issue.Status.HELD, held_at=now)
    if moved:
        issue.refresh_from_db()
        _log(issue, "hold", None, late_seconds=int(late.total_seconds()))
    return bool(moved)


def held_explanation(issue: Issue) -> str:
    """Why an issue is held, for the editor who finds it so."""
    if issue.status != Issue.Status.HELD or not (issue.send_at and issue.held_at):
        return ""
    hours = settings.GAZETTE_NEWSLETTER_LATE_WINDOW / 3600
    return _(
        "It was due at %(due)s, but no worker could start it until %(held)s, more than "
        "%(hours)s hours late (the system was down or busy). It has not been sent to anyone. "
        "Send it now, or schedule it again."
    ) % {"due": _local(issue.send_at), "held": _local(issue.held_at), "hours": f"{hours:g}"}


def pause(issue: Issue, *, user) -> None:
    _check(user, SEND)
    if not issue.pause():
        raise _state_refusal(issue, pgettext("it cannot be", "paused"))
    _log(issue, "pause", user)


def resume(issue: Issue, *, user, enqueue: bool = True) -> None:
    """Let the send go on; a worker takes it up (``enqueue=False``: the caller sends)."""
    _check(user, SEND)
    if not issue.resume():
        raise _state_refusal(issue, pgettext("it cannot be", "resumed"))
    _log(issue, "resume", user)
    if enqueue:
        _enqueue_send(issue)


def _enqueue_send(issue: Issue) -> None:
    from .sending import send_issue_task  # the send task holds an issue that is too late

    transaction.on_commit(lambda: send_issue_task.enqueue(issue.pk))


def finished(issue: Issue) -> None:
    """The sending engine found nothing left to send: the issue is sent."""
    _log(issue, "sent", None)
    issue_sent(issue)


# Test sends


@dataclass(frozen=True)
class TrialResult:
    address: str
    sent: bool
    response: str


def default_trial_recipients(user) -> list[str]:
    """Where a test goes unless the editor says otherwise: to them, and to the addresses
    the settings name."""
    addresses = [user.email] if user is not None and user.email else []
    return list(dict.fromkeys(addresses + settings.GAZETTE_NEWSLETTER_TEST_ADDRESSES))


def check_trial_recipient(address: str) -> str:
    """The address, normalised, if a test may go there: a staff member's or one the
    settings name. A test send must not become a way to mail an issue to anyone."""
    address = normalise_email(address)
    allowed = {item.lower() for item in settings.GAZETTE_NEWSLETTER_TEST_ADDRESSES}
    if address in allowed:
        return address
    staff = get_user_model().objects.filter(email__iexact=address, is_active=True)
    if any(person.has_perm("wagtailadmin.access_admin") for person in staff):
        return address
    raise Refused(
        _(
            "%(address)s is not a staff address: tests go only to people with access to the "
            "admin and to GAZETTE_NEWSLETTER_TEST_ADDRESSES."
        )
        % {"address": address}
    )


def send_test(issue: Issue, *, user, addresses: list[str]) -> list[TrialResult]:
    """Send the issue, subject marked as a test, to these staff addresses through the
    newsletter's real transport and DKIM keys. No delivery is recorded and no subscriber
    is involved; the envelope names delivery 0, which no delivery has, so a bounce of a
    test is never held against a subscriber."""
    _check(user, EDIT)
    addresses = [check_trial_recipient(address) for address in addresses]
    if not addresses:
        raise Refused(_("Give at least one address to send the test to."))
    copy = Issue.objects.get(pk=issue.pk)
    copy.subject = _("[Test] %(subject)s") % {"subject": issue.subject}
    domain = issue.newsletter.list_id_domain
    with transport_from_settings() as transport:
        mail = IssueMail(copy, signer=signer_for(transport))
        messages = [
            replace(
                mail.message(Claimed(0, 0, address, new_message_id(domain), 0, False)),
                delivery_id=number,
            )
            for number, address in enumerate(addresses)
        ]
        results = transport.submit(messages).result(timeout=120)
    outcome = [
        TrialResult(addresses[result.delivery_id], result.outcome == Outcome.SENT, result.response)
        for result in results
    ]
    _log(issue, "test", user, addresses=addresses, sent=[r.address for r in outcome if r.sent])
    return outcome
