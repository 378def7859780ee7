"""A reader's visit in a real browser: nothing leaves our origin, no cookie is set."""

from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def reader(browser, live_server):
    """A fresh browser context that records every request and console error."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("console", lambda message: message.type == "error" and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield context, page
    context.close()


def test_reader_opens_home_then_an_article_then_a_section(
    committed_newsroom, live_server, reader, screenshot
):
    context, page = reader
    page.goto(live_server.url + "/")
    assert page.title() == "The Lantern — Independent news"
    screenshot(page, "home")

    page.get_by_role("link", name="Assembly passes media law").first.click()
    page.wait_for_load_state("load")
    assert urlsplit(page.url).path == "/news/assembly-passes-media-law/"
    article = page.locator("article.article")
    assert page.locator(".support-banner a").text_content().strip() == "Support The Lantern!"
    assert article.locator(".article__section a").text_content().strip() == "News"
    assert article.locator("h1").text_content().strip() == "Assembly passes media law"
    assert article.locator(".article__standfirst").is_visible()
    lead = article.locator(".article__lead img")
    assert lead.evaluate("img => img.complete && img.naturalWidth > 0"), "lead image did not load"
    assert (
        "Photo: The Lantern" in article.locator(".article__lead figcaption").text_content().strip()
    )
    assert " ".join(article.locator(".byline").text_content().split()) == (
        "By Anna Petrenko and Lantern Staff"
    )
    assert article.locator(".dateline").text_content().strip() == "RIGA"
    assert article.locator(".dates time").first.get_attribute("datetime")
    assert (
        article.locator(".article__source").text_content().strip()
        == "With reporting by Baltic Wire"
    )
    assert (
        article.locator(".article__body blockquote").text_content().strip()
        == "We will keep reporting."
    )
    assert article.locator(".tags a").all_text_contents() == ["Censorship", "Assembly"]
    read_more = page.locator(".read-more h3 a").all_text_contents()
    assert (
        read_more[0] == "Printers face new fines" and "Assembly passes media law" not in read_more
    )
    screenshot(page, "article")

    page.locator("nav.sections").get_by_role("link", name="Business").click()
    page.wait_for_load_state("load")
    assert page.locator("h1").text_content().strip() == "Business"
    screenshot(page, "section")

    origin = urlsplit(live_server.url).netloc
    foreign = [url for url in page.requests if urlsplit(url).netloc != origin]
    assert page.requests and not foreign, foreign
    assert context.cookies() == []
    assert page.errors == []  # a CSP violation would show here


def test_article_reads_on_a_phone_without_javascript(
    committed_newsroom, browser, live_server, screenshot
):
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + committed_newsroom["lead"].url)
    assert page.locator("h1").text_content().strip() == "Assembly passes media law"
    # No sideways scrolling on a small screen.
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
    screenshot(page, "article-phone-no-js")
    assert context.cookies() == []
    context.close()
