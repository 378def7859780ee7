from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks

from .admin_views import InsightsMenuItem, InsightsView


@hooks.register("register_admin_urls")
def register_insights_url():
    return [path("insights/", InsightsView.as_view(), name="insights")]


@hooks.register("register_admin_menu_item")
def register_insights_menu_item():
    return InsightsMenuItem(_("Insights"), reverse("insights"), icon_name="view", order=460)


# Offered in Settings > Groups, so that a role can be given the Insights page.
@hooks.register("register_permissions")
def register_insights_permission():
    from django.contrib.auth.models import Permission

    return Permission.objects.filter(content_type__app_label="insights", codename="view_insights")
