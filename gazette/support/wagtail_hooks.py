from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from gazette.publishing.building import schedule_site_build

from .dashboard_views import FundraisingMenuItem, FundraisingView
from .donor_admin import LOG_ACTION as DONOR_ERASE_ACTION
from .donor_admin import donor_viewset
from .models import SupportSettings


# The appeal is on every article page and its offer on the support page, so a change to
# the support settings rebuilds the stored site.
@hooks.register("after_edit_setting")
def rebuild_after_support_settings(request, instance):
    if isinstance(instance, SupportSettings):
        schedule_site_build()


# Donors (donor_admin.py): the list, a page per donor, export and erasure.
@hooks.register("register_admin_viewset")
def register_donor_viewset():
    return donor_viewset


@hooks.register("register_log_actions")
def register_donor_erase_action(actions):
    actions.register_action(DONOR_ERASE_ACTION, _("Erase donor"), _("Erased on request"))


# The Fundraising dashboard (dashboard_views.py).
@hooks.register("register_admin_urls")
def register_fundraising_url():
    return [path("fundraising/", FundraisingView.as_view(), name="support_fundraising")]


@hooks.register("register_admin_menu_item")
def register_fundraising_menu_item():
    return FundraisingMenuItem(
        _("Fundraising"), reverse("support_fundraising"), icon_name="table", order=450
    )
