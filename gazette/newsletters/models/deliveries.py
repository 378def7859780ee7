"""One record per issue and subscriber: the unit the sending engine claims, sends and records.

The life of a delivery::

    pending --claim--> pending, leased --mark_sending--> sending
    sending --the server accepts--> sent
    sending --4xx, lost connection--> failed_temporary --when due--> claimed again
    sending --5xx--> bounced (the address is suppressed)
    unsubscribed or suppressed when claimed --> skipped

A delivery is ``sending`` from just before its message goes to the server until the answer
is recorded. If the worker dies in between, the lease runs out and another worker sends it
again with ``uncertain`` set: the first copy may have arrived. Nothing is ever skipped.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, models, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .lists import Subscription, Suppression


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed delivery, with what building its message needs."""

    id: int
    subscriber_id: int
    email: str
    message_id: str
    attempts: int
    uncertain: bool


@dataclass
class Claim:
    token: str
    deliveries: list[Claimed]


class DeliveryQuerySet(models.QuerySet):
    def claimable(self, now: datetime) -> list["DeliveryQuerySet"]:
        """What a claim may take, one query per status so that each walks the
        (issue, status, next_attempt_at) index and stops after a batch: left ``sending`` by
        a worker whose lease lapsed (it died mid-send) first, then retries that are due,
        then the never tried. One query with OR would walk every delivery of the issue,
        sent ones included, at each claim."""
        unleased = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
        Status = Delivery.Status
        return [
            self.filter(status=Status.SENDING, lease_expires_at__lt=now).order_by("pk"),
            *(
                self.filter(unleased, status=status, next_attempt_at__lte=now).order_by(
                    "next_attempt_at", "pk"
                )
                for status in (Status.FAILED_TEMPORARY, Status.PENDING)
            ),
        ]

    def unfinished(self):
        return self.filter(
            status__in=[
                Delivery.Status.PENDING,
                Delivery.Status.SENDING,
                Delivery.Status.FAILED_TEMPORARY,
            ]
        )

    def claim(self, issue, *, size: int, lease: timedelta) -> Claim:
        """Lease up to ``size`` due deliveries of ``issue`` to the caller.

        PostgreSQL: candidate rows are locked with SKIP LOCKED, so workers claiming at the
        same moment take different rows without waiting. SQLite has one writer at a time
        and the settings open every transaction IMMEDIATE, so the transaction that reads
        the candidates holds the write lock until it has leased them. Either way the lease
        is read back by its token.

        Subscribers who unsubscribed, or whose address was suppressed, since the send was
        prepared are marked skipped here, so that neither waits for more than a batch.
        """
        token = secrets.token_hex(16)
        now = timezone.now()
        skip_locked = connection.features.has_select_for_update_skip_locked
        with transaction.atomic():
            ids: list[int] = []
            for candidates in self.filter(issue=issue).claimable(now):
                if skip_locked:
                    candidates = candidates.select_for_update(skip_locked=True)
                ids += candidates.values_list("pk", flat=True)[: size - len(ids)]
                if len(ids) >= size:
                    break
            if not ids:
                return Claim(token, [])
            chosen = self.filter(pk__in=ids)
            claimed = chosen.update(
                lease_token=token,
                lease_expires_at=now + lease,
                status=Delivery.Status.PENDING,
                uncertain=Case(
                    When(status=Delivery.Status.SENDING, then=Value(True)),
                    default=F("uncertain"),
                ),
            )
            if not claimed:
                return Claim(token, [])
            mine = self.filter(lease_token=token)
            confirmed = Subscription.objects.filter(
                subscriber=OuterRef("subscriber_id"),
                newsletter_id=issue.newsletter_id,
                status=Subscription.Status.CONFIRMED,
            )
            released = {"lease_token": None, "lease_expires_at": None}
            mine.exclude(Exists(confirmed)).update(
                status=Delivery.Status.SKIPPED, last_response="unsubscribed", **released
            )
            suppressed = Suppression.objects.filter(email=OuterRef("subscriber__email"))
            mine.filter(Exists(suppressed)).update(
                status=Delivery.Status.SKIPPED, last_response="suppressed", **released
            )
            rows = mine.order_by("pk").values_list(
                "pk", "subscriber_id", "subscriber__email", "message_id", "attempts", "uncertain"
            )
            return Claim(token, [Claimed(*row) for row in rows])

    def mark_sending(self, token: str, ids: list[int]) -> list[int]:
        """Record that these messages are about to go to the server: from here on a crash
        makes them uncertain. Returns the ids still leased to ``token`` (normally all)."""
        updated = self.filter(pk__in=ids, lease_token=token, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SENDING, attempts=F("attempts") + 1
        )
        if updated == len(ids):
            return ids
        mine = self.filter(pk__in=ids, lease_token=token, status=Delivery.Status.SENDING)
        return sorted(mine.values_list("pk", flat=True))

    def mark_sent(
        self,
        token: str,
        ids: list[int],
        *,
        when: datetime,
        provider_ids: dict[int, str] | None = None,
    ) -> int:
        """``provider_ids``: the id a provider's API gave each message, where it gave one."""
        extra = {}
        if provider_ids:
            extra["provider_message_id"] = Case(
                *(When(pk=pk, then=Value(value)) for pk, value in provider_ids.items()),
                default=Value(""),
            )
        return self.filter(pk__in=ids, lease_token=token).update(
            status=Delivery.Status.SENT,
            sent_at=when,
            last_response="",
            lease_token=None,
            lease_expires_at=None,
            **extra,
        )

    def renew(self, tokens: list[str], *, until: datetime) -> int:
        """Extend the leases of a worker that is still at work on them."""
        if not tokens:
            return 0
        return self.filter(lease_token__in=tokens).update(lease_expires_at=until)

    def release(self, token: str) -> int:
        """Give back what was claimed but not handed to the server (a pause, a stop)."""
        return self.filter(lease_token=token, status=Delivery.Status.PENDING).update(
            lease_token=None, lease_expires_at=None
        )

    def counts(self) -> dict[str, int]:
        """Deliveries per status, plus ``uncertain``: two index-only counts."""
        result = dict.fromkeys(Delivery.Status.values, 0)
        for row in self.values("status").annotate(n=Count("pk")).order_by():
            result[row["status"]] = row["n"]
        result["uncertain"] = self.filter(uncertain=True).count()
        return result


class Delivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Handed to the mail server")
        SENT = "sent", _("Accepted by the mail server")
        FAILED_TEMPORARY = "failed_temporary", _("Will be tried again")
        BOUNCED = "bounced", _("Bounced")
        FAILED = "failed", _("Given up")
        SKIPPED = "skipped", _("Skipped (unsubscribed or suppressed)")

    issue = models.ForeignKey(
        "newsletters.Issue",
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,  # the claims index and the unique constraint both start with it
    )
    subscriber = models.ForeignKey(
        "newsletters.Subscriber", on_delete=models.CASCADE, related_name="deliveries"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_token = models.CharField(max_length=32, null=True, blank=True, db_index=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    # Chosen when the send is prepared and kept across retries, so that a copy sent again
    # after a crash carries the same Message-ID (mail programs fold such duplicates).
    message_id = models.CharField(max_length=200)
    last_response = models.CharField(max_length=500, blank=True)
    # The id a provider's API gave the message (SES, Postmark): their bounce and complaint
    # webhooks name the message by it. Empty for SMTP, where VERP does that job.
    provider_message_id = models.CharField(max_length=200, blank=True)
    uncertain = models.BooleanField(
        default=False,
        help_text=_("Sent again after a crash: the subscriber may have received two copies."),
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["issue", "subscriber"], name="one_delivery_per_subscriber"
            )
        ]
        indexes = [
            # Claims walk it in order of due time; progress counts statuses from it alone.
            models.Index(fields=["issue", "status", "next_attempt_at"], name="delivery_claims"),
            # Few deliveries are uncertain: counting them should not read the others.
            models.Index(fields=["issue"], condition=Q(uncertain=True), name="delivery_uncertain"),
            # Webhooks look deliveries up by it; SMTP sends leave it empty, and out of the index.
            models.Index(
                fields=["provider_message_id"],
                condition=~Q(provider_message_id=""),
                name="delivery_provider_id",
            ),
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.issue_id} → {self.subscriber_id}: {self.status}"
