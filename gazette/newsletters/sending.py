"""Sending an issue: one delivery record per subscriber, claimed in batches by any number of
workers, each message recorded as sent only once the server has accepted it.

``prepare(issue)`` creates the deliveries. ``Sender(issue, ...).run()`` is one worker: it
claims a batch (see ``DeliveryQuerySet.claim``), builds the batch's messages a chunk at a
time, marks each chunk ``sending``, hands it to the transport and, while the transport
sends it, builds the next chunk; then it records what the server answered. Run as many
workers as you like, in one process or on several machines: leases keep them apart, and a
worker that dies leaves leases that lapse, after which another worker takes its deliveries
over (those it had handed to the server are flagged ``uncertain``).

``progress(issue)`` says how far a send has come, for the admin and the commands.
"""

import logging
import os
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Min, OuterRef
from django.utils import timezone
from django_tasks import task

from . import actions, bounces
from .dkim import DkimSigner, signer_for
from .messages import IssueMail, new_message_id
from .models import BounceEvent, Delivery, Issue, Subscription, Suppression, is_plain_address
from .models.deliveries import Claim
from .transports import Outcome, Result, Transport, transport_from_settings

logger = logging.getLogger(__name__)

PREPARE_CHUNK = 2000


@dataclass
class SendOptions:
    batch_size: int = 500  # deliveries one claim takes
    # Messages marked sending and handed to the transport together. Two chunks are in
    # flight at a time: what a crash can leave uncertain.
    chunk_size: int = 32
    lease: timedelta = timedelta(minutes=5)
    retry_base: timedelta = timedelta(minutes=1)  # doubled after each temporary failure
    max_attempts: int = 8
    idle_wait: float = 1.0  # seconds between looks when all that is left is not due yet
    # Threads that build (and DKIM-sign) messages: RSA signing releases the GIL, so with
    # more than one a worker signs on several cores.
    build_threads: int = field(default_factory=lambda: min(os.cpu_count() or 1, 4))

    @classmethod
    def from_settings(cls, **overrides) -> "SendOptions":
        options = cls(
            lease=timedelta(seconds=settings.GAZETTE_NEWSLETTER_LEASE),
            retry_base=timedelta(seconds=settings.GAZETTE_NEWSLETTER_RETRY_BASE),
            chunk_size=settings.GAZETTE_NEWSLETTER_CHUNK,
        )
        for name, value in overrides.items():
            setattr(options, name, value)
        return options


def prepare(issue: Issue) -> int:
    """Create a delivery for every confirmed, unsuppressed subscriber, then mark the issue
    sending. Subscribers are read a chunk at a time in id order, so memory stays flat at any
    list size; running it again (after a crash) adds only what is missing."""
    domain = issue.newsletter.list_id_domain
    suppressed = Suppression.objects.filter(email=OuterRef("subscriber__email"))
    recipients = (
        Subscription.objects.confirmed()
        .filter(newsletter_id=issue.newsletter_id)
        .exclude(Exists(suppressed))
        .order_by("subscriber_id")
        .values_list("subscriber_id", flat=True)
    )
    last = 0
    now = timezone.now()
    while ids := list(recipients.filter(subscriber_id__gt=last)[:PREPARE_CHUNK]):
        Delivery.objects.bulk_create(
            [
                Delivery(
                    issue=issue,
                    subscriber_id=subscriber_id,
                    message_id=new_message_id(domain),
                    next_attempt_at=now,
                )
                for subscriber_id in ids
            ],
            ignore_conflicts=True,
        )
        last = ids[-1]
    Issue.objects.filter(
        pk=issue.pk, status__in=[Issue.Status.DRAFT, Issue.Status.SCHEDULED]
    ).update(status=Issue.Status.SENDING, started_at=now)
    issue.refresh_from_db()
    return issue.deliveries.count()


def finish_if_done(issue: Issue) -> bool:
    """Mark the issue sent when no delivery is left to send."""
    if Delivery.objects.filter(issue=issue).unfinished().exists():
        return False
    moved = Issue.objects.filter(pk=issue.pk, status=Issue.Status.SENDING).update(
        status=Issue.Status.SENT, finished_at=timezone.now()
    )
    if moved:  # this worker finished it: the others see it sent and stop
        actions.finished(issue)
    return True


@dataclass
class Sender:
    """One worker of a send."""

    issue: Issue
    transport: Transport
    options: SendOptions = field(default_factory=SendOptions)
    signer: DkimSigner | None = None
    on_progress: Callable[[], None] | None = None
    should_stop: Callable[[], bool] = lambda: False

    def run(self) -> None:
        """Send until nothing is left (or the issue is paused, or ``should_stop()``)."""
        mail = IssueMail(self.issue, signer=self.signer)
        threads = self.options.build_threads
        with ThreadPoolExecutor(threads, thread_name_prefix="gazette-build") as builders:
            self._build = (
                (lambda chunk: list(builders.map(mail.message, chunk)))
                if threads > 1
                else (lambda chunk: [mail.message(delivery) for delivery in chunk])
            )
            self._loop()

    def _loop(self) -> None:
        while not self.should_stop():
            status = Issue.objects.filter(pk=self.issue.pk).values_list("status", flat=True)
            if status.get() != Issue.Status.SENDING:
                return
            claim = Delivery.objects.claim(
                self.issue, size=self.options.batch_size, lease=self.options.lease
            )
            if claim.deliveries:
                self._send(claim)
                # Complaints about early messages arrive while later ones go out: the rate
                # is judged again as more are delivered (it may now pause this send).
                bounces.check_complaint_rate(self.issue)
            elif finish_if_done(self.issue):
                return
            else:
                time.sleep(self._until_due())
            if self.on_progress:
                self.on_progress()

    def _until_due(self) -> float:
        """How long to wait when nothing can be claimed: until the next retry is due, or a
        short while when other workers hold the rest (their leases may lapse)."""
        due = Delivery.objects.filter(
            issue=self.issue, status=Delivery.Status.FAILED_TEMPORARY
        ).aggregate(due=Min("next_attempt_at"))["due"]
        wait = self.options.idle_wait
        if due is not None:
            wait = min(wait, max((due - timezone.now()).total_seconds(), 0.01))
        return wait

    def _send(self, claim: Claim) -> None:
        token, deliveries = claim.token, claim.deliveries
        attempts = {delivery.id: delivery.attempts + 1 for delivery in deliveries}
        emails = {delivery.id: delivery.email for delivery in deliveries}
        renewed = time.monotonic()
        in_flight = None
        size = self.options.chunk_size
        for start in range(0, len(deliveries), size):
            if self.should_stop():
                break
            chunk = deliveries[start : start + size]
            bad = [delivery.id for delivery in chunk if not is_plain_address(delivery.email)]
            if bad:
                refused = [Result(id_, Outcome.REFUSED, "invalid address") for id_ in bad]
                self._record(token, refused, attempts, emails)
                chunk = [delivery for delivery in chunk if delivery.id not in bad]
                if not chunk:
                    continue
            messages = self._build(chunk)
            ids = Delivery.objects.mark_sending(token, [delivery.id for delivery in chunk])
            if len(ids) < len(chunk):  # another worker took some over: leave them to it
                kept = set(ids)
                messages = [message for message in messages if message.delivery_id in kept]
            future = self.transport.submit(messages)
            if in_flight is not None:
                self._record(token, in_flight.result(), attempts, emails)
            in_flight = future
            if time.monotonic() - renewed > self.options.lease.total_seconds() / 3:
                Delivery.objects.renew([token], until=timezone.now() + self.options.lease)
                renewed = time.monotonic()
        if in_flight is not None:
            self._record(token, in_flight.result(), attempts, emails)
        Delivery.objects.release(token)

    def _record(
        self, token: str, results: list[Result], attempts: dict[int, int], emails: dict[int, str]
    ) -> None:
        now = timezone.now()
        sent = [result.delivery_id for result in results if result.outcome == Outcome.SENT]
        provider_ids = {
            result.delivery_id: result.provider_id
            for result in results
            if result.outcome == Outcome.SENT and result.provider_id
        }
        others: dict[tuple, list[int]] = defaultdict(list)
        for result in results:
            if result.outcome != Outcome.SENT:
                key = (
                    result.outcome,
                    attempts[result.delivery_id],
                    result.response,
                    result.uncertain,
                )
                others[key].append(result.delivery_id)
        with transaction.atomic():
            Delivery.objects.mark_sent(token, sent, when=now, provider_ids=provider_ids)
            for (outcome, attempt, response, uncertain), ids in others.items():
                mine = Delivery.objects.filter(pk__in=ids, lease_token=token)
                update = {"last_response": response, "lease_token": None, "lease_expires_at": None}
                if uncertain:
                    update["uncertain"] = True
                if outcome == Outcome.DEFERRED and attempt < self.options.max_attempts:
                    delay = self.options.retry_base * 2 ** min(attempt - 1, 6)
                    mine.update(
                        status=Delivery.Status.FAILED_TEMPORARY,
                        next_attempt_at=now + delay,
                        **update,
                    )
                elif outcome == Outcome.BOUNCED:
                    mine.update(status=Delivery.Status.BOUNCED, **update)
                    for delivery_id in ids:
                        # The same path as a bounce reported later, so that it is
                        # recorded and acted on alike.
                        bounces.record_event(
                            source=BounceEvent.Source.SENDING,
                            event_id=f"delivery-{delivery_id}",
                            kind=BounceEvent.Kind.HARD,
                            email=emails[delivery_id],
                            delivery_id=delivery_id,
                            detail=response,
                            occurred_at=now,
                        )
                else:
                    mine.update(status=Delivery.Status.FAILED, **update)
                    logger.warning("Gave up on delivery %s: %s", ids, response)


def send_issue(
    issue: Issue,
    *,
    transport: Transport | None = None,
    options: SendOptions | None = None,
    on_progress: Callable[[], None] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> "Progress":
    """Prepare the issue if it is not yet sending, then send it from this process."""
    if issue.status in (Issue.Status.DRAFT, Issue.Status.SCHEDULED):
        prepare(issue)
    transport = transport or transport_from_settings()
    with transport:
        Sender(
            issue,
            transport,
            options or SendOptions.from_settings(),
            signer=signer_for(transport),
            on_progress=on_progress,
            should_stop=should_stop,
        ).run()
    return progress(issue)


@task()
def send_issue_task(issue_id: int) -> str:
    """Run a send in a worker (`gazette worker`). Start several to share one send. An issue
    whose time passed long before a worker got to it is held for an editor instead."""
    issue = Issue.objects.get(pk=issue_id)
    if actions.hold_if_late(issue):
        return f"Held: issue {issue_id} was due at {issue.send_at:%Y-%m-%d %H:%M %Z}."
    return str(send_issue(issue))


@dataclass
class Progress:
    status: str
    total: int
    sent: int
    waiting: int  # pending, sending or to be retried
    bounced: int
    failed: int
    skipped: int
    uncertain: int
    rate: float  # messages a second
    eta: timedelta | None
    at: datetime  # when it was counted

    @property
    def done(self) -> int:
        return self.total - self.waiting

    def __str__(self) -> str:
        eta = f", about {_duration(self.eta)} left" if self.eta else ""
        return (
            f"{self.sent}/{self.total} sent ({self.rate:.0f}/s{eta}); {self.bounced} bounced, "
            f"{self.failed} failed, {self.skipped} skipped, {self.waiting} waiting, "
            f"{self.uncertain} uncertain"
        )


def _duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def progress(issue: Issue, *, since: "Progress | None" = None) -> Progress:
    """Where a send stands: counts by outcome, the rate, and the time left at that rate.
    The rate is the average since the send started, or since ``since`` (an earlier reading,
    as a progress bar has). Counting reads only the claims index: at a million deliveries,
    a fraction of a second on SQLite."""
    issue.refresh_from_db(fields=["status", "started_at"])
    counts = Delivery.objects.filter(issue=issue).counts()
    now = timezone.now()
    sent = counts[Delivery.Status.SENT]
    rate = 0.0
    if since is not None and now > since.at:
        rate = (sent - since.sent) / (now - since.at).total_seconds()
    elif issue.started_at and now > issue.started_at:
        rate = sent / (now - issue.started_at).total_seconds()
    Status = Delivery.Status
    waiting = counts[Status.PENDING] + counts[Status.SENDING] + counts[Status.FAILED_TEMPORARY]
    return Progress(
        status=issue.status,
        total=sum(counts[status] for status in Status.values),
        sent=sent,
        waiting=waiting,
        bounced=counts[Status.BOUNCED],
        failed=counts[Status.FAILED],
        skipped=counts[Status.SKIPPED],
        uncertain=counts["uncertain"],
        rate=rate,
        eta=timedelta(seconds=waiting / rate) if rate > 0 and waiting else None,
        at=now,
    )
