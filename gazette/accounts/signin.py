"""Signing staff in: throttling and lockout of the password step, and what a session
carries once its second factor is shown.

Lockout. Failures are counted in the cache (gazette/ratelimits.py) per client address and
per account, in a window of GAZETTE_SIGNIN_WINDOW seconds. An address past
GAZETTE_SIGNIN_PER_CLIENT failures may not try any account until its window ends. An account
past GAZETTE_SIGNIN_PER_ACCOUNT failures is locked for everyone, except browsers that have
signed in to it before: those carry a signed "known browser" cookie (OWASP's device cookies,
https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies) and
are counted apart. So an attacker who keeps guessing can keep an account locked against
strangers, never against its owner's own browsers; and every lock ends with its window.
"""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from gazette import ratelimits
from gazette.clients import client_address

from . import audit
from .mfa_models import SessionEpoch

PREFIX = "signin"
KNOWN_BROWSER_COOKIE = "gazette_known_browser"
KNOWN_BROWSER_SALT = "gazette.accounts.known-browser"
EPOCH_KEY = "gazette_session_epoch"
LAST_SEEN_KEY = "gazette_last_seen"
METHOD_KEY = "gazette_signin_method"


def _account(username: str) -> str:
    return username.strip().casefold()


def _known_browser(request, username: str) -> bool:
    try:
        value = request.get_signed_cookie(
            KNOWN_BROWSER_COOKIE, salt=KNOWN_BROWSER_SALT, max_age=365 * 86400
        )
    except (KeyError, signing.BadSignature):
        return False
    return value == _account(username)


def _keys(request, username: str) -> tuple[str, str]:
    client = ratelimits.keyed("client", client_address(request), prefix=PREFIX)
    if _known_browser(request, username):
        # A known browser has its own counter, which strangers' failures do not fill.
        account = ratelimits.keyed("known", _account(username), prefix=PREFIX)
    else:
        account = ratelimits.keyed("account", _account(username), prefix=PREFIX)
    return client, account


def refusal(request, username: str) -> str | None:
    """Why this attempt may not even be checked, or None."""
    client_key, account_key = _keys(request, username)
    if (cache.get(client_key) or 0) >= settings.GAZETTE_SIGNIN_PER_CLIENT:
        return _(
            "Too many failed sign-ins from your network. Wait %(minutes)d minutes and try again."
        ) % {"minutes": settings.GAZETTE_SIGNIN_WINDOW // 60}
    if (cache.get(account_key) or 0) >= settings.GAZETTE_SIGNIN_PER_ACCOUNT:
        return _(
            "This account is locked for %(minutes)d minutes after too many failed sign-ins. "
            "Try again later, or sign in from a browser you have used for this account "
            "before; an administrator can tell you more."
        ) % {"minutes": settings.GAZETTE_SIGNIN_WINDOW // 60}
    return None


def record_failure(request, username: str) -> None:
    """Count a wrong password; write the audit entries (the name typed, never the password)."""
    client_key, account_key = _keys(request, username)
    window = settings.GAZETTE_SIGNIN_WINDOW
    ratelimits.count(client_key, window)
    failures = ratelimits.count(account_key, window)
    audit.record("accounts.sign_in_failed", actor_name=username, request=request)
    if failures == settings.GAZETTE_SIGNIN_PER_ACCOUNT:
        audit.record(
            "accounts.locked_out",
            actor_name=username,
            request=request,
            data={"minutes": window // 60, "failures": failures},
        )


def record_refusal(request, username: str) -> None:
    audit.record(
        "accounts.sign_in_failed", actor_name=username, request=request, data={"locked": True}
    )


def password_accepted(request, user) -> None:
    """The first step passed: the session is tied to the user's epoch but not verified."""
    cache.delete(_keys(request, user.get_username())[1])
    request.session[EPOCH_KEY] = SessionEpoch.current(user)
    request.session[LAST_SEEN_KEY] = int(timezone.now().timestamp())


def verified(request, device, *, method: str) -> None:
    """The second factor was shown: mark the session and write the sign-in to the log.
    The session gets a new key, so one seen before this step is worth nothing after it."""
    request.session.cycle_key()
    otp_login(request, device)
    request.session[METHOD_KEY] = method
    request.session[EPOCH_KEY] = SessionEpoch.current(request.user)
    request.session[LAST_SEEN_KEY] = int(timezone.now().timestamp())
    request.gazette_known_browser = request.user.get_username()
    audit.record("accounts.sign_in", request=request, data={"method": method})


def remember_browser(request, response):
    """Set the known-browser cookie after a full sign-in (see the module's docstring)."""
    username = getattr(request, "gazette_known_browser", None)
    if username:
        response.set_signed_cookie(
            KNOWN_BROWSER_COOKIE,
            _account(username),
            salt=KNOWN_BROWSER_SALT,
            max_age=365 * 86400,
            path="/" + settings.WAGTAILADMIN_PATH + "/",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


def mark_session(session, user, device, *, method: str = "test") -> None:
    """For tests and the demo's tools: a session as a full sign-in leaves it."""
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[METHOD_KEY] = method
    session[EPOCH_KEY] = SessionEpoch.current(user)
    session[LAST_SEEN_KEY] = int(timezone.now().timestamp())


def sign_out_everywhere(request) -> None:
    """End every session of the user, this one included."""
    from django.contrib.auth import logout

    user = request.user
    SessionEpoch.advance(user)
    audit.record("accounts.signed_out_everywhere", request=request)
    logout(request)
