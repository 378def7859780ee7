"""WCAG 2.2 AA on the reader pages, checked with axe-core (bundled by axe-playwright-python
and injected through DevTools, so the page's CSP and origin are untouched)."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = pytest.mark.browser

WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.mark.parametrize(
    ("width", "scheme"), [(390, "light"), (1280, "light"), (1280, "dark")], ids=str
)
def test_reader_pages_have_no_wcag_aa_violations(
    committed_newsroom, browser, live_server, width, scheme
):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    paths = [
        "/",
        committed_newsroom["lead"].url,
        committed_newsroom["news"].url,
        "/tags/censorship/",
        "/authors/anna-petrenko/",
        committed_newsroom["pages"]["about"].url,
        "/no-such-page/",
    ]
    axe = Axe()
    found = {}
    for path in paths:
        page.goto(live_server.url + path)
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_AA}})
        if results.violations_count:
            found[path] = results.generate_report()
    context.close()
    assert not found, "\n\n".join(f"{path}:\n{report}" for path, report in found.items())
