"""Every request of a signed-in user passes here (after django-otp's OTPMiddleware).

- A session from before "sign out everywhere" (an older epoch) is ended.
- A session idle for longer than GAZETTE_SESSION_IDLE_TIMEOUT is ended.
- A user who has given only a password is verified by nothing: in the admin they are sent
  to set up a second factor (none yet) or to show one; everywhere else they count as
  anonymous, so a password alone opens nothing.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from . import factors, signin
from .mfa_models import SessionEpoch

# Refresh the last-seen time at most this often (seconds), not on every request.
LAST_SEEN_GRANULARITY = 60


class StaffSignInMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.WAGTAILADMIN_PATH + "/"

    def __call__(self, request):
        redirect_to = self.check(request)
        if redirect_to is not None:
            return redirect_to
        response = self.get_response(request)
        return signin.remember_browser(request, response)

    def check(self, request):
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            # No session, so nobody signed in: and not touching the session keeps a
            # reader's response free of "Vary: Cookie".
            return None
        user = request.user
        if not user.is_authenticated:
            return None
        session = request.session
        in_admin = request.path.startswith(self.admin_prefix)
        if session.get(signin.EPOCH_KEY) != SessionEpoch.current(user):
            return self.end(request, in_admin, _("You were signed out. Please sign in again."))
        now = int(timezone.now().timestamp())
        last_seen = session.get(signin.LAST_SEEN_KEY, 0)
        if now - last_seen > settings.GAZETTE_SESSION_IDLE_TIMEOUT:
            return self.end(
                request, in_admin, _("You were signed out after a while without activity.")
            )
        if now - last_seen >= LAST_SEEN_GRANULARITY:
            session[signin.LAST_SEEN_KEY] = now
        if user.is_verified():
            return None
        if request.path.startswith(self.exempt_prefixes()):
            return None
        if not in_admin:
            request.user = AnonymousUser()
            return None
        target = "accounts:verify" if factors.has_factor(user) else "accounts:setup"
        return redirect(reverse(target) + "?" + urlencode({"next": request.get_full_path()}))

    def end(self, request, in_admin, message):
        logout(request)
        if not in_admin:
            return None
        messages.info(request, message)
        return redirect(
            reverse("wagtailadmin_login") + "?" + urlencode({"next": request.get_full_path()})
        )

    def exempt_prefixes(self) -> tuple[str, ...]:
        """Pages a half-signed-in user may see: the second-factor pages and sign-out, and
        the icons and translations every admin page (these too) loads."""
        return (
            reverse("wagtailadmin_sprite"),
            reverse("wagtailadmin_javascript_catalog"),
            reverse("accounts:verify"),
            reverse("accounts:setup"),
            reverse("accounts:setup_totp"),
            reverse("otp_webauthn:credential-registration-begin").rsplit("/", 3)[0] + "/",
            reverse("wagtailadmin_logout"),
            reverse("wagtailadmin_login"),
        )
