"""The beacon's endpoint: POST /insights/hit with the page's path as the body (text/plain,
as navigator.sendBeacon sends a string). It answers 204 with no body and sets no cookie,
whether or not the view was counted, so the answer tells a visitor nothing."""

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from gazette.clients import client_address
from gazette.ratelimits import over_limit

from .counting import record_hit

MAX_PATH = 1000  # StoredPage.path's length


class BadHit(ValueError):
    pass


def parse_path(body: bytes) -> str:
    """The path a beacon sent, as ``location.pathname`` gives it; BadHit if it is not one."""
    if len(body) > MAX_PATH:
        raise BadHit(_("The path is longer than %(max)s characters.") % {"max": MAX_PATH})
    try:
        path = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise BadHit(_("Send the page's path as UTF-8 text.")) from error
    if not path.startswith("/"):
        raise BadHit(_("Send the page's path, starting with “/”, as the request's body."))
    if any(char.isspace() or not char.isprintable() or char in "?#" for char in path):
        raise BadHit(_("Send only the page's path: no query, fragment, spaces or controls."))
    return path


def plain(message: str, status: int) -> HttpResponse:
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


# Exempt from CSRF checks, which rest on a cookie that reader pages never set. A page on
# another site cannot add views: browsers say where a request comes from (Sec-Fetch-Site).
@csrf_exempt
@require_POST
def hit(request):
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return plain(_("Page views are counted only from this site's own pages."), 403)
    # The reader asked not to be tracked; the beacon does not send then, but an older copy
    # of it might.
    if request.headers.get("Sec-GPC") == "1" or request.headers.get("DNT") == "1":
        return HttpResponse(status=204)
    try:
        path = parse_path(request.body)
    except BadHit as error:
        return plain(str(error), 400)
    address = client_address(request)
    if over_limit(
        prefix="insights",
        client_address=address,
        window=settings.GAZETTE_INSIGHTS_WINDOW,
        per_client=settings.GAZETTE_INSIGHTS_PER_CLIENT,
        overall=settings.GAZETTE_INSIGHTS_GLOBAL,
    ):
        return plain(_("Too many page views at once; this one was not counted."), 429)
    record_hit(
        path=path,
        client_address=address,
        user_agent=request.headers.get("User-Agent", ""),
        host=request.headers.get("Host", ""),
    )
    return HttpResponse(status=204)
