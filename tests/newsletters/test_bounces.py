"""Bounces and complaints: what each does to an address, the soft bounce score, complaint
rates that warn editors or pause a send, and VERP bounces read from a mailbox with
flufl.bounce (DSN files in RFC 3464 format in bounces/)."""

import mailbox
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.management import CommandError, call_command

from gazette.newsletters import bounces
from gazette.newsletters.models import (
    BounceEvent,
    ComplaintAlert,
    Delivery,
    Issue,
    Subscriber,
    Subscription,
    Suppression,
)
from gazette.newsletters.sending import Sender, SendOptions, prepare, progress
from gazette.newsletters.transports import SMTPTransport

from .conftest import make_issue, make_newsletter, make_subscribers

FIXTURES = Path(__file__).parent / "bounces"
NOW = {"retry_base": timedelta(0), "idle_wait": 0.01}
Kind = BounceEvent.Kind


@pytest.fixture
def newsletter(db):
    return make_newsletter()


def sent_issue(newsletter, count: int, **fields) -> Issue:
    """An issue sending, with ``count`` deliveries accepted by the server."""
    make_subscribers(newsletter, count, prefix=fields.pop("prefix", "reader"))
    issue = make_issue(newsletter, **fields)
    prepare(issue)
    Delivery.objects.filter(issue=issue).update(status=Delivery.Status.SENT)
    return issue


def record(kind, delivery=None, email="", event_id="e1", source="postmark"):
    return bounces.record_event(
        source=source,
        event_id=event_id,
        kind=kind,
        email=email,
        delivery_id=delivery.pk if delivery else None,
        detail="test",
    )


def test_a_hard_bounce_suppresses_the_address(newsletter):
    issue = sent_issue(newsletter, 2)
    delivery = Delivery.objects.filter(issue=issue).first()

    event = record(Kind.HARD, delivery)

    assert (event.email, event.delivery) == (delivery.subscriber.email, delivery)
    assert Suppression.objects.get().reason == Suppression.Reason.HARD_BOUNCE
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED
    assert Subscriber.objects.get(pk=delivery.subscriber_id).status == "bounced"
    # The next issue leaves the address out.
    assert prepare(make_issue(newsletter, subject="Next")) == 1
    # The same report again changes nothing.
    assert record(Kind.HARD, delivery) is None
    assert BounceEvent.objects.count() == 1


def test_soft_bounces_suppress_after_repeated_failures(newsletter, settings):
    settings.GAZETTE_NEWSLETTER_SOFT_BOUNCE_LIMIT = 2.5
    settings.GAZETTE_NEWSLETTER_SOFT_BOUNCE_HALF_LIFE = 30
    (subscriber,) = make_subscribers(newsletter, 1)
    email = subscriber.email
    start = datetime(2026, 12, 4, 8, tzinfo=UTC)

    with time_machine.travel(start, tick=False):
        record(Kind.SOFT, email=email, event_id="w1-a")
        record(Kind.SOFT, email=email, event_id="w1-b")  # the same day: one problem
        assert bounces.soft_bounce_score(email) == pytest.approx(1.0)
    with time_machine.travel(start + timedelta(days=7), tick=False):
        record(Kind.SOFT, email=email, event_id="w2")
        assert not Suppression.objects.exists()
    with time_machine.travel(start + timedelta(days=14), tick=False):
        record(Kind.SOFT, email=email, event_id="w3")
        # 1 + 2^(-7/30) + 2^(-14/30): three weekly issues in a row
        assert bounces.soft_bounce_score(email) == pytest.approx(2.57, abs=0.01)

    suppression = Suppression.objects.get()
    assert suppression.reason == Suppression.Reason.SOFT_BOUNCE
    assert "score 2.57" in suppression.detail
    assert Subscriber.objects.get().status == Subscriber.Status.BOUNCED


def test_soft_bounces_far_apart_are_forgotten(newsletter, settings):
    settings.GAZETTE_NEWSLETTER_SOFT_BOUNCE_LIMIT = 2.5
    (subscriber,) = make_subscribers(newsletter, 1)
    start = datetime(2026, 1, 2, 8, tzinfo=UTC)
    for month in range(5):
        with time_machine.travel(start + timedelta(days=60 * month), tick=False):
            record(Kind.SOFT, email=subscriber.email, event_id=f"m{month}")
    assert BounceEvent.objects.count() == 5
    assert not Suppression.objects.exists()


def test_a_complaint_unsubscribes_from_everything_and_suppresses(newsletter):
    breaking = make_newsletter(slug="breaking", name="Breaking")
    issue = sent_issue(newsletter, 3)
    delivery = Delivery.objects.filter(issue=issue).first()
    subscriber = delivery.subscriber
    Subscription.objects.create(subscriber=subscriber, newsletter=breaking, status="confirmed")

    record(Kind.COMPLAINT, delivery)

    statuses = set(subscriber.subscriptions.values_list("status", flat=True))
    assert statuses == {Subscription.Status.UNSUBSCRIBED}
    assert all(s.unsubscribed_at for s in subscriber.subscriptions.all())
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.COMPLAINED
    # Only the others are left for the next issue.
    assert prepare(make_issue(newsletter, subject="Next")) == 2


@pytest.fixture
def staff(db):
    editors = Group.objects.get(name="Newsletter editors")  # the role (accounts/roles.py)
    editor = User.objects.create_user("editor", "editor@lantern.example")
    editor.groups.add(editors)
    User.objects.create_superuser("admin", "admin@lantern.example")
    User.objects.create_user("reporter", "reporter@lantern.example")  # no permission
    return ["admin@lantern.example", "editor@lantern.example"]


def test_a_complaint_rate_over_the_warning_line_tells_the_editors(
    newsletter, settings, staff, django_capture_on_commit_callbacks
):
    settings.GAZETTE_NEWSLETTER_COMPLAINT_MIN_DELIVERED = 1000
    issue = sent_issue(newsletter, 1000)
    Issue.objects.filter(pk=issue.pk).update(status=Issue.Status.SENDING)
    deliveries = list(Delivery.objects.filter(issue=issue)[:3])

    with django_capture_on_commit_callbacks(execute=True):
        record(Kind.COMPLAINT, deliveries[0], event_id="c1")
    assert not ComplaintAlert.objects.exists() and not mail.outbox  # 0.1%: not over

    with django_capture_on_commit_callbacks(execute=True):
        record(Kind.COMPLAINT, deliveries[1], event_id="c2")
    alert = ComplaintAlert.objects.get()
    assert (alert.level, alert.complaints, alert.delivered) == ("warning", 2, 1000)
    (message,) = mail.outbox
    assert sorted(message.to) == staff
    assert message.subject == f"“{issue.subject}” draws spam complaints"
    assert "2 complaints for 1000 delivered messages, a rate of 0.20%" in message.body
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENDING

    # Told once: another complaint at the same level sends nothing more.
    with django_capture_on_commit_callbacks(execute=True):
        record(Kind.COMPLAINT, deliveries[2], event_id="c3")
    assert len(mail.outbox) == 1


def send_in_batches_of_ten(issue, sink, between_batches) -> None:
    with SMTPTransport(host="127.0.0.1", port=sink.port) as transport:
        options = SendOptions(batch_size=10, **NOW)
        Sender(issue, transport, options, on_progress=between_batches).run()


def test_a_complaint_rate_over_the_pause_line_pauses_a_running_send(
    newsletter, settings, sink, staff, django_capture_on_commit_callbacks
):
    settings.GAZETTE_NEWSLETTER_COMPLAINT_MIN_DELIVERED = 10
    make_subscribers(newsletter, 30)
    issue = make_issue(newsletter)
    prepare(issue)
    batches = []

    def complain_after_the_first_batch():
        batches.append(sink.count())
        if len(batches) == 1:
            first = Delivery.objects.filter(issue=issue, status="sent").first()
            record(Kind.COMPLAINT, first, event_id="ses-complaint-1", source="amazon_ses")

    with django_capture_on_commit_callbacks(execute=True):
        send_in_batches_of_ten(issue, sink, complain_after_the_first_batch)

    assert sink.count() == 10
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PAUSED
    assert progress(issue).waiting == 20
    assert ComplaintAlert.objects.get().level == ComplaintAlert.Level.PAUSED
    (message,) = mail.outbox
    assert message.subject.startswith("Sending of “")
    assert f"gazette newsletter resume {issue.pk}" in message.body


def test_complaints_are_judged_again_as_more_messages_are_delivered(newsletter, settings, sink):
    settings.GAZETTE_NEWSLETTER_COMPLAINT_MIN_DELIVERED = 20
    make_subscribers(newsletter, 40)
    issue = make_issue(newsletter)
    prepare(issue)
    batches = []

    def complain_early():
        batches.append(sink.count())
        if len(batches) == 1:  # 10 delivered: too few to judge a rate by
            record(Kind.COMPLAINT, Delivery.objects.filter(status="sent").first())
            assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENDING

    send_in_batches_of_ten(issue, sink, complain_early)

    # After the second batch 1 in 20 is a 5% rate: the engine's own check paused the send.
    assert sink.count() == 20
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.PAUSED


# VERP bounces from a mailbox


def bounce_text(name: str, *, received, message_id: str) -> bytes:
    text = (FIXTURES / name).read_text()
    text = text.replace("{verp}", received.mail_from).replace("{recipient}", received.recipient)
    return text.replace("{message_id}", message_id).replace("\n", "\r\n").encode()


@pytest.fixture
def sent(newsletter, sink):
    """An issue sent over SMTP: what the sink received, by recipient."""
    make_subscribers(newsletter, 4)
    issue = make_issue(newsletter)
    prepare(issue)
    with SMTPTransport(host="127.0.0.1", port=sink.port) as transport:
        Sender(issue, transport, SendOptions(**NOW)).run()
    return {item.recipient: item for item in sink.received}


def bounces_command(path) -> str:
    out = StringIO()
    call_command("newsletter", "bounces", "--mailbox", str(path), stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("kind", ["maildir", "mbox"])
def test_a_dsn_in_the_mailbox_bounces_the_subscriber_its_verp_address_names(sent, tmp_path, kind):
    victim = "reader2@example.net"
    received = sent[victim]
    assert received.mail_from.startswith("bounces+")
    delivery = Delivery.objects.get(subscriber__email=victim)
    dsn = bounce_text("dsn_failed.eml", received=received, message_id=delivery.message_id)
    path = tmp_path / kind
    box = mailbox.Maildir(path) if kind == "maildir" else mailbox.mbox(path)
    box.add(dsn)
    box.flush()

    out = bounces_command(path)

    assert "1 hard bounces, 0 soft bounces, 0 recorded before; 0 not bounces" in out
    event = BounceEvent.objects.get()
    assert (event.source, event.kind, event.delivery) == ("mailbox", "hard", delivery)
    assert event.email == victim
    assert event.event_id == "<20261204080112.4QxZ1k0Lm2z9sB@mx.example.net>"
    assert event.detail.startswith("5.1.1 smtp; 550 5.1.1")
    assert list(Suppression.objects.values_list("email", flat=True)) == [victim]
    assert len(type(box)(path)) == 0  # processed mail is gone

    # The same report delivered again: recognised, removed, nothing changes.
    box = mailbox.Maildir(path) if kind == "maildir" else mailbox.mbox(path)
    box.add(dsn)
    box.flush()
    out = bounces_command(path)
    assert "0 hard bounces, 0 soft bounces, 1 recorded before" in out
    assert BounceEvent.objects.count() == 1 and Suppression.objects.count() == 1
    assert len(type(box)(path)) == 0


def test_a_delay_notice_is_a_soft_bounce_and_other_mail_is_left_alone(sent, tmp_path):
    delayed = sent["reader1@example.net"]
    other = sent["reader3@example.net"]
    box = mailbox.Maildir(tmp_path / "bounces")
    box.add(bounce_text("dsn_delayed.eml", received=delayed, message_id="<x@y>"))
    box.add(bounce_text("auto_reply.eml", received=other, message_id="<x@y>"))
    # A DSN naming a real subscriber, but sent to a forged VERP address.
    forged = sent["reader0@example.net"]
    token = forged.mail_from.split("+")[1].split("@")[0]
    wrong = forged.mail_from.replace(token, token[:-1] + ("a" if token[-1] != "a" else "b"))
    forgery = bounce_text("dsn_failed.eml", received=forged, message_id="<x@y>")
    box.add(forgery.replace(forged.mail_from.encode(), wrong.encode()))

    out = bounces_command(tmp_path / "bounces")

    assert "0 hard bounces, 1 soft bounces, 0 recorded before; 2 not bounces" in out
    event = BounceEvent.objects.get()
    assert (event.kind, event.email) == ("soft", "reader1@example.net")
    assert event.detail == "4.2.2 SMTP; 452 4.2.2 Mailbox full"
    assert not Suppression.objects.exists()
    left = mailbox.Maildir(tmp_path / "bounces")
    assert len(left) == 2 and all("S" in m.get_flags() for m in left)

    # A second run passes over what it left.
    assert "0 hard bounces, 0 soft bounces, 0 recorded before; 0 not" in bounces_command(
        tmp_path / "bounces"
    )


def test_the_bounces_command_says_what_is_wrong_with_the_mailbox(db, tmp_path, settings):
    settings.GAZETTE_NEWSLETTER_BOUNCE_MAILBOX = ""
    with pytest.raises(CommandError, match="set GAZETTE_NEWSLETTER_BOUNCE_MAILBOX"):
        call_command("newsletter", "bounces")
    with pytest.raises(CommandError, match="There is no mailbox at"):
        bounces_command(tmp_path / "missing")
    (tmp_path / "plain").mkdir()
    with pytest.raises(CommandError, match="no cur/ and new/"):
        bounces_command(tmp_path / "plain")


def test_a_refusal_while_sending_is_recorded_like_a_reported_bounce(newsletter, sink):
    subscribers = make_subscribers(newsletter, 2)
    sink.answer(subscribers[0].email, "550 5.1.1 No such user")
    issue = make_issue(newsletter)
    prepare(issue)
    with SMTPTransport(host="127.0.0.1", port=sink.port) as transport:
        Sender(issue, transport, SendOptions(**NOW)).run()
    event = BounceEvent.objects.get()
    delivery = Delivery.objects.get(subscriber=subscribers[0])
    assert (event.source, event.kind, event.delivery) == ("sending", "hard", delivery)
    assert event.detail.startswith("550 5.1.1")
