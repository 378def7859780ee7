"""Playwright driving Debian's Chromium. Playwright's own browser download does not work on our
machines, so the tests use /usr/bin/chromium; CI sets GAZETTE_REQUIRE_BROWSER=1 so that a
missing browser fails the run instead of skipping it."""

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("GAZETTE_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


# Keep Chromium's own background traffic off, so every request we see is one the page made.
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-domain-reliability",
]


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the session: its sync API cannot be started twice at once."""
    if not Path(CHROMIUM).exists():
        message = f"Chromium is not at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("GAZETTE_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def screenshot():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def save(page, name: str, *, full_page: bool = True) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


def sign_in(page, base_url: str, username: str, password: str) -> None:
    """Sign in to the admin through its form, as staff do: the password, then a second
    factor (a recovery code, made here, so that signing in twice in one TOTP period works)."""
    from django.contrib.auth import get_user_model

    from gazette.accounts import factors
    from tests.factories import second_factor

    user = get_user_model().objects.get(username=username)
    second_factor(user)
    code = factors.new_recovery_codes(user, request=None)[0]
    page.goto(base_url + "/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/security/verify/**")
    page.get_by_text("Use a recovery code").click()
    page.fill("#id_recovery", code)
    page.get_by_role("button", name="Use this code").click()
    page.wait_for_url(base_url + "/admin/")


@pytest.fixture
def sink(settings):
    """An SMTP server on loopback that the site's one-off mail (confirmations, receipts,
    links) goes to."""
    from tests.newsletters.sink import Sink

    server = Sink().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    yield server
    server.stop()
