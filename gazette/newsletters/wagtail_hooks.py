from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet

from .admin_views import IssueViewSet
from .subscriber_admin import subscriber_viewset
from .subscribers.erasure import LOG_ACTION

register_snippet(IssueViewSet)


@hooks.register("register_admin_viewset")
def register_subscriber_viewset():
    return subscriber_viewset


@hooks.register("register_log_actions")
def register_erasure_log_action(actions):
    actions.register_action(LOG_ACTION, _("Erase"), _("Erased on request"))


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
