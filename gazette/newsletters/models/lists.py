"""Who gets what: newsletters, subscribers, their consent per newsletter, and the addresses
we must never mail again."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def normalise_email(address: str) -> str:
    """The form an address is stored and compared in: trimmed, lower case, the domain in
    IDNA (ASCII). Local parts are case-sensitive in theory but not at any provider our
    readers use, and one reader must not become two subscribers by typing a capital.
    Addresses with a non-ASCII local part need SMTPUTF8, which we do not send yet."""
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(_("Enter a valid email address."), code="invalid")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValidationError(_("Enter a valid email address."), code="invalid") from None
    if not local.isascii():
        raise ValidationError(_("Enter a valid email address."), code="invalid")
    address = f"{local}@{domain}".lower()
    validate_email(address)
    return address


_PLAIN_ADDRESS = re.compile(r"[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.\-]+")


def is_plain_address(address: str) -> bool:
    """Whether ``address`` is one bare ASCII address, safe to put in RCPT TO and a To
    header as it is. Checked again before sending, because rows can be written past
    ``normalise_email`` (a raw import, a bulk insert), and mail libraries extract *some*
    address from "x\r\nBcc: other@example.net" rather than refuse it."""
    return bool(_PLAIN_ADDRESS.fullmatch(address))


class Newsletter(models.Model):
    """One list a reader can subscribe to, e.g. the weekly curated issue or breaking news."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("Weekly")
        BREAKING = "breaking", _("Breaking news")

    site = models.ForeignKey(
        "wagtailcore.Site", on_delete=models.CASCADE, related_name="newsletters"
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.WEEKLY)
    description = models.CharField(_("description"), max_length=300, blank=True)
    from_name = models.CharField(_("sender name"), max_length=120)
    from_address = models.EmailField(_("sender address"))
    list_id_domain = models.CharField(
        _("list domain"),
        max_length=200,
        help_text=_(
            "A domain the newsroom controls, e.g. lists.lantern.example. It names the list "
            "in the List-Id header and receives bounces and mailed unsubscribes."
        ),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "slug"], name="newsletter_slug_per_site")
        ]
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")

    def __str__(self) -> str:
        return self.name

    # Paths under /newsletters/ that are not a newsletter's archive (see urls.py).
    RESERVED_SLUGS = {"signup", "confirm", "unsubscribe", "preferences", "webhooks"}

    def clean(self) -> None:
        if self.slug in self.RESERVED_SLUGS:
            message = _("“%(slug)s” names a page of its own: choose another slug.")
            raise ValidationError({"slug": message % {"slug": self.slug}})

    @property
    def list_id(self) -> str:
        """RFC 2919: a stable, globally unique name for the list."""
        return f"{self.slug}.{self.list_id_domain}"

    # The public archive (gazette/newsletters/archive.py): the paths the mails, the signup
    # box and the page store name.
    def archive_path(self) -> str:
        return f"/newsletters/{self.slug}/"

    def latest_path(self) -> str:
        """A stable path holding a copy of the newest sent issue (the box's Preview)."""
        return f"{self.archive_path()}latest/"

    def issue_path(self, issue) -> str:
        """An issue's web version, the page its mail links to."""
        return f"{self.archive_path()}{issue.pk}/"

    def sent_issues(self):
        """The issues that went out, newest first."""
        sent = self.issues.model.Status.SENT
        return self.issues.filter(status=sent).order_by("-finished_at", "-pk")


class Subscriber(models.Model):
    """A reader's address, once, however many newsletters they take."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        BOUNCED = "bounced", _("Bounced")
        COMPLAINED = "complained", _("Complained")

    email = models.EmailField(_("email"), max_length=254, unique=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE
    )
    created_at = models.DateTimeField(default=timezone.now)
    # Given by an import (a signup asks for the address alone); erased with the subscriber.
    name = models.CharField(_("name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"),
        max_length=12,
        blank=True,
        help_text=_("The language of the pages and mails this subscriber is shown, if known."),
    )

    class Meta:
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalise_email(self.email)
        super().save(*args, **kwargs)


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(status=Subscription.Status.CONFIRMED)


class Subscription(models.Model):
    """A subscriber's consent to one newsletter: given when, on which page, under which
    version of the privacy policy (what a regulator or the reader may ask us to show)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="subscriptions"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.PENDING
    )
    consent_at = models.DateTimeField(_("consent given at"), default=timezone.now)
    consent_source = models.CharField(
        _("consent source"), max_length=500, blank=True, help_text=_("The page signed up on.")
    )
    policy_version = models.CharField(_("privacy policy version"), max_length=40, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed at"), null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subscriber", "newsletter"], name="one_subscription_per_newsletter"
            )
        ]
        indexes = [models.Index(fields=["newsletter", "status", "subscriber"])]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.subscriber} → {self.newsletter}"

    def renew_consent(self, consent: dict) -> None:
        """Consent given anew (``consent``: its time, source and policy version): pending
        until confirmed again."""
        for name, value in consent.items():
            setattr(self, name, value)
        self.status = self.Status.PENDING
        self.save(update_fields=[*consent, "status"])

    def confirm(self) -> None:
        """Idempotent: confirming twice keeps the first confirmation's time."""
        if self.status != self.Status.CONFIRMED:
            self.status = self.Status.CONFIRMED
            self.confirmed_at = timezone.now()
            self.unsubscribed_at = None
            self.save(update_fields=["status", "confirmed_at", "unsubscribed_at"])

    def unsubscribe(self) -> None:
        """Idempotent. A send in progress checks subscriptions whenever it claims a batch,
        so this takes effect before the next one."""
        if self.status != self.Status.UNSUBSCRIBED:
            self.status = self.Status.UNSUBSCRIBED
            self.unsubscribed_at = timezone.now()
            self.save(update_fields=["status", "unsubscribed_at"])


class Suppression(models.Model):
    """An address no newsletter may be sent to: it bounced for good, complained, or asked.
    Kept by address rather than by subscriber so that it outlives the subscriber's record."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", _("Hard bounce")
        SOFT_BOUNCE = "soft_bounce", _("Repeated soft bounces")
        COMPLAINT = "complaint", _("Spam complaint")
        MANUAL = "manual", _("Added by staff")

    email = models.EmailField(_("email"), max_length=254, unique=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    detail = models.CharField(_("detail"), max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")

    def __str__(self) -> str:
        return self.email

    @classmethod
    def add(cls, email: str, *, reason: str, detail: str = "") -> "Suppression":
        suppression, _created = cls.objects.get_or_create(
            email=normalise_email(email), defaults={"reason": reason, "detail": detail[:500]}
        )
        return suppression
