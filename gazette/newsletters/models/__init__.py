"""The newsletter models, split by concern and re-exported here:
``lists`` (newsletters, subscribers, consent, suppressions), ``issues`` (what is sent),
``deliveries`` (one record per issue and subscriber, which the sending engine works through),
``bounces`` (bounce and complaint reports, complaint alerts) and ``erasure`` (the keyed
hashes left of subscribers erased on request)."""

from .bounces import BounceEvent, ComplaintAlert
from .deliveries import Delivery, DeliveryQuerySet
from .erasure import ErasedAddress
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
    "BounceEvent",
    "ComplaintAlert",
    "Delivery",
    "DeliveryQuerySet",
    "ErasedAddress",
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
