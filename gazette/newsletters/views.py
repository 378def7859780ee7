"""The unsubscribe link of every newsletter: a page reached from the mail body, and the
RFC 8058 one-click POST that mail programs send from the List-Unsubscribe header.

The token in the address is the authority (the POST carries no cookie, and the reader has no
account), so the view is exempt from CSRF checks. A GET only shows a button: link scanners
fetch every address in a message, and must never unsubscribe anyone. The POST answers 200
itself, never a redirect (RFC 8058 section 3.2), and is idempotent.
"""

from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from .models import Subscription
from .tokens import unsubscribe_signer


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    ids = unsubscribe_signer().read(token, 2)
    subscription = None
    if ids:
        subscriber_id, newsletter_id = ids
        subscription = (
            Subscription.objects.select_related("newsletter")
            .filter(subscriber_id=subscriber_id, newsletter_id=newsletter_id)
            .first()
        )
    if subscription is None:
        return render(request, "newsletters/unsubscribe.html", {"invalid": True}, status=404)
    if request.method == "POST":
        subscription.unsubscribe()
    context = {"subscription": subscription, "newsletter": subscription.newsletter}
    return render(request, "newsletters/unsubscribe.html", context)
