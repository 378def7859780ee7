"""Security headers for every response.

Reader pages get a strict Content-Security-Policy: everything from our own origin, no inline
script or style, no third-party origins (https://www.w3.org/TR/CSP3/). The Wagtail admin ships
inline styles and scripts of its own, so its policy allows those but still no other origin.
"""

from django.conf import settings

READER_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "media-src 'self'",
        "object-src 'none'",
        "frame-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
ADMIN_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'self'",
    ]
)
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=(), "
    "browsing-topics=()"
)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.admin_prefix = "/" + settings.WAGTAILADMIN_PATH + "/"

    def __call__(self, request):
        response = self.get_response(request)
        in_admin = request.path.startswith((self.admin_prefix, "/django-admin/"))
        response.headers.setdefault(
            "Content-Security-Policy", ADMIN_CSP if in_admin else READER_CSP
        )
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if in_admin:
            # The admin's page preview frames our own pages.
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
        return response
