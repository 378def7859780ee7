"""A monthly donor whose link has expired asks for a fresh one in Chromium, gets it on a
real SMTP server on loopback, raises the gift and then stops it (with the confirmation
step), with no cookie set and no console error (the strict CSP holds)."""

import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from gazette.support.models import Gift
from tests.support.giving import give

pytestmark = pytest.mark.browser

DONOR = "donor.e2e@example.net"


@pytest.fixture
def site(committed_newsroom, live_server, sink, settings):
    settings.GAZETTE_BASE_URL = live_server.url  # the link in the mail leads back here
    return live_server.url


def test_a_donor_gets_a_fresh_link_changes_and_stops_the_gift(browser, site, sink, screenshot):
    gift = give(DONOR, amount="5", payments=1)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))

    page.goto(site + "/donate/manage/not-a-real-token/")
    expect(
        page.get_by_role("heading", name="This link has expired or does not work")
    ).to_be_visible()
    assert errors == [
        "Failed to load resource: the server responded with a status of 404 (Not Found)"
    ]
    errors.clear()  # the forged link's page answers 404, as it should
    page.fill("#manage-email", DONOR)
    page.get_by_role("button", name="Send me a link").click()
    expect(page.get_by_text("If gifts were made from this address")).to_be_visible()

    mails = [item.parsed() for item in sink.to(DONOR)]
    links = [
        re.search(r"(/donate/manage/[^/\s]+/)", mail.get_body(("plain",)).get_content())
        for mail in mails
        if "manage your gifts" in mail["Subject"]
    ]
    assert links and links[-1], "the fresh link did not arrive"
    page.goto(site + urlsplit(site + links[-1].group(1)).path)
    expect(page.get_by_role("heading", name="5.00 USD, monthly")).to_be_visible()
    screenshot(page, "donor-manage")

    page.fill(f"#amount-{gift.pk}", "8")
    page.get_by_role("button", name="Change my gift").click()
    expect(page.get_by_text("Your change is saved")).to_be_visible()
    gift.refresh_from_db()
    assert gift.amount == Decimal("8")

    page.get_by_role("link", name="Stop this gift").click()
    expect(page.get_by_role("heading", name="Stop your gift?")).to_be_visible()
    page.get_by_role("button", name="Yes, stop my gift").click()
    expect(page.get_by_text("Your gift is stopped")).to_be_visible()
    screenshot(page, "donor-manage-stopped")
    gift.refresh_from_db()
    assert gift.status == Gift.Status.CANCELLED

    assert context.cookies() == []
    assert errors == []
    context.close()
