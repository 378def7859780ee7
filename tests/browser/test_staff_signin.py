"""Staff sign-in in Chromium: a new account is held at the second-factor setup until it
registers one; a security key (Chromium's virtual WebAuthn authenticator, through the
DevTools protocol) signs in; so does an authenticator app (TOTP, computed here)."""

import re
import time
from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from gazette.accounts.models import AuditEntry
from tests.factories import make_staff

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 42"


def password_step(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/admin/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def sign_out(context) -> None:
    # Cookies gone is signed out, as far as the server can tell.
    context.clear_cookies()


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    key = b32decode(secret.replace(" ", ""))
    totp = TOTP(key, drift=steps_ahead)
    totp.time = time.time()
    return f"{totp.token():06d}"


def test_new_staff_register_a_security_key_and_sign_in_with_it(
    committed_newsroom, browser, live_server, screenshot
):
    user = make_staff("newcomer")
    base = live_server.url
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    try:
        password_step(page, base, "newcomer")
        page.wait_for_url(re.compile(r"/admin/security/setup/"))
        screenshot(page, "staff-signin-setup")
        # Nothing of the admin opens before a factor is registered.
        for path in ("/admin/", "/admin/pages/", "/admin/users/", "/admin/security/"):
            page.goto(base + path)
            assert "/admin/security/setup/" in page.url, path
            assert page.get_by_role("heading", name="Set up a second factor").is_visible()

        cdp = context.new_cdp_session(page)
        cdp.send("WebAuthn.enable")
        cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )
        page.get_by_role("button", name="Register a security key or passkey").click()
        page.wait_for_url(re.compile(r"/admin/security/recovery-codes/"))
        assert WebAuthnCredential.objects.filter(user=user, confirmed=True).count() == 1
        page.get_by_role("button", name="Make recovery codes").click()
        codes = page.locator("#recovery-codes code")
        codes.first.wait_for()
        assert codes.count() == 10
        screenshot(page, "staff-signin-recovery-codes")
        # On to the page last asked for before the setup.
        page.get_by_role("link", name="I have saved them").click()
        page.wait_for_url(base + "/admin/security/")
        assert page.locator("#security-keys li").count() == 1

        sign_out(context)
        page.goto(base + "/admin/pages/")
        assert "/admin/login/" in page.url
        password_step(page, base, "newcomer")
        page.wait_for_url(re.compile(r"/admin/security/verify/"))
        screenshot(page, "staff-signin-verify-key")
        page.get_by_role("button", name="Use my security key or passkey").click()
        page.wait_for_url(base + "/admin/")
        assert page.get_by_role("link", name="Sign-in security").count() >= 1
        screenshot(page, "staff-signin-dashboard")

        entries = AuditEntry.objects.filter(actor_name="newcomer")
        assert entries.filter(action="accounts.mfa_added", data__kind="webauthn").count() == 1
        assert entries.filter(action="accounts.sign_in", data__method="webauthn").count() == 2
        assert entries.filter(action="accounts.recovery_codes_generated").count() == 1
        assert errors == []
    finally:
        context.close()


def test_staff_sign_in_with_an_authenticator_app(
    committed_newsroom, browser, live_server, screenshot
):
    user = make_staff("appuser")
    base = live_server.url
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    try:
        password_step(page, base, "appuser")
        page.wait_for_url(re.compile(r"/admin/security/setup/"))
        page.get_by_role("link", name="Set up an authenticator app").click()
        page.wait_for_url(re.compile(r"/admin/security/setup/app/"))
        assert page.locator(".signin-qr svg").count() == 1
        screenshot(page, "staff-signin-totp-setup")
        secret = page.locator("#totp-secret").inner_text()
        # A wrong code is refused with a message, and adds nothing.
        page.fill("#id_token", "000000" if totp_code(secret) != "000000" else "111111")
        page.get_by_role("button", name="Add this app").click()
        page.get_by_text("That code is not right").wait_for()
        assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        # The same key is shown again, to try once more.
        assert page.locator("#totp-secret").inner_text() == secret
        page.fill("#id_token", totp_code(secret))
        page.get_by_role("button", name="Add this app").click()
        page.wait_for_url(re.compile(r"/admin/security/recovery-codes/"))
        assert TOTPDevice.objects.filter(user=user, confirmed=True).count() == 1

        sign_out(context)
        password_step(page, base, "appuser")
        page.wait_for_url(re.compile(r"/admin/security/verify/"))
        # The code of the period just used is spent; the app's next one is accepted.
        page.fill("#id_totp", totp_code(secret, steps_ahead=1))
        screenshot(page, "staff-signin-verify-totp")
        page.get_by_role("button", name="Verify").click()
        page.wait_for_url(base + "/admin/")
        entries = AuditEntry.objects.filter(actor_name="appuser")
        assert entries.filter(action="accounts.sign_in", data__method="totp").count() == 2
        assert entries.filter(action="accounts.mfa_added", data__kind="totp").count() == 1
    finally:
        context.close()
