"""A reader of the demo newsroom signs up in Chromium from an article page, confirms from the
email a real SMTP server on loopback received, gets the next issue, and leaves it with the
one-click unsubscribe POST that the issue's List-Unsubscribe header names (RFC 8058)."""

import re
import urllib.request
from email.utils import parseaddr
from urllib.parse import urlsplit

import pytest

from gazette.demo.loader import load_demo
from gazette.newsletters.models import Issue, IssueArticle, Newsletter, Subscription
from gazette.newsletters.sending import send_issue
from gazette.newsroom.models import ArticlePage
from tests.newsletters.sink import Sink

pytestmark = pytest.mark.browser

READER = "reader.e2e@example.net"


@pytest.fixture
def demo(transactional_db, django_db_serialized_rollback, live_server, sink, settings):
    """The demo newsroom behind the live server; every mail it sends goes to the sink."""
    settings.GAZETTE_BASE_URL = live_server.url  # links in mails lead back to this server
    settings.GAZETTE_NEWSLETTER_SMTP_URL = sink.url
    load_demo()
    return live_server.url


def mail_to(sink: Sink, index: int):
    received = sink.to(READER)
    assert len(received) > index, f"expected mail #{index + 1} for {READER}, got {len(received)}"
    return received[index].parsed()


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_sign_up_confirm_receive_and_unsubscribe_in_one_click(browser, demo, sink, screenshot):
    article = ArticlePage.objects.published().filter(locale__language_code="en").first()
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    # Sign up from the article page, as a reader would.
    page.goto(demo + article.url)
    box = page.locator(".signup-box")
    box.scroll_into_view_if_needed()
    assert box.locator('input[name="newsletters"][value="weekly"]').is_checked()
    box.get_by_label("Your email address").fill(READER)
    screenshot(page, "newsletter-signup-filled", full_page=False)
    box.get_by_role("button", name="Sign up").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").text_content().strip() == "Check your inbox"
    assert context.cookies() == []

    consent = Subscription.objects.get(subscriber__email=READER, newsletter__slug="weekly")
    assert consent.status == Subscription.Status.PENDING
    assert consent.consent_source == urlsplit(article.url).path

    # The confirmation mail, received over SMTP: its link asks, the button confirms.
    confirmation = mail_to(sink, 0)
    assert parseaddr(confirmation["To"])[1] == READER
    link = re.search(r"(http://\S+/newsletters/confirm/[^/\s]+/)", text_of(confirmation)).group(1)
    page.goto(link)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").text_content().strip() == "You are subscribed"
    screenshot(page, "newsletter-confirmed", full_page=False)
    consent.refresh_from_db()
    assert consent.status == Subscription.Status.CONFIRMED
    assert mail_to(sink, 1)["Subject"] == "Welcome: your subscription is confirmed"

    # The next issue reaches the new subscriber.
    weekly = Newsletter.objects.get(slug="weekly")
    issue = Issue.objects.create(
        newsletter=weekly,
        subject="This week at The Lantern",
        preheader="The stories our editors picked",
        intro="Dear reader, here is the week.",
    )
    picked = ArticlePage.objects.published().filter(locale__language_code="en")[:3]
    IssueArticle.objects.bulk_create(
        IssueArticle(issue=issue, article=story, sort_order=number)
        for number, story in enumerate(picked)
    )
    send_issue(issue)
    letter = mail_to(sink, 2)
    assert letter["Subject"] == "This week at The Lantern"
    assert picked[0].title in text_of(letter)

    # One-click unsubscribe, as a mail client does it: a POST to the header's HTTPS (here
    # HTTP) address with the fixed body, no cookies, answered 200 without a redirect.
    assert letter["List-Unsubscribe-Post"].strip() == "List-Unsubscribe=One-Click"
    address = re.search(r"<(http[^>]+)>", letter["List-Unsubscribe"]).group(1)
    assert urlsplit(address).netloc == urlsplit(demo).netloc
    request = urllib.request.Request(
        address,
        data=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert response.status == 200
        assert response.url == address  # no redirect followed
        assert "Set-Cookie" not in response.headers
    consent.refresh_from_db()
    assert consent.status == Subscription.Status.UNSUBSCRIBED
    context.close()
