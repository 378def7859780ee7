"""Donors, their gifts, the payments of each gift, and the provider events we acted on.

What is kept is the minimum a newsroom needs to thank, receipt and manage a gift: the
donor's email (and name only if given), sealed (``crypto``); amounts, dates, the
provider's ids, and the page the gift started from. Never an IP address, a card number
or a provider's raw event (it holds the email in clear).
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .. import crypto
from .appeal import Frequency


class DonorQuerySet(models.QuerySet):
    def for_email(self, email: str):
        return self.filter(email_digest__in=crypto.digests(email))

    def purgeable(self, *, before):
        """Donors with no running gift whose last gift ended or was paid before ``before``."""
        # A gift whose renewal failed is still a live subscription: the provider retries it.
        active = Gift.objects.filter(
            donor=models.OuterRef("pk"), status__in=[Gift.Status.ACTIVE, Gift.Status.PAST_DUE]
        )
        return self.exclude(models.Exists(active)).filter(last_activity_at__lt=before)


class Donor(models.Model):
    email_sealed = models.TextField(_("email (encrypted)"))
    name_sealed = models.TextField(_("name (encrypted)"), blank=True)
    email_digest = models.CharField(_("email lookup hash"), max_length=64, unique=True)
    customer_id = models.CharField(_("payment provider's customer id"), max_length=255, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    created_at = models.DateTimeField(_("first gift"), default=timezone.now)
    last_activity_at = models.DateTimeField(
        _("last payment or change"), default=timezone.now, db_index=True
    )

    objects = DonorQuerySet.as_manager()

    class Meta:
        verbose_name = _("donor")
        verbose_name_plural = _("donors")

    def __str__(self) -> str:
        return f"Donor {self.pk}"

    @property
    def email(self) -> str:
        return crypto.open_(self.email_sealed)

    @email.setter
    def email(self, value: str) -> None:
        self.email_sealed = crypto.seal(crypto.normalise_email(value))
        self.email_digest = crypto.email_digest(value)

    @property
    def name(self) -> str:
        return crypto.open_(self.name_sealed)

    @name.setter
    def name(self, value: str) -> None:
        self.name_sealed = crypto.seal(value.strip())


class GiftQuerySet(models.QuerySet):
    def recurring(self):
        return self.exclude(frequency=Frequency.ONCE)

    def active(self):
        return self.filter(status=Gift.Status.ACTIVE)


class Gift(models.Model):
    """One donation: a single payment (once) or a standing monthly or annual gift with a
    payment at every renewal. Created when the reader presses Continue, as pending."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Checkout not completed")
        ACTIVE = "active", pgettext_lazy("gift status", "Active")  # a recurring gift that renews
        PAID = "paid", _("Paid")  # a one-time gift
        PAST_DUE = "past_due", _("Renewal failed")
        CANCELLED = "cancelled", _("Cancelled")
        DECLINED = "declined", _("Declined")

    class Provider(models.TextChoices):
        STRIPE = "stripe", _("Card (Stripe)")
        TEST = "test", _("Test provider")

    donor = models.ForeignKey(
        Donor,
        verbose_name=_("donor"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="gifts",
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=Frequency.choices)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    fee_covered = models.DecimalField(
        _("processing fee covered"), max_digits=8, decimal_places=2, default=0
    )
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    provider = models.CharField(_("provider"), max_length=10, choices=Provider.choices)
    checkout_id = models.CharField(
        _("checkout id"), max_length=255, unique=True, null=True, blank=True
    )
    subscription_id = models.CharField(
        _("subscription id"), max_length=255, unique=True, null=True, blank=True
    )
    article = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("started from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=10, default="en")
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True, db_index=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True, db_index=True)

    objects = GiftQuerySet.as_manager()

    class Meta:
        verbose_name = _("gift")
        verbose_name_plural = _("gifts")
        # Totals and charts only: seeing who the donors are is view_donor, given apart.
        permissions = [("view_fundraising", _("Can see the fundraising dashboard"))]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="gift_amount_positive")
        ]

    def __str__(self) -> str:
        return f"{self.get_frequency_display()} {self.amount} {self.currency}"

    @property
    def recurring(self) -> bool:
        return self.frequency != Frequency.ONCE

    @property
    def total(self):
        """What each payment charges: the gift and the fee the donor chose to cover."""
        return self.amount + self.fee_covered

    def monthly_value(self):
        """The gift's worth a month, for monthly recurring revenue."""
        if self.frequency == Frequency.MONTHLY:
            return self.amount
        if self.frequency == Frequency.ANNUAL:
            return self.amount / 12
        return 0


class Payment(models.Model):
    """Money received (or a renewal that failed), once per provider payment id: the same
    payment reported twice, or by two events, is one row."""

    class Status(models.TextChoices):
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", pgettext_lazy("payment status", "Failed")
        REFUNDED = "refunded", _("Refunded")

    gift = models.ForeignKey(Gift, on_delete=models.CASCADE, related_name="payments")
    provider_id = models.CharField(_("provider's payment id"), max_length=255)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    paid_at = models.DateTimeField(_("date"), default=timezone.now, db_index=True)
    receipt_sent_at = models.DateTimeField(_("receipt sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(fields=["gift", "provider_id"], name="payment_once"),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} {self.get_status_display()}"


class ProviderEvent(models.Model):
    """A provider's webhook event we received, stored once by its id so that a replay or
    a duplicate delivery is recognised. Only the id, type and outcome: the event itself
    holds the donor's email in clear."""

    provider = models.CharField(_("provider"), max_length=10)
    event_id = models.CharField(_("event id"), max_length=255)
    type = models.CharField(_("type"), max_length=100)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("provider event")
        verbose_name_plural = _("provider events")
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="provider_event_once")
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.type} {self.event_id}"
