"""Scheduled articles go live by themselves: the worker's clock publishes them when due."""

import os
import signal
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django.utils import timezone

from gazette.newsroom.models import ArticlePage
from gazette.publishing.scheduling import publish_due_pages, publish_due_pages_task
from tests.factories import make_article
from tests.workers import run_gazette, start_gazette


def schedule(newsroom, title: str, *, seconds_ahead: float) -> ArticlePage:
    """What an editor does in the admin: write a draft, set "go live" ahead, press Publish."""
    article = make_article(
        newsroom["news"],
        title,
        authors=[newsroom["authors"]["anna"]],
        tags=["Courts"],
        publish=False,
    )
    article.go_live_at = timezone.now() + timedelta(seconds=seconds_ahead)
    article.save_revision().publish()
    article.refresh_from_db()
    assert not article.live
    return article


def visible_everywhere(title: str) -> dict[str, bool]:
    return {
        path: title in Client().get(path).content.decode()
        for path in ["/", "/news/", "/tags/courts/"]
    }


@pytest.mark.django_db
def test_due_article_is_published_and_appears_on_home_section_and_tag(newsroom):
    article = schedule(newsroom, "Verdict expected at noon", seconds_ahead=60)
    assert visible_everywhere("Verdict expected at noon") == dict.fromkeys(
        ["/", "/news/", "/tags/courts/"], False
    )
    assert publish_due_pages()  # not due yet: nothing changes
    article.refresh_from_db()
    assert not article.live

    with time_machine.travel(timedelta(seconds=61)):  # the minute passes
        assert publish_due_pages()
    article.refresh_from_db()
    assert article.live
    assert visible_everywhere("Verdict expected at noon") == dict.fromkeys(
        ["/", "/news/", "/tags/courts/"], True
    )


def test_publishing_waits_while_another_worker_holds_the_lock(committed_newsroom):
    newsroom = committed_newsroom
    from django.db import connection

    from gazette.publishing.locks import exclusive

    article = schedule(newsroom, "Held back", seconds_ahead=1)
    held, release = threading.Event(), threading.Event()

    def other_worker():  # its own thread, so its own database session
        try:
            with exclusive("gazette.publish_due_pages") as acquired:
                assert acquired
                held.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    try:
        assert held.wait(30)
        with time_machine.travel(timedelta(seconds=2)):
            assert publish_due_pages() is False
        article.refresh_from_db()
        assert not article.live
    finally:
        release.set()
        thread.join()
    with time_machine.travel(timedelta(seconds=2)):
        assert publish_due_pages() is True
    article.refresh_from_db()
    assert article.live


def test_running_worker_publishes_a_scheduled_article_by_itself(committed_newsroom):
    article = schedule(committed_newsroom, "Polls close in Oskel", seconds_ahead=3)
    worker = start_gazette("worker", GAZETTE_SCHEDULE_INTERVAL="1")
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            article.refresh_from_db()
            if article.live:
                break
            time.sleep(0.5)
        assert article.live, "the worker did not publish the article"
        assert all(visible_everywhere("Polls close in Oskel").values())
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output


def test_database_queue_runs_tasks_in_a_separate_worker(committed_newsroom):
    article = schedule(committed_newsroom, "Queued in the database", seconds_ahead=1)
    time.sleep(1.5)
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        result = publish_due_pages_task.enqueue()
        finished = run_gazette("worker", "--burst")
        assert finished.returncode == 0, finished.stdout + finished.stderr
        result.refresh()
        assert result.status == "SUCCESSFUL", (result.errors, finished.stdout, finished.stderr)
        assert result.return_value is True
    article.refresh_from_db()
    assert article.live


def test_redis_queue_runs_tasks_in_a_separate_worker(committed_newsroom, settings):
    redis_url = os.environ.get("GAZETTE_TEST_REDIS_URL")
    if not redis_url:
        if os.environ.get("GAZETTE_REQUIRE_REDIS"):
            pytest.fail("GAZETTE_REQUIRE_REDIS is set but GAZETTE_TEST_REDIS_URL is not")
        pytest.skip("set GAZETTE_TEST_REDIS_URL to test the Redis queue")
    import django_rq

    django_rq.get_queue("default").empty()
    article = schedule(committed_newsroom, "Queued in Redis", seconds_ahead=1)
    time.sleep(1.5)
    with override_settings(
        TASKS={"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    ):
        result = publish_due_pages_task.enqueue()
        assert result.status == "READY"
        # A worker configured only by REDIS_URL, as on another machine.
        finished = run_gazette("worker", "--burst", REDIS_URL=redis_url)
        assert finished.returncode == 0, finished.stdout + finished.stderr
        result.refresh()
        assert result.status == "SUCCESSFUL", (result.errors, finished.stdout, finished.stderr)
        assert result.return_value is True
    article.refresh_from_db()
    assert article.live
