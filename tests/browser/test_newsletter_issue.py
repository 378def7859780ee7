"""A newsletter editor composes an issue in the admin, previews it, sends a test, schedules
it a minute ahead, and a separate `gazette worker` sends it at its time to a real SMTP server
on loopback; the issue then reads in the public archive."""

import signal
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from gazette.newsletters.models import Issue
from tests.browser.conftest import sign_in
from tests.browser.test_editor_schedules import a_minute_ahead
from tests.newsletters.conftest import make_newsletter, make_subscribers
from tests.newsletters.sink import Sink
from tests.workers import start_gazette, wait_for

pytestmark = pytest.mark.browser

SUBJECT = "The media law, a week on"


def test_editor_composes_tests_and_schedules_an_issue_that_goes_out(
    committed_newsroom, browser, live_server, screenshot, tmp_path, settings
):
    get_user_model().objects.create_superuser(
        "editor", "editor@lantern.example", "correct horse 42"
    )
    newsletter = make_newsletter()
    readers = make_subscribers(newsletter, 3)
    sink = Sink().start()
    settings.GAZETTE_NEWSLETTER_SMTP_URL = sink.url  # the test send, from the live server
    worker = start_gazette(
        "worker",
        GAZETTE_SCHEDULE_INTERVAL="1",
        GAZETTE_NEWSLETTER_SMTP_URL=sink.url,
        GAZETTE_STORE_DIR=str(tmp_path / "store"),
    )
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        sign_in(page, live_server.url, "editor", "correct horse 42")

        # Compose: subject, introduction, one article picked with the page chooser.
        page.get_by_role("link", name="Newsletter issues").click()
        page.get_by_role("link", name="Add issue").first.click()
        page.select_option("#id_newsletter", label=newsletter.name)
        page.fill("#id_subject", SUBJECT)
        page.fill("#id_intro", "Dear reader,\nhere is what changed this week.")
        page.get_by_role("button", name="Add article").click()
        page.get_by_role("button", name="Choose a page").first.click()
        modal = page.locator(".modal-dialog")
        modal.locator("a[title=\"Explore subpages of 'News'\"]").click()
        modal.get_by_role("link", name="Assembly passes media law").first.click()
        page.get_by_role("button", name="Save").first.click()
        page.wait_for_load_state("load")
        issue = Issue.objects.get(subject=SUBJECT)
        assert [pick.article.title for pick in issue.picks()] == ["Assembly passes media law"]

        # The sending page: preview of the saved email, a test to the editor.
        page.goto(f"{live_server.url}/admin/snippets/newsletters/issue/sending/{issue.pk}/")
        frame = page.frame_locator("iframe")
        assert frame.get_by_role("link", name="Assembly passes media law").count() == 1
        screenshot(page, "newsletter-issue-sending-page")
        page.get_by_role("button", name="Send a test").click()
        page.wait_for_load_state("load")
        assert "Test sent to editor@lantern.example." in page.content()
        assert [item.recipient for item in sink.received] == ["editor@lantern.example"]

        send_at = a_minute_ahead()
        page.fill("#id_send_at", send_at)
        page.get_by_role("button", name="Schedule", exact=True).press("Enter")
        page.wait_for_load_state("load")
        assert "goes out at" in page.content()
        issue.refresh_from_db()
        assert issue.status == Issue.Status.SCHEDULED
        assert timezone.localtime(issue.send_at).strftime("%Y-%m-%d %H:%M") == send_at

        assert wait_for(lambda: Issue.objects.get(pk=issue.pk).status == Issue.Status.SENT, 180)
        issue.refresh_from_db()
        assert timezone.localtime(issue.started_at).strftime("%Y-%m-%d %H:%M") >= send_at
        expected = {reader.email: 1 for reader in readers}
        assert {k: v for k, v in sink.copies().items() if k in expected} == expected
        page.reload()
        assert "3 / 3" in page.content()
        screenshot(page, "newsletter-issue-sent", full_page=False)

        # The web version, as a reader finds it in the archive.
        reader = browser.new_context()
        reader_page = reader.new_page()
        requested = []
        reader_page.on("request", lambda request: requested.append(request.url))
        reader_page.goto(f"{live_server.url}/newsletters/weekly/")
        reader_page.get_by_role("link", name=SUBJECT).click()
        assert reader_page.locator("h1").text_content().strip() == SUBJECT
        assert reader_page.get_by_role("link", name="Assembly passes media law").count() == 1
        screenshot(reader_page, "newsletter-issue-web-version")
        host = urlsplit(live_server.url).netloc
        assert all(urlsplit(url).netloc == host for url in requested), requested
        assert reader.cookies() == []
        reader.close()
    finally:
        context.close()
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=60)
        sink.stop()
    assert worker.returncode == 0, output
