"""How long each kind of personal data is kept, from the GAZETTE_*_RETENTION_DAYS settings,
and the purges that enforce the periods no other module does.

``kept()`` is the one description of it: the Privacy Policy page renders it as a table
(``privacy_tags.retention_table``), so changing a setting changes the page on the next
build. ``purge_daily`` is the worker clock's job; `gazette data purge` runs it by hand.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Kept:
    kind: Promise
    what: Promise
    why: Promise
    days: int | None  # None: for as long as the reason lasts (said in ``until``)
    until: Promise | str = ""

    @property
    def how_long(self) -> str:
        if self.days is None or self.days <= 0:
            return str(self.until)
        text = ngettext("%(days)d day", "%(days)d days", self.days) % {"days": self.days}
        return f"{text} {self.until}" if self.until else text


def _counter_minutes() -> int:
    """The longest window any rate-limit counter lives for, in minutes."""
    names = ["SIGNUP_WINDOW", "SIGNUP_MAIL_WINDOW", "SUPPORT_WINDOW", "DONOR_LINK_WINDOW"]
    names += ["DONOR_LINK_MAIL_WINDOW", "SEARCH_WINDOW", "POST_WINDOW"]
    seconds = max(getattr(settings, f"GAZETTE_{name}", 0) for name in names)
    return max(1, -(-seconds // 60))


def kept() -> list[Kept]:
    """What is kept about readers, subscribers and donors, in the order a reader meets it."""
    rows = [
        Kept(
            _("Page views"),
            _("How many times each page was read, per day; no address, cookie or device."),
            _("To know which articles are read."),
            settings.GAZETTE_INSIGHTS_RETENTION_DAYS,
        )
    ]
    rows += [
        Kept(
            _("Rate-limit counters"),
            _(
                "A keyed hash of your connection's address (and, for confirmation mails, of "
                "the email address), counting recent requests."
            ),
            _("To stop floods of sign-ups, searches and donations."),
            None,
            ngettext(
                "At most %(minutes)d minute, in memory only; never in the database or logs.",
                "At most %(minutes)d minutes, in memory only; never in the database or logs.",
                _counter_minutes(),
            )
            % {"minutes": _counter_minutes()},
        ),
        Kept(
            _("Unconfirmed newsletter sign-ups"),
            _("The address, the page signed up on, the time and the policy version."),
            _("To send the confirmation link."),
            settings.GAZETTE_UNCONFIRMED_RETENTION_DAYS,
            _("after the sign-up, unless it is confirmed"),
        ),
        Kept(
            _("Newsletter subscribers"),
            _(
                "The address, its newsletters, when and where consent was given, and which "
                "issues were sent to it."
            ),
            _("To send the newsletters asked for, and to show the consent if asked."),
            None,
            _("Until you ask us to erase it (unsubscribing stops the mail)."),
        ),
        Kept(
            _("Bounce and complaint reports"),
            _("What the mail server answered when a message to the address failed."),
            _("To stop mailing addresses that do not work or do not want our mail."),
            settings.GAZETTE_BOUNCE_RETENTION_DAYS,
        ),
        Kept(
            _("Erased addresses"),
            _("A keyed hash of an erased address and the reason; never the address."),
            _("So that an old list imported again does not subscribe you again."),
            settings.GAZETTE_ERASED_ADDRESS_RETENTION_DAYS,
            _("after the erasure") if settings.GAZETTE_ERASED_ADDRESS_RETENTION_DAYS > 0 else "",
        ),
        Kept(
            _("Donors"),
            _("Email and name (encrypted), the payment provider's customer id."),
            _("To run recurring gifts and send receipts."),
            settings.GAZETTE_DONOR_RETENTION_DAYS,
            _("after the last payment or change, once no gift is running"),
        ),
        Kept(
            _("Gifts and payments"),
            _("Amounts, currency and dates, linked to no person once the donor is erased."),
            _("The law requires accounts of the money received."),
            None,
            _("As long as the accounting law requires."),
        ),
    ]
    return rows


@dataclass
class Purged:
    unconfirmed: int = 0
    bounces: int = 0
    erased_addresses: int = 0
    donors: int = 0

    def __str__(self) -> str:
        return (
            f"Purged {self.unconfirmed} unconfirmed sign-up(s), {self.bounces} bounce or "
            f"complaint report(s), {self.erased_addresses} erased-address hash(es) and "
            f"{self.donors} lapsed donor(s)."
        )


@transaction.atomic
def purge_unconfirmed(*, now) -> int:
    """Delete subscriptions never confirmed within GAZETTE_UNCONFIRMED_RETENTION_DAYS of
    the consent, then the subscribers they leave with nothing (no subscription, no delivery,
    a working address): the person never confirmed they wanted anything from us."""
    from gazette.newsletters.models import Subscriber, Subscription

    before = now - timedelta(days=settings.GAZETTE_UNCONFIRMED_RETENTION_DAYS)
    stale = Subscription.objects.filter(status=Subscription.Status.PENDING, consent_at__lt=before)
    subscriber_ids = set(stale.values_list("subscriber_id", flat=True))
    count, _by_model = stale.delete()
    left_with_nothing = (
        Subscriber.objects.filter(pk__in=subscriber_ids, status=Subscriber.Status.ACTIVE)
        .annotate(n_subs=Count("subscriptions", distinct=True))
        .annotate(n_deliveries=Count("deliveries", distinct=True))
        .filter(n_subs=0, n_deliveries=0)
        .values_list("pk", flat=True)
    )
    Subscriber.objects.filter(pk__in=list(left_with_nothing)).delete()
    return count


def purge_bounces(*, now) -> int:
    """Delete bounce and complaint reports older than GAZETTE_BOUNCE_RETENTION_DAYS. The
    suppressions they caused stay: they are what keeps the address from being mailed."""
    from gazette.newsletters.models import BounceEvent

    before = now - timedelta(days=settings.GAZETTE_BOUNCE_RETENTION_DAYS)
    count, _by_model = BounceEvent.objects.filter(received_at__lt=before).delete()
    return count


def purge_erased_addresses(*, now) -> int:
    """Delete erased-address hashes older than GAZETTE_ERASED_ADDRESS_RETENTION_DAYS (0:
    kept without limit)."""
    from gazette.newsletters.models import ErasedAddress

    days = settings.GAZETTE_ERASED_ADDRESS_RETENTION_DAYS
    if days <= 0:
        return 0
    before = timezone.localdate(now) - timedelta(days=days)
    count, _by_model = ErasedAddress.objects.filter(erased_on__lt=before).delete()
    return count


def purge_expired(now=None) -> Purged:
    """Every purge, donors' included (``donor_records.purge_lapsed``)."""
    from gazette.support.donor_records import purge_lapsed

    now = now or timezone.now()
    return Purged(
        unconfirmed=purge_unconfirmed(now=now),
        bounces=purge_bounces(now=now),
        erased_addresses=purge_erased_addresses(now=now),
        donors=purge_lapsed(now),
    )


def purge_daily() -> bool:
    """The worker clock's job: the newsletter purges once a day (donors have their own
    daily job). False if they ran today already or another worker holds the lock."""
    from django.core.cache import cache

    from gazette.publishing.locks import exclusive

    key = f"privacy:purged:{timezone.now().date().isoformat()}"
    if cache.get(key):
        return False
    with exclusive("gazette.privacy.purge") as acquired:
        if not acquired:
            return False
        now = timezone.now()
        counts = (
            purge_unconfirmed(now=now),
            purge_bounces(now=now),
            purge_erased_addresses(now=now),
        )
        if any(counts):
            logger.info("Purged %s unconfirmed sign-up(s), %s report(s), %s hash(es).", *counts)
        cache.set(key, 1, timeout=86400)
        return True
