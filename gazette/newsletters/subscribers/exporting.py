"""Exporting subscribers: the list as CSV (`gazette newsletter export`), and everything we
hold about one subscriber, for a person who asks to see it (GDPR article 15)."""

import csv
from datetime import UTC, datetime
from typing import TextIO

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ..models import (
    Delivery,
    ErasedAddress,
    Newsletter,
    Subscriber,
    Subscription,
    Suppression,
    normalise_email,
)

COLUMNS = [
    "email",
    "name",
    "language",
    "newsletter",
    "status",
    "subscribed_at",
    "consent_source",
    "policy_version",
    "confirmed_at",
    "unsubscribed_at",
    "suppressed",
]
# Spreadsheet programs run a cell starting with one of these as a formula (OWASP, "CSV
# Injection"); an apostrophe in front makes them show it as text. Names come from other
# systems' exports, and an address may start with "-" or "=".
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def unescape_cell(value: str) -> str:
    """What ``escape_cell`` was given, so that an export imports unchanged."""
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat() if value else ""


def export_csv(out: TextIO, *, newsletter: Newsletter | None = None) -> int:
    """Write a row per subscription (of ``newsletter``, or of all) to ``out``, streaming
    from the database a chunk at a time; returns the number of rows. ``suppressed`` names
    why an address is not mailed (a suppression, or a bounce or complaint)."""
    subscriptions = Subscription.objects.all()
    if newsletter is not None:
        subscriptions = subscriptions.filter(newsletter=newsletter)
    suppression = Suppression.objects.filter(email=OuterRef("subscriber__email"))
    rows = (
        subscriptions.annotate(suppression=Subquery(suppression.values("reason")[:1]))
        .order_by("pk")
        .values_list(
            "subscriber__email",
            "subscriber__name",
            "subscriber__language",
            "newsletter__slug",
            "status",
            "consent_at",
            "consent_source",
            "policy_version",
            "confirmed_at",
            "unsubscribed_at",
            "subscriber__status",
            "suppression",
        )
    )
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    count = 0
    for row in rows.iterator(chunk_size=2000):
        *fields, consent_at, source, policy, confirmed, left, status, suppressed = row
        if not suppressed and status != Subscriber.Status.ACTIVE:
            suppressed = status
        writer.writerow(
            [escape_cell(value) for value in fields]
            + [_when(consent_at), escape_cell(source), escape_cell(policy)]
            + [_when(confirmed), _when(left), suppressed or ""]
        )
        count += 1
    return count


def subscriber_data(email: str) -> dict | None:
    """Everything stored about the address, as JSON-ready data; None if nothing is.
    Raises ``ValidationError`` for something that is not an address."""
    address = normalise_email(email)
    subscriber = Subscriber.objects.filter(email=address).first()
    suppression = Suppression.objects.filter(email=address).first()
    erased = ErasedAddress.objects.matching([address]).get(address)
    if subscriber is None and suppression is None and erased is None:
        return None
    data = {
        "email": address,
        "exported_at": _when(timezone.now()),
        "subscriber": None,
        "subscriptions": [],
        "deliveries": [],
        "suppression": None,
        "erased": None,
    }
    if subscriber is not None:
        data["subscriber"] = {
            "name": subscriber.name,
            "language": subscriber.language,
            "status": subscriber.status,
            "created_at": _when(subscriber.created_at),
        }
        for item in subscriber.subscriptions.select_related("newsletter").order_by("pk"):
            data["subscriptions"].append(
                {
                    "newsletter": item.newsletter.name,
                    "status": item.status,
                    "consent_at": _when(item.consent_at),
                    "consent_source": item.consent_source,
                    "policy_version": item.policy_version,
                    "confirmed_at": _when(item.confirmed_at),
                    "unsubscribed_at": _when(item.unsubscribed_at),
                }
            )
        deliveries = Delivery.objects.filter(subscriber=subscriber).select_related(
            "issue__newsletter"
        )
        for item in deliveries.order_by("pk"):
            data["deliveries"].append(
                {
                    "newsletter": item.issue.newsletter.name,
                    "issue": item.issue.subject,
                    "status": item.status,
                    "sent_at": _when(item.sent_at),
                    "attempts": item.attempts,
                    "last_response": item.last_response,
                }
            )
    if suppression is not None:
        data["suppression"] = {
            "reason": suppression.reason,
            "detail": suppression.detail,
            "created_at": _when(suppression.created_at),
        }
    if erased is not None:
        data["erased"] = {"reason": erased.reason, "erased_on": erased.erased_on.isoformat()}
    return data
