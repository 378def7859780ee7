"""The newsletter models, split by concern and re-exported here:
``lists`` (newsletters, subscribers, consent, suppressions), ``issues`` (what is sent) and
``deliveries`` (one record per issue and subscriber, which the sending engine works through)."""

from .deliveries import Delivery, DeliveryQuerySet
from .issues import Issue, IssueArticle, ProposedDraft
from .lists import (
    Newsletter,
    Subscriber,
    Subscription,
    Suppression,
    is_plain_address,
    normalise_email,
)

__all__ = [
    "Delivery",
    "DeliveryQuerySet",
    "Issue",
    "IssueArticle",
    "Newsletter",
    "ProposedDraft",
    "Subscriber",
    "Subscription",
    "Suppression",
    "is_plain_address",
    "normalise_email",
]
