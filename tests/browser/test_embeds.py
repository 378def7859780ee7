"""A video embed loads nothing from its provider until the reader asks: the article makes no
request to any other origin, and only the click on "Load video from YouTube" puts the
youtube-nocookie.com player in the page (the sandbox has no internet: the request is
recorded, then aborted)."""

from urllib.parse import urlsplit

import pytest

from gazette.publishing.building import rebuilds_paused
from tests.factories import make_article

pytestmark = pytest.mark.browser

VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
PLAYER = "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"


@pytest.fixture
def article(committed_newsroom):
    with rebuilds_paused():
        return make_article(
            committed_newsroom["news"],
            "Protest on the embankment",
            authors=[committed_newsroom["authors"]["anna"]],
            body=[
                ("paragraph", "<p>Thousands marched on Saturday.</p>"),
                ("embed", {"url": VIDEO, "title": "The march, filmed from the bridge"}),
                ("embed", {"url": "https://vimeo.com/76979871", "title": "Interview"}),
                ("embed", {"url": "https://t.me/lantern/12", "title": "The organisers' post"}),
            ],
        )


def test_a_video_loads_from_its_provider_only_after_the_click(
    article, browser, live_server, screenshot
):
    ours = urlsplit(live_server.url).netloc
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    requests, elsewhere, errors = [], [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: "Content Security Policy" in message.text and errors.append(message.text),
    )

    def route(route):
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:  # no internet here; the attempt is what the test looks at
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    try:
        page.goto(live_server.url + article.relative_path())
        page.wait_for_load_state("networkidle")
        embed = page.locator("figure.embed-video").first
        button = embed.get_by_role("button", name="Load video from YouTube")
        assert button.is_visible()
        assert "YouTube will see your IP address" in embed.text_content()
        assert embed.get_by_role("link").get_attribute("href") == VIDEO
        # The other providers' embeds: Vimeo waits for its own click, Telegram is a card.
        assert page.get_by_role("button", name="Load video from Vimeo").is_visible()
        assert page.locator(".embed-card a").get_attribute("href") == "https://t.me/lantern/12"
        assert page.locator("iframe").count() == 0
        before_click = list(requests)
        assert before_click and all(urlsplit(url).netloc == ours for url in before_click)
        assert elsewhere == []
        screenshot(page, "embed-before-click")

        with page.expect_request(lambda request: request.url.startswith(PLAYER)):
            button.click()
        frame = embed.locator("iframe")
        assert frame.get_attribute("src") == PLAYER
        assert frame.get_attribute("title") == "The march, filmed from the bridge"
        assert "allow-top-navigation" not in frame.get_attribute("sandbox")
        assert not button.is_visible()
        assert elsewhere and all(url.startswith(PLAYER) for url in elsewhere), elsewhere
        assert page.locator("iframe").count() == 1  # Vimeo's still waits
        assert errors == []  # the CSP allowed the frame; no script error
        screenshot(page, "embed-after-click")
    finally:
        context.close()


def test_without_javascript_the_video_is_a_plain_link(article, browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + article.relative_path())
        embed = page.locator("figure.embed-video").first
        assert (
            embed.get_by_role("link", name="Watch it on YouTube instead").get_attribute("href")
            == VIDEO
        )
        assert page.get_by_role("button", name="Load video from YouTube").count() == 0
        assert page.locator("iframe").count() == 0
    finally:
        context.close()
