"""Issue #6's "Done when": in Chromium, an anonymous reader browsing the home page, an
article and a section page gets no cookie and makes no request to any other origin, while
each page view is counted."""

from urllib.parse import urlsplit

import pytest

from gazette.insights.models import DailySalt, PageDay, Seen, SiteDay
from gazette.publishing.building import build_site

pytestmark = pytest.mark.browser


def is_hit(response) -> bool:
    return urlsplit(response.url).path == "/insights/hit"


def test_a_reader_is_counted_without_cookies_or_other_origins(
    committed_newsroom, browser, live_server, settings, tmp_path, screenshot
):
    settings.GAZETTE_STORE_DIR = tmp_path / "store"
    build_site()  # the paths the endpoint counts are those of the page store
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requests, errors, hits = [], [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))

    # Each view's beacon is awaited: its answer comes once the count is committed.
    with page.expect_response(is_hit) as home:
        page.goto(live_server.url + "/")
    hits.append(home.value)
    with page.expect_response(is_hit) as article:
        page.get_by_role("link", name="Assembly passes media law").first.click()
    hits.append(article.value)
    assert urlsplit(page.url).path == "/news/assembly-passes-media-law/"
    with page.expect_response(is_hit) as section:
        page.locator("nav.sections").get_by_role("link", name="Business").click()
    hits.append(section.value)
    assert page.locator("h1").text_content().strip() == "Business"
    screenshot(page, "insights-section")

    assert [response.status for response in hits] == [204, 204, 204]
    # Only the path went: no cookie, nothing else in the body.
    assert [response.request.post_data for response in hits] == [
        "/",
        "/news/assembly-passes-media-law/",
        "/business/",
    ]
    origin = urlsplit(live_server.url).netloc
    foreign = [url for url in requests if urlsplit(url).netloc != origin]
    assert requests and not foreign, foreign
    assert context.cookies() == []
    assert errors == []  # a CSP violation would show here
    context.close()

    counted = {row.path: (row.views, row.visitors) for row in PageDay.objects.all()}
    assert counted == {
        "/": (1, 1),
        "/news/assembly-passes-media-law/": (1, 1),
        "/business/": (1, 1),
    }
    assert SiteDay.objects.get().visitors == 1
    assert Seen.objects.count() == 4 and DailySalt.objects.count() == 1


def test_a_reader_with_global_privacy_control_sends_nothing(
    committed_newsroom, browser, live_server, settings, tmp_path
):
    settings.GAZETTE_STORE_DIR = tmp_path / "store"
    build_site()
    context = browser.new_context()
    # What a browser with Global Privacy Control on tells pages.
    context.add_init_script(
        "Object.defineProperty(navigator, 'globalPrivacyControl', {value: true})"
    )
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(urlsplit(request.url).path))
    page.goto(live_server.url + "/news/assembly-passes-media-law/")
    # The beacon runs as a deferred script: after it, the load event.
    page.wait_for_load_state("load")
    assert page.evaluate("navigator.globalPrivacyControl") is True
    assert "/static/insights/beacon.js" in requests
    assert "/insights/hit" not in requests
    context.close()
    assert not PageDay.objects.exists()
