"""A reader of the demo newsroom gives monthly from an article page through the test
provider, gets the receipt on a loopback SMTP server, and is thanked instead of asked on
later articles; "Remind me later" hides the appeal for its days (a faked clock checks
it comes back); and the frequency cap shows it on every Nth article only. All of it is
decided in the browser, from localStorage: no cookie is set and nothing leaves the site."""

import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import parseaddr

import pytest

from gazette.demo.loader import load_demo
from gazette.newsroom.models import ArticlePage
from gazette.support.models import Gift, SupportSettings
from tests.newsletters.sink import Sink

pytestmark = pytest.mark.browser

DONOR = "donor.e2e@example.net"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def demo(transactional_db, django_db_serialized_rollback, live_server, sink, settings):
    """The demo newsroom behind the live server, the test provider on, mail to the sink."""
    settings.GAZETTE_BASE_URL = live_server.url
    settings.GAZETTE_SUPPORT_TEST_PROVIDER = True
    settings.GAZETTE_STRIPE_SECRET_KEY = ""
    load_demo()
    return live_server.url


def the_new_gift(before: int) -> Gift:
    """The one gift made since ``before`` gifts existed (the demo has a year of them)."""
    assert Gift.objects.count() == before + 1
    return Gift.objects.select_related("donor").latest("pk")


def articles(count: int) -> list[str]:
    found = ArticlePage.objects.published().filter(locale__language_code="en")
    paths = [article.url for article in found.order_by("-first_published_at")[:count]]
    assert len(paths) == count
    return paths


def reader(browser, base: str):
    """A fresh browser profile that records every request the pages make."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    return context, page, requests


def appeal_state(page) -> str:
    """What appeal.js decided on this page (it marks the appeal when it has)."""
    page.wait_for_selector(".appeal[data-state]", state="attached")
    return page.locator(".appeal").get_attribute("data-state")


def wait_for_mail(sink: Sink, address: str, *, seconds: float = 10):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        received = sink.to(address)
        if received:
            return received
        time.sleep(0.1)
    pytest.fail(f"no mail for {address} within {seconds}s")


def test_a_reader_gives_monthly_and_is_thanked_on_later_pages(browser, demo, sink, screenshot):
    before = Gift.objects.count()
    first, later = articles(2)
    context, page, requests = reader(browser, demo)

    page.goto(demo + first)
    assert appeal_state(page) == "shown"
    appeal = page.locator(".appeal")
    appeal.scroll_into_view_if_needed()
    appeal.get_by_label("Monthly").check()
    appeal.get_by_label("$5", exact=True).check()
    # Only the monthly amounts show once a frequency is picked.
    assert not appeal.get_by_label("$100", exact=True).is_visible()
    screenshot(page, "donation-appeal-monthly-5", full_page=False)
    appeal.get_by_role("button", name="Continue").click()

    # The test provider's checkout: clearly not a real one.
    page.wait_for_url("**/donate/test/**")
    assert page.locator(".test-checkout__label").is_visible()
    assert "TEST MODE" in page.locator(".test-checkout__label").inner_text().upper()
    page.get_by_label("Email (for your receipt)").fill(DONOR)
    screenshot(page, "donation-test-checkout", full_page=False)
    page.get_by_role("button", name="Pay (test)").click()

    page.wait_for_url("**/donate/thanks/**")
    assert page.locator("h1").inner_text().strip() == "Thank you"
    screenshot(page, "donation-thanks", full_page=False)

    gift = the_new_gift(before)
    assert (gift.frequency, gift.amount, gift.currency) == ("monthly", Decimal("5"), "USD")
    assert gift.status == Gift.Status.ACTIVE
    assert gift.subscription_id == f"test_sub_{gift.pk}"
    assert gift.article.url == first
    assert gift.donor.email == DONOR
    assert gift.payments.get().amount == Decimal("5")

    # The receipt, received over SMTP, with the link to manage the monthly gift.
    receipt = wait_for_mail(sink, DONOR)[0].parsed()
    assert parseaddr(receipt["To"])[1] == DONOR
    body = receipt.get_body(preferencelist=("plain",)).get_content()
    assert "/donate/manage/" in body

    # Later articles thank instead of asking.
    page.goto(demo + later)
    assert appeal_state(page) == "thanks"
    assert page.locator(".appeal__thanks").is_visible()
    assert not page.locator(".appeal__ask").is_visible()
    screenshot(page, "donation-appeal-thanks", full_page=False)
    page.goto(demo + first)
    assert appeal_state(page) == "thanks"

    # The support page: the fuller form and the manual methods, QR codes drawn here.
    page.goto(demo + "/support/")
    assert page.locator("svg.crypto-qr").count() == 2
    assert page.get_by_role("heading", name="Bank transfer").is_visible()
    screenshot(page, "donation-support-page")

    # The donor stops the monthly gift from the link in the receipt.
    link = re.search(r"https?://[^/\s]+(/donate/manage/[^/\s]+/)", body)
    assert link, body
    page.goto(demo + link.group(1))
    page.get_by_role("link", name="Stop this gift").click()
    page.get_by_role("button", name="Yes, stop my gift").click()
    assert page.get_by_text("Your gift is stopped").is_visible()
    gift.refresh_from_db()
    assert gift.status == Gift.Status.CANCELLED and gift.ended_at is not None

    assert context.cookies() == []
    assert all(url.startswith(demo) for url in requests), requests
    context.close()


@pytest.mark.parametrize(
    ("frequency", "amount", "status"),
    [("Once", "$25", Gift.Status.PAID), ("Annual", "$50", Gift.Status.ACTIVE)],
)
def test_a_reader_gives_once_or_annually_and_gets_a_receipt(
    browser, demo, sink, frequency, amount, status
):
    before = Gift.objects.count()
    (article,) = articles(1)
    context, page, requests = reader(browser, demo)
    page.goto(demo + article)
    appeal = page.locator(".appeal")
    appeal.get_by_label(frequency).check()
    # By role: only the chosen frequency's amounts are visible (Once and Annual share $25, $50).
    appeal.get_by_role("radio", name=amount, exact=True).check()
    appeal.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/donate/test/**")
    address = f"{frequency.lower()}.{DONOR}"
    page.get_by_label("Email (for your receipt)").fill(address)
    page.get_by_role("button", name="Pay (test)").click()
    page.wait_for_url("**/donate/thanks/**")

    gift = the_new_gift(before)
    assert (gift.frequency, gift.amount, gift.status) == (
        frequency.lower(),
        Decimal(amount.strip("$")),
        status,
    )
    assert gift.payments.get().amount == Decimal(amount.strip("$"))
    receipt = wait_for_mail(sink, address)[0].parsed()
    body = receipt.get_body(preferencelist=("plain",)).get_content()
    assert amount.strip("$") in body
    # Only a gift that renews links the page to stop it.
    assert ("/donate/manage/" in body) == (frequency == "Annual")
    assert context.cookies() == []
    assert all(url.startswith(demo) for url in requests), requests
    context.close()


def test_remind_me_later_hides_the_appeal_for_its_days(browser, demo, screenshot):
    first, second, third = articles(3)
    context, page, requests = reader(browser, demo)

    page.clock.set_fixed_time(START)
    page.goto(demo + first)
    assert appeal_state(page) == "shown"
    page.get_by_role("button", name="Remind me later").click()
    assert not page.locator(".appeal").is_visible()
    screenshot(page, "donation-appeal-remind-later", full_page=False)

    # Six days on, still hidden on every article.
    page.clock.set_fixed_time(START + timedelta(days=6, hours=23))
    page.goto(demo + second)
    assert appeal_state(page) == "later"
    assert not page.locator(".appeal").is_visible()

    # Past the seven days (the demo's remind_days), the appeal is back.
    assert SupportSettings.objects.get().remind_days == 7
    page.clock.set_fixed_time(START + timedelta(days=7, minutes=1))
    page.goto(demo + third)
    assert appeal_state(page) == "shown"
    assert page.locator(".appeal__ask").is_visible()

    assert context.cookies() == []
    assert all(url.startswith(demo) for url in requests), requests
    context.close()


def test_the_appeal_shows_on_every_nth_article_view(browser, demo):
    SupportSettings.objects.update(show_every=3)
    paths = articles(7)
    context, page, _requests = reader(browser, demo)
    seen = []
    for path in paths:
        page.goto(demo + path)
        seen.append(appeal_state(page))
        assert page.locator(".appeal").is_visible() == (seen[-1] == "shown")
    assert seen == ["shown", "capped", "capped", "shown", "capped", "capped", "shown"]
    assert context.cookies() == []
    context.close()


def test_without_javascript_every_preset_works_and_the_appeal_always_shows(browser, demo):
    before = Gift.objects.count()
    first = articles(1)[0]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(demo + first)
    appeal = page.locator(".appeal")
    assert appeal.is_visible() and appeal.get_attribute("data-state") is None
    # Every frequency's amounts are on show; "Remind me later" needs the script, so hides.
    for amount in ("$2", "$10", "$100"):
        assert appeal.get_by_label(amount, exact=True).first.is_visible()
    assert not appeal.get_by_role("button", name="Remind me later").is_visible()
    appeal.get_by_label("Annual").check()
    appeal.get_by_label("$100", exact=True).check()
    appeal.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/donate/test/**")
    gift = the_new_gift(before)
    assert (gift.frequency, gift.amount) == ("annual", Decimal("100"))
    assert context.cookies() == []
    context.close()
