from django.conf import settings
from django.http import HttpResponsePermanentRedirect

from .headers import ADMIN_CSP, PERMISSIONS_POLICY, READER_CSP, is_onion_host


class HttpsMiddleware:
    """The redirect to HTTPS, and no HSTS on onion hosts. Comes before Django's
    SecurityMiddleware, which adds the other headers.

    Django's own redirect (SECURE_SSL_REDIRECT) cannot leave one host out, and an onion
    service is reached over plain HTTP: redirecting it to https:// would break the address
    readers in censored countries rely on. So the redirect is ours (GAZETTE_SSL_REDIRECT), and
    Django's W008 check is silenced in settings for that reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        onion = is_onion_host(request.META.get("HTTP_HOST", ""))
        if settings.GAZETTE_SSL_REDIRECT and not onion and not request.is_secure():
            return HttpResponsePermanentRedirect(
                f"https://{request.get_host()}{request.get_full_path()}"
            )
        response = self.get_response(request)
        if onion:
            # Added by SecurityMiddleware on a secure request; an onion host pins nothing.
            del response.headers["Strict-Transport-Security"]
        return response


class SecurityHeadersMiddleware:
    """Adds the CSP and Permissions-Policy (Django's SecurityMiddleware adds the rest)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.WAGTAILADMIN_PATH + "/"

    def __call__(self, request):
        response = self.get_response(request)
        in_admin = request.path.startswith(self.admin_prefix)
        csp = ADMIN_CSP if in_admin else READER_CSP
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if in_admin:
            # The admin's page preview frames our own pages.
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response
