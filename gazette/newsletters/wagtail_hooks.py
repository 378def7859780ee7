from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .subscriber_admin import subscriber_viewset
from .subscribers.erasure import LOG_ACTION


@hooks.register("register_admin_viewset")
def register_subscriber_viewset():
    return subscriber_viewset


@hooks.register("register_log_actions")
def register_erasure_log_action(actions):
    actions.register_action(LOG_ACTION, _("Erase"), _("Erased on request"))
