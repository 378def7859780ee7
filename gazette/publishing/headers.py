"""Response headers every public page carries, whether Django or the read path answers.

Reader pages get a strict Content-Security-Policy: everything from our own origin, no inline
script or style, no third-party origins (https://www.w3.org/TR/CSP3/). The Wagtail admin ships
inline styles and scripts of its own, so its policy allows those but still no other origin.

The one exception on reader pages is ``frame-src``: a video embed (gazette/newsroom/blocks.py)
becomes the provider's player in an iframe after the reader clicks "Load video". Allowing the
players' origins as frame sources lets no script of theirs run in our page (script-src stays
'self') and makes no request by itself: nothing from them loads until that click, which
creates the iframe. Opening the video in a new tab instead would keep frame-src 'none' but
take the reader away from the article; the link under the placeholder still does that.

HSTS is left out on onion hosts: an onion service is usually reached over plain HTTP (Tor
authenticates and encrypts it), and a pinned HTTPS policy there would lock readers out.
"""

from django.conf import settings

# The players a video embed may load after the reader's click (kept in step with
# gazette.newsroom.blocks.PLAYERS; tests/publishing/test_headers.py checks).
EMBED_FRAME_ORIGINS = ("https://www.youtube-nocookie.com", "https://player.vimeo.com")

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
        "frame-src " + " ".join(EMBED_FRAME_ORIGINS),
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


def reader_headers() -> list[tuple[str, str]]:
    """What Django's SecurityMiddleware and ours add to a reader page, for the read path."""
    return [
        ("Content-Security-Policy", READER_CSP),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", settings.SECURE_REFERRER_POLICY),
        ("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY),
        ("X-Frame-Options", settings.X_FRAME_OPTIONS),
    ]


def is_onion_host(host: str) -> bool:
    """Whether a Host header names an onion service ("x.onion", "x.onion:80", "x.onion.")."""
    host = host.strip().lower()
    if host.startswith("["):  # an IPv6 literal
        return False
    return host.rpartition(":")[0 if ":" in host else 2].rstrip(".").endswith(".onion")


def hsts_header() -> tuple[str, str] | None:
    if not settings.SECURE_HSTS_SECONDS:
        return None
    value = f"max-age={settings.SECURE_HSTS_SECONDS}"
    if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
        value += "; includeSubDomains"
    if settings.SECURE_HSTS_PRELOAD:
        value += "; preload"
    return ("Strict-Transport-Security", value)
