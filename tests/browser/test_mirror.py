"""A pushed mirror works on its own: a plain static file server under another host name
serves it, and a reader browsing it in Chromium never leaves that host."""

import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from gazette.publishing.building import build_site
from tests.browser.conftest import BROWSER_ARGS, CHROMIUM
from tests.workers import free_port

pytestmark = pytest.mark.browser

MIRROR_HOST = "lantern-mirror.test"


@pytest.fixture
def mirror(committed_newsroom, settings, tmp_path):
    """The site pushed to a directory and served by Python's plain static server."""
    call_command("collectstatic", interactive=False, verbosity=0)
    build_site()
    target = tmp_path / "mirror"
    target.mkdir()
    settings.GAZETTE_MIRROR_TARGETS = f"local=file://{target}"
    call_command("mirror", "push", "local")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=target,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    yield f"http://{MIRROR_HOST}:{port}"
    server.terminate()
    server.wait(timeout=10)


def test_a_pushed_mirror_works_under_its_own_host_name(
    mirror, committed_newsroom, playwright, screenshot
):
    # Only the mirror's name resolves (to loopback); any other host would fail to load.
    rules = f"--host-resolver-rules=MAP {MIRROR_HOST} 127.0.0.1, MAP * ~NOTFOUND"
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[*BROWSER_ARGS, rules])
    try:
        context = browser.new_context()
        page = context.new_page()
        requests, failures = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("requestfailed", lambda request: failures.append(request.url))

        page.goto(mirror + "/")
        assert page.title() == "The Lantern — Independent news"
        # Our own stylesheet applied: the support banner is a coloured band.
        banner = page.locator(".support-banner")
        assert banner.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
        page.get_by_role("link", name="Assembly passes media law").first.click()
        page.wait_for_load_state("load")
        assert urlsplit(page.url).netloc == urlsplit(mirror).netloc
        lead = page.locator(".article__lead img")
        assert lead.evaluate("img => img.complete && img.naturalWidth > 0")
        screenshot(page, "mirror-article")
        page.get_by_role("link", name="Censorship").first.click()
        page.wait_for_load_state("load")
        assert page.locator("h1").text_content().strip() == "Censorship"
        page.locator("nav.sections").get_by_role("link", name="Business").click()
        page.wait_for_load_state("load")
        assert page.locator("h1").text_content().strip() == "Business"

        hosts = {urlsplit(url).netloc for url in requests}
        assert hosts == {urlsplit(mirror).netloc}, hosts
        assert failures == []
        assert context.cookies() == []
    finally:
        browser.close()
