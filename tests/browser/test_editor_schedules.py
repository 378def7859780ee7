"""An editor signs in, writes an article, schedules it a minute ahead, and it goes live by
itself: the worker (a separate `gazette worker` process) publishes it when its time comes."""

import signal
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gazette.newsroom.models import ArticlePage
from tests.browser.conftest import sign_in
from tests.workers import start_gazette

pytestmark = pytest.mark.browser

HEADLINE = "Court adjourns the Varn printers' case"


def a_minute_ahead() -> str:
    """What an editor types into the go-live field: local time, to the minute."""
    when = timezone.localtime() + timedelta(minutes=1)
    if when.second > 45:  # leave time to press Publish before that minute starts
        when += timedelta(minutes=1)
    return when.strftime("%Y-%m-%d %H:%M")


def test_editor_schedules_an_article_that_then_appears_by_itself(
    committed_newsroom, browser, live_server, screenshot
):
    get_user_model().objects.create_superuser("editor", "editor@example.org", "correct horse 42")
    worker = start_gazette("worker", GAZETTE_SCHEDULE_INTERVAL="1")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "editor", "correct horse 42")

        page.goto(f"{live_server.url}/admin/pages/{committed_newsroom['news'].pk}/")
        page.get_by_role("link", name="Add child page").first.click()
        page.fill("#id_title", HEADLINE)
        page.fill(
            "#id_standfirst", "The hearing moves to next month after the defence asked for time."
        )
        page.get_by_role("button", name="Choose author").click()
        page.locator(".modal-dialog").get_by_role("link", name="Ivan Sorokin").first.click()
        page.fill("#id_dateline", "VARN")
        page.locator(".c-sf-add-button").first.click()
        page.get_by_role("option", name="Paragraph").click()
        page.locator(".public-DraftEditor-content").first.click()
        page.keyboard.type("The judge granted the defence four more weeks.")
        page.locator("ul.tagit input").fill("Courts")
        page.keyboard.press("Enter")

        page.locator("button[data-side-panel-toggle='status']").click()
        page.get_by_role("button", name="Set schedule").click()
        go_live = a_minute_ahead()
        page.fill("#id_go_live_at", go_live)
        # The date picker stays open after typing and, depending on the month's layout and
        # timing, lies over the button: save from the keyboard, as a keyboard user would.
        page.get_by_role("button", name="Save schedule").press("Enter")
        page.locator("footer [data-w-dropdown-target='toggle']").last.click()
        page.locator("button[name='action-publish']").click()
        page.wait_for_load_state("load")
        screenshot(page, "admin-after-publish", full_page=False)
        assert "scheduled" in page.content().lower(), "no confirmation that it was scheduled"

        article = ArticlePage.objects.get(title=HEADLINE)
        assert not article.live
        reader = browser.new_context()
        reader_page = reader.new_page()
        reader_page.goto(live_server.url + "/")
        assert HEADLINE not in reader_page.content()

        deadline = time.monotonic() + 180
        while not article.live and time.monotonic() < deadline:
            time.sleep(1)
            article.refresh_from_db()
        assert article.live, f"not published by itself (go-live {go_live})"
        assert timezone.localtime(article.first_published_at).strftime("%Y-%m-%d %H:%M") >= go_live

        for path in ["/", "/news/", "/tags/courts/"]:
            reader_page.goto(live_server.url + path)
            assert reader_page.get_by_role("link", name=HEADLINE).count() >= 1, path
        screenshot(reader_page, "scheduled-article-on-tag-page")
        reader_page.get_by_role("link", name=HEADLINE).first.click()
        assert reader_page.locator("h1").text_content().strip() == HEADLINE
        assert reader.cookies() == []
        reader.close()
    finally:
        context.close()
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=30)
    assert worker.returncode == 0, output
