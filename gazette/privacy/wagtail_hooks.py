from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .admin_views import DataRequestsMenuItem, data_requests_view


# Data requests (admin_views.py): one person's data by email, across newsletters and donors.
@hooks.register("register_admin_urls")
def register_data_requests_url():
    return [path("data-requests/", data_requests_view, name="privacy_data_requests")]


@hooks.register("register_admin_menu_item")
def register_data_requests_menu_item():
    return DataRequestsMenuItem(
        _("Data requests"), reverse("privacy_data_requests"), icon_name="user", order=270
    )
