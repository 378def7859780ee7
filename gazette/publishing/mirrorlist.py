"""The list of the site's other addresses, for readers and for apps: /mirrors.json, the
footer of every page, and the Onion-Location header (https://community.torproject.org/
onion-services/advanced/onion-location/)."""

import json

from django.conf import settings
from django.http import HttpResponse

from .models import Mirror


def active_mirrors() -> list[Mirror]:
    return list(Mirror.objects.filter(active=True))


def mirrors_json(request) -> HttpResponse:
    document = {
        "primary": settings.GAZETTE_BASE_URL + "/",
        "mirrors": [mirror.as_json() for mirror in active_mirrors()],
    }
    return HttpResponse(json.dumps(document, indent=2), content_type="application/json")


def onion_address(document: bytes) -> str | None:
    """The first onion service in a /mirrors.json document, without a trailing slash."""
    try:
        mirrors = json.loads(document)["mirrors"]
    except (ValueError, KeyError, TypeError):
        return None
    for mirror in mirrors:
        if mirror.get("kind") == Mirror.Kind.ONION:
            return mirror["address"].rstrip("/")
    return None
