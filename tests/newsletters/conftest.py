import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from wagtail.models import Site

from gazette.newsletters.dkim import DkimKey
from gazette.newsletters.models import (
    Issue,
    IssueArticle,
    Newsletter,
    Subscriber,
    Subscription,
)

from .sink import Sink


def make_newsletter(**fields) -> Newsletter:
    defaults = {
        "site": Site.objects.get(is_default_site=True),
        "name": "The Lantern Weekly",
        "slug": "weekly",
        "from_name": "The Lantern",
        "from_address": "newsletter@lantern.example",
        "list_id_domain": "lists.lantern.example",
    }
    return Newsletter.objects.create(**{**defaults, **fields})


def make_subscribers(
    newsletter: Newsletter,
    count: int,
    *,
    status: str = Subscription.Status.CONFIRMED,
    prefix: str = "reader",
) -> list[Subscriber]:
    subscribers = Subscriber.objects.bulk_create(
        [Subscriber(email=f"{prefix}{number}@example.net") for number in range(count)]
    )
    Subscription.objects.bulk_create(
        [
            Subscription(subscriber=subscriber, newsletter=newsletter, status=status)
            for subscriber in subscribers
        ]
    )
    return subscribers


def make_issue(newsletter: Newsletter, articles=(), **fields) -> Issue:
    defaults = {
        "subject": "This week: the media law, explained",
        "preheader": "What the Assembly decided, and what it means for you",
        "intro": "Dear reader,\nthis was a week of votes.",
    }
    issue = Issue.objects.create(newsletter=newsletter, **{**defaults, **fields})
    IssueArticle.objects.bulk_create(
        [
            IssueArticle(issue=issue, article=article, sort_order=number)
            for number, article in enumerate(articles)
        ]
    )
    return issue


@pytest.fixture
def weekly(db) -> Newsletter:
    return make_newsletter()


@pytest.fixture
def sink():
    server = Sink().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dkim_keys() -> list[DkimKey]:
    return [
        DkimKey(
            domain="lantern.example",
            selector="rsa2026",
            private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ),
        DkimKey(
            domain="lantern.example",
            selector="ed2026",
            private_key=ed25519.Ed25519PrivateKey.generate(),
        ),
    ]


@pytest.fixture
def dns(dkim_keys):
    """A DNS lookup for dkimpy that knows our keys' TXT records, and nothing else."""
    records = {f"{key.dns_name}.": key.dns_record().encode() for key in dkim_keys}

    def lookup(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        return records.get(name if name.endswith(".") else name + ".")

    return lookup
