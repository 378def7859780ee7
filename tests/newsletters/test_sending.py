"""The delivery engine against a real SMTP server on loopback: every confirmed subscriber
once, retries after a 4xx, suppression after a 5xx, unsubscribes honoured between batches."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from gazette.newsletters.models import Delivery, Issue, Subscriber, Subscription, Suppression
from gazette.newsletters.sending import Sender, SendOptions, prepare, progress, send_issue
from gazette.newsletters.transports import SMTPTransport, smtp_transport

from .conftest import make_issue, make_newsletter, make_subscribers

NOW = {"retry_base": timedelta(0), "idle_wait": 0.01}


def run(issue, sink, **options):
    with SMTPTransport(host="127.0.0.1", port=sink.port, connections=4) as transport:
        Sender(issue, transport, SendOptions(**{**NOW, **options})).run()


@pytest.fixture
def newsletter(db):
    return make_newsletter()


def test_every_confirmed_subscriber_once(newsletter, sink):
    confirmed = make_subscribers(newsletter, 40)
    make_subscribers(newsletter, 3, status=Subscription.Status.PENDING, prefix="pending")
    make_subscribers(newsletter, 2, status=Subscription.Status.UNSUBSCRIBED, prefix="gone")
    Suppression.add(confirmed[0].email, reason=Suppression.Reason.COMPLAINT)
    other = make_newsletter(slug="breaking", name="Breaking")
    make_subscribers(other, 5, prefix="breaking")
    issue = make_issue(newsletter)

    assert prepare(issue) == 39
    assert prepare(issue) == 39  # again after a crash: nothing added twice
    run(issue, sink, batch_size=7, chunk_size=3)

    expected = {subscriber.email for subscriber in confirmed[1:]}
    assert sink.copies() == dict.fromkeys(expected, 1)
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT and issue.finished_at
    state = progress(issue)
    assert (state.total, state.sent, state.waiting, state.uncertain) == (39, 39, 0, 0)
    assert not Delivery.objects.filter(issue=issue).exclude(lease_token=None).exists()
    assert str(state).startswith("39/39 sent")


def test_message_ids_differ_and_stay_with_the_delivery(newsletter, sink):
    make_subscribers(newsletter, 5)
    issue = make_issue(newsletter)
    prepare(issue)
    run(issue, sink)
    ids = {item.parsed()["Message-ID"] for item in sink.received}
    assert ids == set(Delivery.objects.values_list("message_id", flat=True))
    assert len(ids) == 5


def test_temporary_failure_is_retried(newsletter, sink):
    subscribers = make_subscribers(newsletter, 3)
    slow = subscribers[1].email
    sink.answer(slow, "451 4.7.1 Greylisted, try again later", "421 4.7.0 Too many connections")
    issue = make_issue(newsletter)
    prepare(issue)
    run(issue, sink)

    assert sink.copies() == {subscriber.email: 1 for subscriber in subscribers}
    delivery = Delivery.objects.get(issue=issue, subscriber=subscribers[1])
    assert delivery.status == Delivery.Status.SENT
    assert delivery.attempts == 3
    assert not delivery.uncertain
    assert not Suppression.objects.exists()


def test_temporary_failures_give_up_after_the_last_attempt(newsletter, sink):
    (subscriber,) = make_subscribers(newsletter, 1)
    sink.answer(subscriber.email, *["452 4.2.2 Mailbox full"] * 5)
    issue = make_issue(newsletter)
    prepare(issue)
    run(issue, sink, max_attempts=3)

    delivery = Delivery.objects.get(issue=issue)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.FAILED, 3)
    assert delivery.last_response.startswith("452")
    assert sink.count() == 0
    assert progress(issue).failed == 1


def test_permanent_failure_bounces_and_suppresses(newsletter, sink):
    subscribers = make_subscribers(newsletter, 3)
    gone = subscribers[2]
    sink.answer(gone.email, "550 5.1.1 No such user")
    issue = make_issue(newsletter)
    prepare(issue)
    run(issue, sink)

    delivery = Delivery.objects.get(issue=issue, subscriber=gone)
    assert delivery.status == Delivery.Status.BOUNCED
    assert delivery.attempts == 1
    assert delivery.last_response.startswith("550 5.1.1")
    assert Suppression.objects.get(email=gone.email).reason == Suppression.Reason.HARD_BOUNCE
    gone.refresh_from_db()
    assert gone.status == Subscriber.Status.BOUNCED
    assert progress(issue).bounced == 1
    # The next issue does not go to the address at all.
    assert prepare(make_issue(newsletter, subject="Next week")) == 2


def test_unsubscribe_and_suppression_take_effect_before_the_next_batch(newsletter, sink):
    subscribers = make_subscribers(newsletter, 12)
    leaving, bouncing = subscribers[-1], subscribers[-2]
    issue = make_issue(newsletter)
    prepare(issue)
    batches = []

    def between_batches():
        batches.append(sink.count())
        if len(batches) == 1:
            Subscription.objects.get(subscriber=leaving, newsletter=newsletter).unsubscribe()
            Suppression.add(bouncing.email, reason=Suppression.Reason.COMPLAINT)

    with SMTPTransport(host="127.0.0.1", port=sink.port, connections=2) as transport:
        Sender(
            issue, transport, SendOptions(batch_size=4, **NOW), on_progress=between_batches
        ).run()

    assert batches[0] == 4
    assert set(sink.copies()) == {subscriber.email for subscriber in subscribers[:-2]}
    skipped = Delivery.objects.filter(issue=issue, status=Delivery.Status.SKIPPED)
    assert dict(skipped.values_list("subscriber__email", "last_response")) == {
        leaving.email: "unsubscribed",
        bouncing.email: "suppressed",
    }
    assert progress(issue).skipped == 2


def test_a_paused_issue_stops_after_the_batch(newsletter, sink):
    make_subscribers(newsletter, 10)
    issue = make_issue(newsletter)
    prepare(issue)

    def pause():
        Issue.objects.get(pk=issue.pk).pause()

    run_options = SendOptions(batch_size=3, **NOW)
    with SMTPTransport(host="127.0.0.1", port=sink.port) as transport:
        Sender(issue, transport, run_options, on_progress=pause).run()
    assert sink.count() == 3
    assert progress(issue).waiting == 7

    out = StringIO()
    call_command("newsletter", "resume", str(issue.pk), stdout=out)
    assert "Sending" in out.getvalue()
    with pytest.raises(CommandError, match="is sending"):
        call_command("newsletter", "resume", str(issue.pk))
    run(issue, sink)
    assert len(sink.copies()) == 10 and sink.count() == 10


def test_send_issue_prepares_and_sends(newsletter, sink, settings):
    make_subscribers(newsletter, 4)
    issue = make_issue(newsletter)
    settings.GAZETTE_NEWSLETTER_SMTP_URL = sink.url
    result = send_issue(issue)
    assert (result.sent, result.total, result.status) == (4, 4, Issue.Status.SENT)


def test_the_task_sends_an_issue(newsletter, sink, settings):
    from gazette.newsletters.sending import send_issue_task

    make_subscribers(newsletter, 2)
    issue = make_issue(newsletter)
    settings.GAZETTE_NEWSLETTER_SMTP_URL = sink.url
    result = send_issue_task.enqueue(issue.pk)
    assert result.return_value.startswith("2/2 sent")


def test_an_unreachable_server_defers_without_uncertainty(newsletter):
    make_subscribers(newsletter, 2)
    issue = make_issue(newsletter)
    prepare(issue)
    transport = smtp_transport("smtp://127.0.0.1:9", connections=1)
    with transport:
        # Stop once every delivery has been tried once: the server never answers.
        Sender(
            issue,
            transport,
            SendOptions(retry_base=timedelta(hours=1)),
            should_stop=lambda: not Delivery.objects.filter(attempts=0).exists(),
        ).run()
    deliveries = Delivery.objects.filter(issue=issue)
    assert {d.status for d in deliveries} == {Delivery.Status.FAILED_TEMPORARY}
    assert not any(d.uncertain for d in deliveries)
    assert all(d.last_response.startswith("connect") for d in deliveries)


def test_a_malformed_address_fails_alone(newsletter, sink):
    subscribers = make_subscribers(newsletter, 3)
    # Written past the model's validation, as an old import might have done.
    Subscriber.objects.filter(pk=subscribers[1].pk).update(email="broken\r\nBcc: x@example.net")
    issue = make_issue(newsletter)
    prepare(issue)
    run(issue, sink)

    assert set(sink.copies()) == {subscribers[0].email, subscribers[2].email}
    broken = Delivery.objects.get(issue=issue, subscriber=subscribers[1])
    assert broken.status == Delivery.Status.FAILED
    assert broken.last_response.startswith("invalid address")
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENT


def test_status_command(newsletter, sink):
    make_subscribers(newsletter, 3)
    issue = make_issue(newsletter, subject="Friday issue")
    prepare(issue)
    run(issue, sink)
    out = StringIO()
    call_command("newsletter", "status", str(issue.pk), stdout=out)
    assert "Friday issue (The Lantern Weekly): Sent" in out.getvalue()
    assert "3/3 sent" in out.getvalue()
