"""Sends run by `gazette newsletter send` processes, as in production: two workers share one
send, and a worker killed with SIGKILL mid-send is restarted without skipping anyone."""

import signal
import time

import pytest

from gazette.newsletters.models import Delivery, Issue
from gazette.newsletters.sending import prepare
from tests.workers import run_gazette, start_gazette

from .conftest import make_issue, make_newsletter, make_subscribers
from .sink import Sink

# A short lease, so that a restarted worker takes over a dead one's batch quickly.
WORKER_ENV = {"GAZETTE_NEWSLETTER_LEASE": "2", "GAZETTE_NEWSLETTER_RETRY_BASE": "0"}


@pytest.fixture
def committed(django_db_serialized_rollback, transactional_db):
    """Data other processes can see (the workers read the test database)."""


@pytest.fixture
def slow_sink():
    """A sink that takes a moment per message, so a kill lands mid-send."""
    server = Sink(delay=0.01).start()
    yield server
    server.stop()


def wait_for(condition, *, attempts: int = 3000, pause: float = 0.02) -> bool:
    for _ in range(attempts):
        if condition():
            return True
        time.sleep(pause)
    return False


def test_two_workers_share_a_send(committed):
    newsletter = make_newsletter()
    subscribers = make_subscribers(newsletter, 200)
    issue = make_issue(newsletter)
    prepare(issue)
    args = ("newsletter", "send", str(issue.pk), "--batch-size", "10")
    # One slow connection each, so that the send outlasts the second worker's start.
    sink = Sink(delay=0.05).start()
    env = {**WORKER_ENV, "GAZETTE_NEWSLETTER_SMTP_URL": sink.url}
    env["GAZETTE_NEWSLETTER_CONNECTIONS"] = "1"
    workers = [
        start_gazette(*args, GAZETTE_NEWSLETTER_EHLO_NAME=f"worker{number}.example", **env)
        for number in (1, 2)
    ]
    outputs = [worker.communicate(timeout=180)[0] for worker in workers]
    sink.stop()

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert set(sink.senders()) == {"worker1.example", "worker2.example"}
    assert sink.copies() == {subscriber.email: 1 for subscriber in subscribers}
    assert not Delivery.objects.filter(uncertain=True).exists()
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENT
    assert "200/200 sent" in outputs[0] + outputs[1]


def test_a_killed_worker_is_restarted_and_nobody_is_skipped(committed, slow_sink):
    newsletter = make_newsletter()
    subscribers = make_subscribers(newsletter, 300)
    issue = make_issue(newsletter)
    prepare(issue)
    args = ("newsletter", "send", str(issue.pk), "--batch-size", "25")
    env = {**WORKER_ENV, "GAZETTE_NEWSLETTER_SMTP_URL": slow_sink.url}

    kills = 0
    for received in (30, 110, 190):
        worker = start_gazette(*args, **env)
        wait_for(lambda: slow_sink.count() >= received or worker.poll() is not None)  # noqa: B023
        if worker.poll() is None:
            worker.send_signal(signal.SIGKILL)
            kills += 1
        worker.communicate(timeout=60)
    unfinished_after_kills = Delivery.objects.unfinished().count()
    final = run_gazette(*args, timeout=180, **env)

    assert final.returncode == 0, final.stdout + final.stderr
    assert kills == 3 and unfinished_after_kills > 0
    copies = slow_sink.copies()
    emails = {subscriber.email for subscriber in subscribers}
    assert set(copies) == emails, "someone was skipped"
    duplicates = {email for email, count in copies.items() if count > 1}
    uncertain = set(
        Delivery.objects.filter(uncertain=True).values_list("subscriber__email", flat=True)
    )
    assert duplicates <= uncertain, "a duplicate was not flagged uncertain"
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}
    assert Issue.objects.get(pk=issue.pk).status == Issue.Status.SENT
