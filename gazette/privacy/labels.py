"""How audit entries name a person: never by their address (the log must not keep what an
erasure removed), but by a keyed hash of it, so that staff can see that an export and an
erasure concerned the same person. Kept free of other imports: every app audits with it."""

import hashlib
import hmac

from django.conf import settings


def request_label(address: str) -> str:
    """``address`` normalised (lower case, IDNA domain), as the apps store it."""
    mac = hmac.new(settings.SECRET_KEY.encode(), f"data-request:{address}".encode(), hashlib.sha256)
    return f"request {mac.hexdigest()[:12]}"
