"""The issues in the Wagtail admin: composing (a snippet, with Wagtail's live preview of the
email as HTML and as plain text), and an issue's sending page: preview of the saved issue,
test send, schedule, send now, pause, resume, progress. Each button calls one function of
``actions``; the views only read forms and report."""

import re

from django import forms
from django.contrib.admin.utils import quote
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import AdminDateTimeInput
from wagtail.admin.widgets.button import Button
from wagtail.snippets.views.snippets import DeleteView, EditView, IndexView, SnippetViewSet

from . import actions
from .messages import preview_parts
from .models import Delivery, Issue
from .scheduling import default_send_at
from .sending import progress

MAX_TRIAL_RECIPIENTS = 20


class ScheduleForm(forms.Form):
    send_at = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        widget=AdminDateTimeInput,
        help_text=gettext_lazy("In the newsroom's time zone."),
    )

    def clean_send_at(self):
        send_at = self.cleaned_data["send_at"]
        if send_at <= timezone.now():
            raise ValidationError(_("That time has passed: choose a time in the future."))
        return send_at


class TrialForm(forms.Form):
    addresses = forms.CharField(
        label=gettext_lazy("Send a test to"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Staff addresses, one a line. The subject is marked [Test]; no subscriber gets it."
        ),
    )

    def clean_addresses(self):
        addresses = [a for a in re.split(r"[\s,;]+", self.cleaned_data["addresses"]) if a]
        if len(addresses) > MAX_TRIAL_RECIPIENTS:
            raise ValidationError(
                _("At most %(count)d addresses at a time.") % {"count": MAX_TRIAL_RECIPIENTS}
            )
        problems, checked = [], []
        for address in addresses:
            try:
                checked.append(actions.check_trial_recipient(address))
            except (actions.Refused, ValidationError) as error:
                problems.append(
                    str(error)
                    if isinstance(error, actions.Refused)
                    else f"{address}: {error.messages[0]}"
                )
        if problems:
            raise ValidationError(problems)
        if not checked:
            raise ValidationError(_("Give at least one address to send the test to."))
        return checked


class IssueEditView(EditView):
    """Once a send has begun, every recipient must get the same issue: editing ends there,
    and the editor is taken to the sending page."""

    def dispatch(self, request, *args, **kwargs):
        issue = get_object_or_404(Issue, pk=kwargs["pk"])
        if not issue.is_editable:
            messages.warning(
                request,
                _("“%(subject)s” is %(status)s and can no longer be changed.")
                % {"subject": issue.subject, "status": issue.get_status_display().lower()},
            )
            return redirect(sending_url(issue))
        return super().dispatch(request, *args, **kwargs)

    def get_header_more_buttons(self):
        return [
            Button(_("Preview, test and send"), url=sending_url(self.object), icon_name="mail"),
            *super().get_header_more_buttons(),
        ]


class IssueDeleteView(DeleteView):
    """Sent issues stay: they are the archive and the record of who got what."""

    def dispatch(self, request, *args, **kwargs):
        issue = get_object_or_404(Issue, pk=kwargs["pk"])
        if not issue.is_editable:
            messages.error(request, _("An issue that has begun sending cannot be deleted."))
            return redirect(sending_url(issue))
        return super().dispatch(request, *args, **kwargs)


class IssueIndexView(IndexView):
    def get_list_more_buttons(self, instance):
        return [
            MenuItem(_("Preview, test and send"), url=sending_url(instance), icon_name="mail"),
            *super().get_list_more_buttons(instance),
        ]


def sending_url(issue: Issue) -> str:
    return reverse("wagtailsnippets_newsletters_issue:sending", args=[quote(issue.pk)])


class SendingView(WagtailAdminTemplateMixin, TemplateView):
    """An issue's sending page: GET shows it, POST does one action."""

    template_name = "newsletters/admin/issue_sending.html"
    header_icon = "mail"
    allowed_actions = ("schedule", "unschedule", "send_now", "pause", "resume", "test")

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(actions.EDIT):
            raise PermissionDenied
        self.issue = get_object_or_404(Issue.objects.select_related("newsletter"), pk=kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return _("Sending")

    def get_page_subtitle(self):
        return self.issue.subject

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse("wagtailsnippets_newsletters_issue:list"), "label": _("Issues")},
            {"url": "", "label": self.issue.subject},
        ]

    def get_context_data(self, *, schedule_form=None, trial_form=None, **kwargs):
        issue, user = self.issue, self.request.user
        started = issue.status in (Issue.Status.SENDING, Issue.Status.PAUSED, Issue.Status.SENT)
        started = started or Delivery.objects.filter(issue=issue).exists()
        upcoming = issue.send_at if issue.send_at and issue.send_at > timezone.now() else None
        queued = issue.status == Issue.Status.SCHEDULED and issue.queued_at is not None
        context = super().get_context_data(**kwargs)
        context.update(
            issue=issue,
            can_send=user.has_perm(actions.SEND),
            held=actions.held_explanation(issue),
            queued=queued,
            progress=progress(issue) if started else None,
            schedule_form=schedule_form
            or ScheduleForm(initial={"send_at": upcoming or default_send_at()}),
            trial_form=trial_form
            or TrialForm(initial={"addresses": "\n".join(actions.default_trial_recipients(user))}),
            edit_url=reverse("wagtailsnippets_newsletters_issue:edit", args=[quote(issue.pk)]),
            html_url=reverse("wagtailsnippets_newsletters_issue:email", args=[issue.pk, "html"]),
            text_url=reverse("wagtailsnippets_newsletters_issue:email", args=[issue.pk, "text"]),
            web_path=issue.newsletter.issue_path(issue),
            refresh=queued or issue.status == Issue.Status.SENDING,  # follow it as it goes
        )
        return context

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action")
        if action not in self.allowed_actions:
            messages.error(request, _("Unknown action."))
            return redirect(sending_url(self.issue))
        try:
            if action == "schedule":
                form = ScheduleForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(schedule_form=form), status=400
                    )
                actions.schedule(
                    self.issue, user=request.user, send_at=form.cleaned_data["send_at"]
                )
                messages.success(request, _("Scheduled."))
            elif action == "test":
                form = TrialForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(
                        self.get_context_data(trial_form=form), status=400
                    )
                self._trial(form.cleaned_data["addresses"])
            else:
                getattr(actions, action)(self.issue, user=request.user)
                messages.success(request, DONE[action])
        except actions.Refused as refusal:
            messages.error(request, str(refusal))
        return redirect(sending_url(self.issue))

    def _trial(self, addresses: list[str]) -> None:
        try:
            results = actions.send_test(self.issue, user=self.request.user, addresses=addresses)
        except ImproperlyConfigured as error:
            messages.error(self.request, str(error))
            return
        for result in results:
            if result.sent:
                messages.success(
                    self.request, _("Test sent to %(address)s.") % {"address": result.address}
                )
            else:
                messages.error(
                    self.request,
                    _("The test to %(address)s was not accepted: %(response)s")
                    % {"address": result.address, "response": result.response},
                )


DONE = {
    "unschedule": gettext_lazy("Taken back to a draft: it will not be sent until scheduled again."),
    "send_now": gettext_lazy("Sending has started: a worker is preparing the deliveries."),
    "pause": gettext_lazy("Paused: workers finish the messages in hand and stop."),
    "resume": gettext_lazy("Resumed: a worker goes on with the send."),
}


def email_view(request, pk, mode: str):
    """The saved issue's email, as the sending page's preview frames it."""
    if not request.user.has_perm(actions.EDIT):
        raise PermissionDenied
    issue = get_object_or_404(Issue.objects.select_related("newsletter"), pk=pk)
    html, text = preview_parts(issue)
    if mode == "text":
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    return HttpResponse(html)


class IssueViewSet(SnippetViewSet):
    model = Issue
    icon = "mail"
    menu_label = gettext_lazy("Newsletter issues")
    menu_name = "newsletter-issues"
    add_to_admin_menu = True
    menu_order = 250
    list_display = ["subject", "newsletter", "status", "send_at"]
    list_filter = ["newsletter", "status"]
    index_view_class = IssueIndexView
    edit_view_class = IssueEditView
    delete_view_class = IssueDeleteView

    def get_urlpatterns(self):
        return [
            *super().get_urlpatterns(),
            path("sending/<int:pk>/", SendingView.as_view(), name="sending"),
            path("email/<int:pk>/<str:mode>/", email_view, name="email"),
        ]
