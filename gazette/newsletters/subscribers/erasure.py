"""Erasing one subscriber on request (GDPR article 17): `gazette newsletter erase EMAIL`, and
the Erase button in the admin. Both call ``erase_subscriber``."""

from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from wagtail.log_actions import log
from wagtail.models import ModelLogEntry

from ..models import BounceEvent, ErasedAddress, Subscriber, Suppression, normalise_email

LOG_ACTION = "gazette_newsletters.erase"


@dataclass
class Erasure:
    found: bool
    subscriptions: int = 0
    deliveries: int = 0
    kept: str = ""  # the reason an ErasedAddress was kept for ("" if none)

    def __str__(self) -> str:
        if not self.found:
            return "Nothing is stored under this address; nothing was erased."
        return (
            f"Erased: the subscriber, {self.subscriptions} subscriptions and "
            f"{self.deliveries} delivery records. Kept: a keyed hash of the address "
            f"({ErasedAddress.Reason(self.kept).label})."
        )


def _kept_reason(subscriber: Subscriber | None, suppression: Suppression | None) -> str:
    Reason = ErasedAddress.Reason
    if suppression is not None:
        return {
            Suppression.Reason.HARD_BOUNCE: Reason.BOUNCED,
            Suppression.Reason.COMPLAINT: Reason.COMPLAINED,
        }.get(suppression.reason, Reason.SUPPRESSED)
    if subscriber is not None and subscriber.status == Subscriber.Status.BOUNCED:
        return Reason.BOUNCED
    if subscriber is not None and subscriber.status == Subscriber.Status.COMPLAINED:
        return Reason.COMPLAINED
    return Reason.REQUEST


def _label(instance) -> str:
    return f"{instance._meta.verbose_name} {instance.pk}"


@transaction.atomic
def erase_subscriber(email: str, *, user=None, by: str = "") -> Erasure:
    """Delete what we hold about the address: the subscriber with their name and language,
    their subscriptions with the consent records, and their delivery records (which name
    the address through the subscriber); a plain-text suppression of the address and the
    bounce and complaint reports about it too (they hold the address and the server's
    answer, which often repeats it).
    Raises ``ValidationError`` if ``email`` is not an address.

    What is kept, and why: an ``ErasedAddress``, a keyed hash of the address and a reason,
    never the address. Without it, the next import of an old list from another system
    would subscribe the person again, although they asked us to stop and forget them; and
    an address that bounced or complained would be mailed again by the first stranger to
    type it into the signup form. The hash recognises the address when it comes back and
    tells nothing to someone holding only the database. The person may still sign up
    again by themselves (unless the address bounced or complained): the double opt-in is
    their fresh consent.

    Who erased whom stays in the audit log as "subscriber <id>", without the address
    (``user`` from the admin, ``by`` from the command line). A message of this subscriber
    already handed to the mail server during a send cannot be called back.
    """
    address = normalise_email(email)
    subscriber = Subscriber.objects.select_for_update().filter(email=address).first()
    suppression = Suppression.objects.filter(email=address).first()
    reports = BounceEvent.objects.filter(email=address)
    if subscriber is None and suppression is None and not reports.exists():
        return Erasure(found=False)
    result = Erasure(found=True, kept=_kept_reason(subscriber, suppression))
    ErasedAddress.remember(address, reason=result.kept)
    for instance in (subscriber, suppression):
        if instance is not None:  # earlier log entries are labelled with the address
            ModelLogEntry.objects.filter(
                content_type=ContentType.objects.get_for_model(instance),
                object_id=str(instance.pk),
            ).update(label=_label(instance))
    if subscriber is not None:
        result.subscriptions = subscriber.subscriptions.count()
        result.deliveries = subscriber.deliveries.count()
    data = {"by": by, "subscriptions": result.subscriptions, "deliveries": result.deliveries}
    logged = subscriber or suppression
    if logged is not None:
        log(logged, LOG_ACTION, user=user, title=_label(logged), data=data, deleted=True)
    if subscriber is not None:
        subscriber.delete()  # its subscriptions and deliveries go with it (CASCADE)
    if suppression is not None:
        suppression.delete()
    reports.delete()
    return result
