"""The admin's Data requests page: look up an email address, export everything held about
it, or erase it from the newsletters and the donations, after a confirmation.

Everything goes by POST, so that the address never sits in a URL (server logs, browser
history). Seeing the page and exporting needs the view permissions on both subscribers and
donors; erasing needs the delete permissions on both (Settings > Groups). The work and the
audit entries are in ``requests``, shared with `gazette data`.
"""

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem

from . import requests

VIEW = ("newsletters.view_subscriber", "support.view_donor")
ERASE = ("newsletters.delete_subscriber", "support.delete_donor")


def can_view(user) -> bool:
    return user.is_active and user.has_perms(VIEW)


def can_erase(user) -> bool:
    return can_view(user) and user.has_perms(ERASE)


class DataRequestsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view(request.user)


class AddressForm(forms.Form):
    email = forms.CharField(label=_("Email address"), max_length=254)

    def clean_email(self):
        return requests.clean_address(self.cleaned_data["email"])


def _summary(data: dict) -> dict:
    """Counts of what is held, for the page (the export has the details)."""
    news = data["newsletters"] or {}
    donations = data["donations"] or {}
    return {
        "subscriber": bool(news.get("subscriber")),
        "subscriptions": len(news.get("subscriptions", [])),
        "deliveries": len(news.get("deliveries", [])),
        "bounces": len(news.get("bounces", [])),
        "suppressed": bool(news.get("suppression")),
        "erased_before": bool(news.get("erased")),
        "donor": bool(donations.get("donor")),
        "gifts": len(donations.get("gifts", [])),
        "anything": requests.holds_anything(data),
    }


def data_requests_view(request):
    if not can_view(request.user):
        raise PermissionDenied
    context = {"page_title": _("Data requests"), "can_erase": can_erase(request.user)}
    if request.method != "POST":
        context["form"] = AddressForm()
        return render(request, "privacy/admin/data_requests.html", context)
    form = AddressForm(request.POST)
    context["form"] = form
    if not form.is_valid():
        return render(request, "privacy/admin/data_requests.html", context, status=400)
    address = form.cleaned_data["email"]
    action = request.POST.get("action", "lookup")
    if action == "export":
        data = requests.export_person(address, request=request, via="admin")
        response = HttpResponse(
            json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
        )
        name = f"data-request-{timezone.localdate()}.json"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
    if action in ("erase", "erase-confirmed") and not context["can_erase"]:
        raise PermissionDenied
    if action == "erase-confirmed":
        result = requests.erase_person(address, request=request, via="admin")
        context["erasure"] = result
        context["form"] = AddressForm()
        if result.problems:
            messages.error(request, _("Part of the data could not be erased; see below."))
        else:
            # Without the address: messages may be kept in a cookie or the session.
            messages.success(request, _("The address was erased."))
        return render(request, "privacy/admin/data_requests.html", context)
    context["address"] = address
    context["summary"] = _summary(requests.gather(address))
    context["confirming"] = action == "erase"
    return render(request, "privacy/admin/data_requests.html", context)
