"""What came back: bounces and complaints as providers, mail servers and the bounce mailbox
report them, each stored once, and the complaint alerts they raised on an issue.

The logic that acts on them (suppressing, scoring, pausing) is in ``bounces.py``: these
models only keep the record."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BounceEvent(models.Model):
    """One report that a message bounced or drew a complaint. Unique by where it came from
    and the id it had there (an SNS message id, a Postmark bounce id, a DSN's Message-ID),
    so that a replayed webhook or a DSN read twice is recognised and changes nothing."""

    class Kind(models.TextChoices):
        HARD = "hard", _("Hard bounce")
        SOFT = "soft", _("Soft bounce")
        COMPLAINT = "complaint", _("Spam complaint")

    class Source(models.TextChoices):
        SENDING = "sending", _("Refused while sending")
        AMAZON_SES = "amazon_ses", _("Amazon SES")
        POSTMARK = "postmark", _("Postmark")
        MAILBOX = "mailbox", _("Bounce mailbox")

    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    event_id = models.CharField(_("event id"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    email = models.EmailField(_("email"), max_length=254, db_index=True)
    # Null when the report named no message we know (e.g. it arrived for mail sent before
    # provider ids were kept): the address is still acted on.
    delivery = models.ForeignKey(
        "newsletters.Delivery",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bounce_events",
    )
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    class Meta:
        constraints = [
            # An SNS notification about a message to several recipients carries one id for
            # all of them, hence the address in the key.
            models.UniqueConstraint(
                fields=["source", "event_id", "email"], name="bounce_event_once"
            )
        ]
        indexes = [
            # The sending engine counts an issue's complaints after every batch: few rows
            # are complaints, and this reaches them without reading the bounces.
            models.Index(fields=["kind", "delivery"], name="bounce_event_kind"),
        ]
        verbose_name = _("bounce or complaint")
        verbose_name_plural = _("bounces and complaints")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.email}"


class ComplaintAlert(models.Model):
    """An issue's complaint rate crossed a threshold. Kept once per issue and level, so
    editors are told once, and so the admin can show why a send was paused."""

    class Level(models.TextChoices):
        WARNING = "warning", _("Warning")
        PAUSED = "paused", _("Send paused")

    issue = models.ForeignKey(
        "newsletters.Issue", on_delete=models.CASCADE, related_name="complaint_alerts"
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    complaints = models.PositiveIntegerField(_("complaints"))
    delivered = models.PositiveIntegerField(_("delivered messages"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issue", "level"], name="complaint_alert_once")
        ]
        verbose_name = _("complaint alert")
        verbose_name_plural = _("complaint alerts")

    def __str__(self) -> str:
        return f"{self.issue}: {self.get_level_display()} ({self.rate:.2%})"

    @property
    def rate(self) -> float:
        return self.complaints / self.delivered if self.delivered else 0.0
