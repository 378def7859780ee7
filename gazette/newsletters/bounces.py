"""Bounces and complaints, however they are reported: ``record_event`` is the one path.

It is called by the sending engine (a server refused a recipient for good), by the provider
webhooks (webhooks.py, through anymail's ``tracking`` signal) and by the bounce mailbox
reader (mailbox.py). Each report is stored once, by where it came from and its id there, so
a replayed webhook or a bounce read twice changes nothing. Then:

- a hard bounce suppresses the address;
- soft bounces are scored: each day with one counts 1, halving every
  GAZETTE_NEWSLETTER_SOFT_BOUNCE_HALF_LIFE days (one bad week is forgotten, a mailbox full
  for weeks is not); the address is suppressed when the score reaches
  GAZETTE_NEWSLETTER_SOFT_BOUNCE_LIMIT. The scheme is Mailman's, with decay for its expiry;
- a complaint unsubscribes the subscriber from every newsletter, suppresses the address,
  and judges its issue's complaint rate: editors are warned above
  GAZETTE_NEWSLETTER_COMPLAINT_WARN and the send pauses above _PAUSE. Gmail's and Yahoo's
  bulk sender rules: https://support.google.com/a/answer/81126 (stay under 0.1%, never
  reach 0.3%).
"""

import logging
from datetime import datetime, timedelta
from email.utils import formataddr

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from . import actions
from .models import (
    BounceEvent,
    ComplaintAlert,
    Delivery,
    Issue,
    Subscriber,
    Subscription,
    Suppression,
    normalise_email,
)

logger = logging.getLogger(__name__)

Kind = BounceEvent.Kind


def record_event(
    *,
    source: str,
    event_id: str,
    kind: str,
    email: str = "",
    delivery_id: int | None = None,
    provider_message_id: str = "",
    detail: str = "",
    occurred_at: datetime | None = None,
) -> BounceEvent | None:
    """Record a bounce or complaint and act on it, atomically. The delivery it is about is
    the one named by ``delivery_id`` (VERP, the engine) or ``provider_message_id`` (a
    provider's webhook); the address is ``email``, or else that delivery's. Returns None
    when the same report was recorded before."""
    delivery = _delivery(delivery_id, provider_message_id)
    if not email and delivery is not None:
        email = delivery.subscriber.email
    if not email:
        raise ValueError(f"Bounce {source}/{event_id} names neither an address nor a delivery.")
    try:
        email = normalise_email(email)
    except ValidationError:
        email = email.strip().lower()
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = BounceEvent.objects.create(
                    source=source,
                    event_id=event_id[:200],
                    kind=kind,
                    email=email,
                    delivery=delivery,
                    detail=detail[:500],
                    occurred_at=occurred_at or timezone.now(),
                )
        except IntegrityError:
            return None  # seen before: it was acted on then
        {Kind.HARD: _hard, Kind.SOFT: _soft, Kind.COMPLAINT: _complaint}[kind](event)
    return event


def _delivery(delivery_id: int | None, provider_message_id: str) -> Delivery | None:
    deliveries = Delivery.objects.select_related("subscriber", "issue")
    if delivery_id is not None:
        return deliveries.filter(pk=delivery_id).first()
    if provider_message_id:
        # Excluding '' as the partial index does lets SQLite use it.
        matching = deliveries.filter(provider_message_id=provider_message_id)
        return matching.exclude(provider_message_id="").first()
    return None


def _hard(event: BounceEvent) -> None:
    _suppress(event.email, Suppression.Reason.HARD_BOUNCE, event.detail)
    if event.delivery_id:
        # The server took the message, then sent it back: it did not arrive after all.
        Delivery.objects.filter(pk=event.delivery_id, status=Delivery.Status.SENT).update(
            status=Delivery.Status.BOUNCED, last_response=event.detail
        )


def _soft(event: BounceEvent) -> None:
    score = soft_bounce_score(event.email)
    if score >= settings.GAZETTE_NEWSLETTER_SOFT_BOUNCE_LIMIT:
        detail = f"soft bounce score {score:.2f}; last: {event.detail}"
        _suppress(event.email, Suppression.Reason.SOFT_BOUNCE, detail)


def soft_bounce_score(email: str, *, now: datetime | None = None) -> float:
    """The address's soft bounces, one a day at most (a message retried all day is one
    problem), each weighing less as it ages."""
    now = now or timezone.now()
    half_life = settings.GAZETTE_NEWSLETTER_SOFT_BOUNCE_HALF_LIFE
    # Older ones weigh under 1/256 each: not worth reading.
    since = now - timedelta(days=half_life * 8)
    times = BounceEvent.objects.filter(
        email=email, kind=Kind.SOFT, occurred_at__gte=since
    ).values_list("occurred_at", flat=True)
    latest_per_day: dict = {}
    for when in times:
        day = when.date()
        latest_per_day[day] = max(when, latest_per_day.get(day, when))
    return sum(
        0.5 ** (max((now - when).total_seconds(), 0) / 86400 / half_life)
        for when in latest_per_day.values()
    )


def _complaint(event: BounceEvent) -> None:
    _suppress_address(event.email, Suppression.Reason.COMPLAINT, event.detail)
    Subscriber.objects.filter(email=event.email).update(status=Subscriber.Status.COMPLAINED)
    # Whatever newsletter they complained about, the suppression stops them all: say so
    # in their subscriptions too.
    subscriptions = Subscription.objects.filter(subscriber__email=event.email)
    for subscription in subscriptions.exclude(status=Subscription.Status.UNSUBSCRIBED):
        subscription.unsubscribe()
    if event.delivery is not None:
        check_complaint_rate(event.delivery.issue)


def _suppress(email: str, reason: str, detail: str) -> None:
    _suppress_address(email, reason, detail)
    Subscriber.objects.filter(email=email, status=Subscriber.Status.ACTIVE).update(
        status=Subscriber.Status.BOUNCED
    )


def _suppress_address(email: str, reason: str, detail: str) -> None:
    """``email`` as ``record_event`` keeps it (normalised where it could be): not through
    ``Suppression.add``, which would refuse an address it cannot normalise, one a server
    did bounce all the same."""
    Suppression.objects.get_or_create(
        email=email, defaults={"reason": reason, "detail": detail[:500]}
    )


def check_complaint_rate(issue: Issue) -> str | None:
    """Warn the editors, or pause the send, if the issue's complaint rate calls for it;
    each at most once per issue (an editor who resumes a paused send has decided). Returns
    the level reached, if any. Cheap when there is no complaint: the sending engine calls
    it after every batch."""
    complaints = (
        BounceEvent.objects.filter(kind=Kind.COMPLAINT, delivery__issue=issue)
        .values("delivery_id")
        .distinct()
        .count()
    )
    if not complaints:
        return None
    floor = max(settings.GAZETTE_NEWSLETTER_COMPLAINT_MIN_DELIVERED, 1)
    sent = Delivery.objects.filter(issue=issue, status=Delivery.Status.SENT)
    threshold = min(
        settings.GAZETTE_NEWSLETTER_COMPLAINT_WARN, settings.GAZETTE_NEWSLETTER_COMPLAINT_PAUSE
    )
    if threshold > 0:
        # Past this many delivered messages the rate is under both thresholds: counting a
        # million deliveries after every batch would tell nothing more.
        limit = max(floor, int(complaints / threshold)) + 1
        delivered = sent[:limit].count()
        if delivered == limit:
            return None
    else:
        delivered = sent.count()
    if delivered < floor:
        return None
    rate = complaints / delivered
    if rate > settings.GAZETTE_NEWSLETTER_COMPLAINT_PAUSE:
        level = ComplaintAlert.Level.PAUSED
    elif rate > settings.GAZETTE_NEWSLETTER_COMPLAINT_WARN:
        level = ComplaintAlert.Level.WARNING
    else:
        return None
    with transaction.atomic():
        alert, created = ComplaintAlert.objects.get_or_create(
            issue=issue, level=level, defaults={"complaints": complaints, "delivered": delivered}
        )
        if created:
            paused = level == ComplaintAlert.Level.PAUSED and _pause(issue)
            logger.warning(
                "Issue %s (%s): %d complaints in %d delivered messages (%.2f%%)%s",
                issue.pk,
                issue.subject,
                complaints,
                delivered,
                rate * 100,
                "; the send is paused" if paused else "",
            )
            transaction.on_commit(lambda: send_complaint_alert_task.enqueue(alert.pk))
    return level


def _pause(issue: Issue) -> bool:
    """Pause the send as an editor's button does (with its entry in the issue's history);
    False if it was not sending."""
    try:
        actions.pause(issue, user=None)
    except actions.Refused:
        return False
    return True


def newsletter_staff() -> list[str]:
    """The addresses of active staff who may edit issues: they are told about complaints."""
    users = get_user_model().objects.with_perm(actions.EDIT, is_active=True)
    return sorted({user.email for user in users if user.email})


@task()
def send_complaint_alert_task(alert_id: int) -> int:
    """Tell the newsletter staff that an issue draws complaints. Returns how many were
    told."""
    alert = ComplaintAlert.objects.select_related("issue__newsletter").get(pk=alert_id)
    recipients = newsletter_staff()
    if not recipients:
        logger.warning("No staff with an email address may edit issues: nobody was told.")
        return 0
    issue, newsletter = alert.issue, alert.issue.newsletter
    if alert.level == ComplaintAlert.Level.PAUSED:
        subject = _("Sending of “%(subject)s” paused: too many spam complaints")
    else:
        subject = _("“%(subject)s” draws spam complaints")
    context = {
        "alert": alert,
        "issue": issue,
        "newsletter": newsletter,
        "rate": f"{alert.rate:.2%}",
        "warn": f"{settings.GAZETTE_NEWSLETTER_COMPLAINT_WARN:.1%}",
        "pause": f"{settings.GAZETTE_NEWSLETTER_COMPLAINT_PAUSE:.1%}",
        "paused": alert.level == ComplaintAlert.Level.PAUSED,
    }
    send_mail(
        subject % {"subject": issue.subject},
        render_to_string("newsletters/complaint_alert_email.txt", context),
        formataddr((newsletter.from_name, newsletter.from_address)),
        recipients,
    )
    return len(recipients)
