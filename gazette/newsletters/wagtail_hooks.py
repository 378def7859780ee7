from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .admin_views import IssueViewSet

register_snippet(IssueViewSet)

# What the issue's history shows for each state change (actions.py logs them).
ISSUE_ACTIONS = {
    "schedule": (_("Schedule issue"), _("Scheduled")),
    "unschedule": (_("Unschedule issue"), _("Taken back to a draft")),
    "send_now": (_("Send issue now"), _("Sending started by hand")),
    "start": (_("Start issue"), _("Its time came: sending started")),
    "hold": (_("Hold issue"), _("Held: its time passed while no worker could start it")),
    "pause": (_("Pause issue"), _("Paused")),
    "resume": (_("Resume issue"), _("Resumed")),
    "sent": (_("Issue sent"), _("Sent to every recipient")),
    "test": (_("Test issue"), _("Test sent")),
}


@hooks.register("register_log_actions")
def register_issue_actions(actions):
    for name, (label, message) in ISSUE_ACTIONS.items():
        actions.register_action(f"newsletters.issue.{name}", label, message)
