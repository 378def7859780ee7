"""Erasing a subscriber on request: nothing in the database names the address afterwards,
except as a keyed hash that keeps imports (and, after a bounce or complaint, signups) from
bringing it back; the audit log says who erased subscriber N. Also what the person may ask
to see first: `gazette newsletter export --email`."""

import json
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import TestCase
from wagtail.models import ModelLogEntry

from gazette.newsletters import bounces, signup
from gazette.newsletters.models import (
    Delivery,
    ErasedAddress,
    Subscriber,
    Subscription,
    Suppression,
)
from gazette.newsletters.sending import Sender, SendOptions, prepare
from gazette.newsletters.subscribers import erase_subscriber, import_csv
from gazette.newsletters.transports import SMTPTransport

from .conftest import make_issue, make_subscribers

pytestmark = pytest.mark.django_db

ADDRESS = "reader0@example.net"


def database_text() -> str:
    """Every table, as JSON; django_rq's dashboard is a model without a table (it is on
    INSTALLED_APPS when the tests have Redis)."""
    out = StringIO()
    exclude = ["django_rq"] if apps.is_installed("django_rq") else []
    call_command("dumpdata", stdout=out, exclude=exclude)
    return out.getvalue().lower()


def test_erasure_removes_the_address_from_every_table(weekly, newsroom, sink):
    subscribers = make_subscribers(weekly, 2)
    Subscriber.objects.filter(pk=subscribers[0].pk).update(name="Anna Petrova", language="ru")
    issue = make_issue(weekly, [newsroom["lead"]])
    prepare(issue)
    with SMTPTransport(host="127.0.0.1", port=sink.port) as transport:
        Sender(issue, transport, SendOptions()).run()
    bounces.record_event(  # one soft bounce: reported, not (yet) a suppression
        source="mailbox",
        event_id="<dsn-1@mx.example.net>",
        kind="soft",
        email=ADDRESS,
        detail=f"452 4.2.2 <{ADDRESS}>: mailbox full",
    )
    editor = get_user_model().objects.create_user("editor", "editor@lantern.example")
    assert ADDRESS in database_text()

    result = erase_subscriber(" Reader0@Example.NET ", user=editor)

    assert (result.found, result.subscriptions, result.deliveries) == (True, 1, 1)
    assert result.kept == ErasedAddress.Reason.REQUEST
    text = database_text()
    assert ADDRESS not in text and "anna petrova" not in text
    assert not Subscriber.objects.filter(pk=subscribers[0].pk).exists()
    assert not Subscription.objects.filter(subscriber_id=subscribers[0].pk).exists()
    assert not Delivery.objects.filter(subscriber_id=subscribers[0].pk).exists()
    assert Delivery.objects.filter(subscriber=subscribers[1]).count() == 1  # others untouched
    (entry,) = ModelLogEntry.objects.filter(action="gazette_newsletters.erase")
    assert entry.label == f"subscriber {subscribers[0].pk}"
    assert entry.user_id == editor.pk
    assert entry.data["deliveries"] == 1


def test_an_erased_address_is_never_imported_again(weekly, tmp_path):
    make_subscribers(weekly, 1)
    erase_subscriber(ADDRESS)
    path = tmp_path / "old-list.csv"
    path.write_text(f"email\n{ADDRESS}\nother@example.net\n")

    report = import_csv(path, newsletter=weekly, run_by="alice")

    assert [(p.line, p.reason.split(" (")[0]) for p in report.problems] == [
        (2, f"erased on {ErasedAddress.objects.get().erased_on}")
    ]
    assert not Subscriber.objects.filter(email=ADDRESS).exists()
    assert report.added == 1


def test_a_person_who_asked_may_still_sign_up_again_themselves(weekly):
    make_subscribers(weekly, 1)
    erase_subscriber(ADDRESS)
    with TestCase.captureOnCommitCallbacks(execute=True):
        signup.sign_up(email=ADDRESS, newsletters=[weekly], source="/newsletters/")
    assert Subscription.objects.get(subscriber__email=ADDRESS).status == "pending"
    assert len(mail.outbox) == 1  # the confirmation: the double opt-in is fresh consent


@pytest.mark.parametrize(
    ("before", "kept"),
    [
        ({"suppression": Suppression.Reason.HARD_BOUNCE}, ErasedAddress.Reason.BOUNCED),
        ({"suppression": Suppression.Reason.COMPLAINT}, ErasedAddress.Reason.COMPLAINED),
        ({"suppression": Suppression.Reason.MANUAL}, ErasedAddress.Reason.SUPPRESSED),
        ({"status": Subscriber.Status.BOUNCED}, ErasedAddress.Reason.BOUNCED),
        ({"status": Subscriber.Status.COMPLAINED}, ErasedAddress.Reason.COMPLAINED),
    ],
)
def test_an_address_that_bounced_or_complained_is_not_mailed_again(weekly, before, kept):
    (subscriber,) = make_subscribers(weekly, 1)
    if "suppression" in before:
        Suppression.add(ADDRESS, reason=before["suppression"], detail=f"550 {ADDRESS} unknown")
    else:
        Subscriber.objects.filter(pk=subscriber.pk).update(status=before["status"])

    assert erase_subscriber(ADDRESS).kept == kept

    assert ADDRESS not in database_text()  # the suppression named it in clear: gone too
    with TestCase.captureOnCommitCallbacks(execute=True):
        signup.sign_up(email=ADDRESS, newsletters=[weekly], source="/newsletters/")
    assert not Subscriber.objects.exists()
    assert not mail.outbox


def test_a_suppressed_address_without_a_subscriber_is_erased_too():
    Suppression.add(ADDRESS, reason=Suppression.Reason.COMPLAINT)
    result = erase_subscriber(ADDRESS)
    assert (result.found, result.kept) == (True, ErasedAddress.Reason.COMPLAINED)
    assert not Suppression.objects.exists()


def test_an_address_we_do_not_hold_erases_nothing(weekly):
    make_subscribers(weekly, 1, prefix="other")
    result = erase_subscriber(ADDRESS)
    assert not result.found
    assert "nothing was erased" in str(result)
    assert not ErasedAddress.objects.exists()
    assert Subscriber.objects.count() == 1
    with pytest.raises(ValidationError):
        erase_subscriber("not an address")


def test_erasing_during_a_send_stops_the_mail(weekly, newsroom, sink):
    subscribers = make_subscribers(weekly, 3)
    issue = make_issue(weekly, [newsroom["lead"]])
    prepare(issue)
    erase_subscriber(subscribers[1].email)
    with SMTPTransport(host="127.0.0.1", port=sink.port) as transport:
        Sender(issue, transport, SendOptions()).run()
    assert sink.to(subscribers[1].email) == []
    assert sink.count() == 2


def test_the_commands_show_then_erase(weekly):
    make_subscribers(weekly, 1)
    out = StringIO()
    call_command("newsletter", "export", "--email", ADDRESS, stdout=out)
    data = json.loads(out.getvalue())
    assert data["email"] == ADDRESS
    (subscription,) = data["subscriptions"]
    assert (subscription["newsletter"], subscription["status"]) == (
        "The Lantern Weekly",
        "confirmed",
    )
    assert subscription["consent_at"]

    with pytest.raises(CommandError, match="Add --yes"):
        call_command("newsletter", "erase", ADDRESS)  # no terminal to ask on
    assert Subscriber.objects.exists()

    out = StringIO()
    call_command("newsletter", "erase", ADDRESS, "--yes", "--by", "alice", stdout=out)
    assert out.getvalue().startswith("Erased: the subscriber, 1 subscriptions and 0 delivery")
    assert ModelLogEntry.objects.get().data["by"] == "alice (command line)"

    with pytest.raises(CommandError, match="Nothing is stored under this address"):
        call_command("newsletter", "export", "--email", "someone@example.net", stdout=out)
    with pytest.raises(CommandError, match="not an email address"):
        call_command("newsletter", "erase", "nobody", "--yes")
