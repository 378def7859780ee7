from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .dashboard_views import FundraisingMenuItem, FundraisingView


# The Fundraising dashboard (dashboard_views.py).
@hooks.register("register_admin_urls")
def register_fundraising_url():
    return [path("fundraising/", FundraisingView.as_view(), name="support_fundraising")]


@hooks.register("register_admin_menu_item")
def register_fundraising_menu_item():
    return FundraisingMenuItem(
        _("Fundraising"), reverse("support_fundraising"), icon_name="table", order=450
    )
