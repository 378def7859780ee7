"""Fundraising staff open the dashboard from the admin's menu and see its charts, coloured
by the dashboard's stylesheet, beside their tables."""

import pytest
from django.utils import timezone

from gazette.support.demo import load_donation_history
from tests.browser.conftest import sign_in
from tests.factories import make_staff

pytestmark = pytest.mark.browser


def test_fundraising_staff_see_the_charts_over_a_year_of_donations(
    committed_newsroom, browser, live_server, screenshot
):
    load_donation_history(now=timezone.now())
    make_staff("fundraiser", "support.view_fundraising")
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        sign_in(page, live_server.url, "fundraiser", "correct horse 42")
        page.get_by_role("link", name="Fundraising").click()
        page.wait_for_url(f"{live_server.url}/admin/fundraising/")
        charts = page.locator("svg.gz-chart")
        assert charts.count() == 5
        for index in range(charts.count()):
            box = charts.nth(index).bounding_box()
            assert box["width"] > 400 and box["height"] > 150
        # The stylesheet coloured the bars (the SVG itself carries no colour).
        one_time = page.locator("svg#received-usd, [data-chart='received-usd'] rect").first
        assert one_time.evaluate("e => getComputedStyle(e).fill") == "rgb(0, 114, 178)"
        line = page.locator("[data-chart='mrr-usd'] polyline")
        assert line.evaluate("e => getComputedStyle(e).fill") == "none"
        # Each chart is named for a screen reader, and its table is beside it.
        usd = page.get_by_role("img", name="Received per month, USD")
        assert usd.count() == 1
        table = page.locator("[data-chart-table='received-usd']")
        assert table.locator("tbody tr").count() == 12
        screenshot(page, "fundraising-dashboard")
        page.locator("[data-chart='recurring-gifts']").scroll_into_view_if_needed()
        screenshot(page, "fundraising-dashboard-recurring", full_page=False)
        page.get_by_role("link", name="All time").click()
        page.wait_for_url("**period=all")
        assert page.locator("svg.gz-chart").count() == 5
        assert not errors, errors
    finally:
        context.close()
