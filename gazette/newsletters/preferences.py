"""The preference page, reached from every newsletter mail by a signed link: the reader sees
the site's newsletters, ticks the ones they want, or leaves them all. No account, no cookie.

The link (``tokens.preferences_signer``) names the subscriber, the newsletter the mail came
from (whose site's newsletters the page lists) and the day it was made; after
``GAZETTE_PREFERENCES_LINK_DAYS`` it is refused, because the page shows and changes every
newsletter of the reader and mails get forwarded. The unsubscribe link, which touches one
newsletter only, keeps working however old the mail.

Consent: leaving takes effect at once (a send checks subscriptions at every batch it
claims). Coming back to a newsletter the reader had confirmed before is consent given anew
by the owner of the address, recorded with the source ``preferences``. A newsletter they
never confirmed is only stored as pending, and a confirmation link is mailed: the link in a
forwarded mail must not be enough to subscribe someone to a newsroom's mail, which in some
countries is itself a danger to them.
"""

import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gazette import ratelimits

from . import signup
from .models import Newsletter, Subscriber, Subscription
from .tokens import day_number, preferences_signer

SOURCE = "preferences"


@dataclass
class Link:
    """What a genuine link names. ``expired`` links name nothing more: they are refused
    before anything about the subscriber is read."""

    expired: bool
    subscriber: Subscriber | None = None
    newsletter: Newsletter | None = None


def read_link(token: str) -> Link | None:
    """The subscriber and newsletter of a genuine, current link; an expired ``Link``; or
    None for a forged or damaged token, or one whose subscriber is gone (erased)."""
    ids = preferences_signer().read(token, 3)
    if ids is None:
        return None
    subscriber_id, newsletter_id, day = ids
    if day_number(time.time()) - day > settings.GAZETTE_PREFERENCES_LINK_DAYS:
        return Link(expired=True)
    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    newsletter = Newsletter.objects.select_related("site").filter(pk=newsletter_id).first()
    if subscriber is None or newsletter is None:
        return None
    return Link(expired=False, subscriber=subscriber, newsletter=newsletter)


@dataclass
class Choice:
    """One newsletter of the site, as the page shows it."""

    newsletter: Newsletter
    status: str | None  # of the reader's subscription; None if they never had one

    @property
    def chosen(self) -> bool:
        return self.status in (Subscription.Status.CONFIRMED, Subscription.Status.PENDING)

    @property
    def waiting(self) -> bool:
        return self.status == Subscription.Status.PENDING


def choices(subscriber: Subscriber, newsletter: Newsletter) -> list[Choice]:
    """Every newsletter of ``newsletter``'s site, with the reader's standing in each."""
    newsletters = signup.site_newsletters(newsletter.site_id)
    statuses = dict(
        Subscription.objects.filter(subscriber=subscriber, newsletter__in=newsletters).values_list(
            "newsletter_id", "status"
        )
    )
    return [Choice(item, statuses.get(item.pk)) for item in newsletters]


def refuses_mail(subscriber: Subscriber) -> bool:
    """Whether we must not start sending to this address again (it bounced, complained, or
    staff suppressed it): the reader may still leave newsletters, but join none."""
    return subscriber.status != Subscriber.Status.ACTIVE or signup.address_refused(subscriber.email)


@dataclass
class Changes:
    left: list[Newsletter] = field(default_factory=list)
    rejoined: list[Newsletter] = field(default_factory=list)  # confirmed again at once
    to_confirm: list[Newsletter] = field(default_factory=list)  # pending; a link was mailed
    refused: list[Newsletter] = field(default_factory=list)  # wanted, but see refuses_mail

    def __bool__(self) -> bool:
        return bool(self.left or self.rejoined or self.to_confirm or self.refused)


@transaction.atomic
def update(
    *, subscriber: Subscriber, newsletters: list[Newsletter], wanted: set[int], refused: bool
) -> Changes:
    """Make the reader's subscriptions to ``newsletters`` (the site's, as the page showed
    them) match ``wanted`` (ids); an empty set leaves them all. ``refused``: what
    ``refuses_mail`` said of the subscriber. Idempotent: saving the same choice twice
    changes nothing and mails nothing."""
    existing = {
        item.newsletter_id: item
        for item in Subscription.objects.select_for_update().filter(
            subscriber=subscriber, newsletter__in=newsletters
        )
    }
    now = timezone.now()
    # Pending longer than its confirmation link works: ticking it again mails a new link.
    link_expiry = now - timedelta(days=settings.GAZETTE_SIGNUP_CONFIRM_DAYS)
    consent = {
        "consent_at": now,
        "consent_source": SOURCE,
        "policy_version": settings.GAZETTE_PRIVACY_POLICY_VERSION,
    }
    changes = Changes()
    for item in newsletters:
        subscription = existing.get(item.pk)
        status = subscription.status if subscription else None
        if item.pk not in wanted:
            if status not in (None, Subscription.Status.UNSUBSCRIBED):
                subscription.unsubscribe()
                changes.left.append(item)
        elif status == Subscription.Status.CONFIRMED:
            continue
        elif status == Subscription.Status.PENDING and subscription.consent_at > link_expiry:
            continue  # the link we mailed still works
        elif refused:
            changes.refused.append(item)
        elif subscription is None:
            Subscription.objects.create(
                subscriber=subscriber,
                newsletter=item,
                status=Subscription.Status.PENDING,
                **consent,
            )
            changes.to_confirm.append(item)
        elif subscription.confirmed_at is not None:
            for name, value in consent.items():
                setattr(subscription, name, value)
            subscription.save(update_fields=list(consent))
            subscription.confirm()
            changes.rejoined.append(item)
        else:
            subscription.renew_consent(consent)
            changes.to_confirm.append(item)
    if changes.to_confirm:
        _mail_confirmation(subscriber, changes.to_confirm)
    return changes


def _mail_confirmation(subscriber: Subscriber, newsletters: list[Newsletter]) -> None:
    """One confirmation mail per set of newsletters per window: ticking and unticking a box
    over and over must not flood the reader's mailbox. The link of an earlier mail for the
    same set still confirms (it names the subscriptions, which are pending again)."""
    ids = sorted(item.pk for item in newsletters)
    if not ratelimits.first_in_window(
        "preferences-mail",
        f"{subscriber.pk}:{ids}",
        prefix="newsletters",
        window=settings.GAZETTE_SIGNUP_MAIL_WINDOW,
    ):
        return
    signup.mail_confirmation(subscriber, newsletters, subscriber.language or settings.LANGUAGE_CODE)
