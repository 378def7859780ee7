"""The audit log in the admin (Settings > Audit log): a filtered list, and the same list
as CSV. Both need ``accounts.view_auditentry`` (Administrators and superusers)."""

import csv

from django import forms
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .audit import record
from .labels import choices
from .models import AuditEntry

PERMISSION = "accounts.view_auditentry"
PER_PAGE = 50


def can_view(user) -> bool:
    return user.is_active and user.has_perm(PERMISSION)  # True for superusers too


class FilterForm(forms.Form):
    who = forms.CharField(label=_("Who"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False)
    since = forms.DateField(
        label=pgettext_lazy("date range", "From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = forms.DateField(
        label=pgettext_lazy("date range", "To"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Any action")), *choices()]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def entries(self):
        if not self.is_valid():
            return AuditEntry.objects.none()
        return AuditEntry.objects.matching(**self.cleaned_data)


def index(request):
    if not can_view(request.user):
        raise PermissionDenied
    form = FilterForm(request.GET or None)
    entries = form.entries() if form.is_bound else AuditEntry.objects.all()
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("p"))
    query = request.GET.copy()
    query.pop("p", None)
    return render(
        request,
        "accounts/audit_log.html",
        {
            "page_title": _("Audit log"),
            "header_icon": "list-ul",
            "form": form,
            "page_obj": page,
            "query": query.urlencode(),
        },
    )


CSV_COLUMNS = ("at", "actor_name", "action", "target_type", "target_id", "target_label", "ip")


def export(request):
    """The filtered list as CSV; the export is itself an entry."""
    if not can_view(request.user):
        raise PermissionDenied
    form = FilterForm(request.GET or None)
    entries = form.entries() if form.is_bound else AuditEntry.objects.all()
    filters = (
        {key: str(value) for key, value in (form.cleaned_data or {}).items() if value}
        if form.is_bound and form.is_valid()
        else {}
    )
    record("accounts.audit_exported", request=request, data={"filters": filters})
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"audit-log-{timezone.localdate()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow([*CSV_COLUMNS, "action_label", "details"])
    for entry in entries.iterator():
        row = [getattr(entry, column) for column in CSV_COLUMNS]
        row[0] = timezone.localtime(entry.at).isoformat()
        writer.writerow([*(_cell(value) for value in row), entry.action_label, entry.data])
    return response


def _cell(value) -> str:
    """A spreadsheet must not run a cell as a formula (a username or page title can start
    with "=")."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
