"""What is left of a subscriber erased on request: a keyed hash of the address, never the
address itself, so that the address can be recognised if it comes back but not read out of
a copy of the database (see ``gazette.newsletters.subscribers.erasure``)."""

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

DIGEST_SALT = "gazette.newsletters.erased-address"


def address_digests(email: str) -> list[str]:
    """The digests of a normalised address under the secret key and each fallback key, so
    that rotating SECRET_KEY (with the old one in SECRET_KEY_FALLBACKS) keeps recognising
    erased addresses. An unkeyed hash would not do: addresses are easy to guess, and
    hashing a list of guesses would tell who was a subscriber."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return [
        salted_hmac(DIGEST_SALT, email, secret=key, algorithm="sha256").hexdigest() for key in keys
    ]


class ErasedAddressQuerySet(models.QuerySet):
    def matching(self, emails: Iterable[str]) -> dict[str, "ErasedAddress"]:
        """The entries for these normalised addresses, keyed by address (one query)."""
        by_digest = {digest: email for email in emails for digest in address_digests(email)}
        if not by_digest:
            return {}
        return {by_digest[entry.digest]: entry for entry in self.filter(digest__in=by_digest)}


class ErasedAddress(models.Model):
    """An address whose subscriber was erased. It keeps an import from subscribing the
    address again; if the address had bounced or complained, a signup is refused too (as
    for a ``Suppression``). A person who merely left and asked to be forgotten may sign up
    again: the double opt-in is their fresh consent."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("Erased on request")
        BOUNCED = "bounced", _("Erased; the address had bounced")
        COMPLAINED = "complained", _("Erased; the address had complained")
        SUPPRESSED = "suppressed", _("Erased; the address was suppressed")

    digest = models.CharField(max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    # The day only: enough to answer "since when", no more precise than needed.
    erased_on = models.DateField(_("erased on"), default=timezone.localdate)

    objects = ErasedAddressQuerySet.as_manager()

    class Meta:
        verbose_name = _("erased address")
        verbose_name_plural = _("erased addresses")

    def __str__(self) -> str:
        return f"{self.get_reason_display()} ({self.erased_on})"

    @property
    def refuses_signup(self) -> bool:
        return self.reason != self.Reason.REQUEST

    @classmethod
    def remember(cls, email: str, *, reason: str) -> "ErasedAddress":
        """Record ``email`` (normalised) as erased; a stricter reason replaces a request."""
        entry, created = cls.objects.get_or_create(
            digest=address_digests(email)[0], defaults={"reason": reason}
        )
        if not created and entry.reason == cls.Reason.REQUEST and reason != entry.reason:
            entry.reason = reason
            entry.save(update_fields=["reason"])
        return entry
