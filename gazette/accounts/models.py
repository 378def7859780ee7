"""The audit log: who did what, when. Entries are only ever added (see ``audit.py``)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEntryQuerySet(models.QuerySet):
    def matching(self, *, who: str = "", action: str = "", since=None, until=None):
        """Entries by a person whose name contains ``who``, of one ``action``, on the
        days from ``since`` to ``until`` (dates, both included, in the site's time zone)."""
        entries = self
        if who:
            entries = entries.filter(actor_name__icontains=who)
        if action:
            entries = entries.filter(action=action)
        if since:
            entries = entries.filter(at__date__gte=since)
        if until:
            entries = entries.filter(at__date__lte=until)
        return entries


class AuditEntry(models.Model):
    """One thing a person (or the system) did.

    ``actor_name`` keeps the username as it was, so the entry still says who after the
    account is renamed or deleted; ``actor`` is a plain id for the same reason (no
    foreign-key constraint that would block deleting a user or null the column).
    ``target_label`` must never hold a reader's, subscriber's or donor's address: erasure
    cannot reach an append-only log, so such targets are labelled by id.
    """

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_name = models.CharField(_("who (as it was)"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    target_type = models.CharField(_("what kind"), max_length=100, blank=True)
    target_id = models.CharField(_("which"), max_length=100, blank=True)
    target_label = models.CharField(_("what"), max_length=255, blank=True)
    ip = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["target_type", "target_id"])]

    @property
    def action_label(self) -> str:
        from .labels import label_for

        return label_for(self.action)

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action}"


# Staff sign-in (second factors, session epochs) keeps its models in their own module.
from .mfa_models import RecoveryCode, RecoveryCodes, SessionEpoch  # noqa: E402, F401
