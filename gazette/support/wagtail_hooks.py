from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .donor_admin import LOG_ACTION as DONOR_ERASE_ACTION
from .donor_admin import donor_viewset


# Donors (donor_admin.py): the list, a page per donor, export and erasure.
@hooks.register("register_admin_viewset")
def register_donor_viewset():
    return donor_viewset


@hooks.register("register_log_actions")
def register_donor_erase_action(actions):
    actions.register_action(DONOR_ERASE_ACTION, _("Erase donor"), _("Erased on request"))
