from django.conf import settings

from .headers import ADMIN_CSP, PERMISSIONS_POLICY, READER_CSP


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
