from wagtail import hooks

from gazette.publishing.building import schedule_site_build

from .models import SupportSettings


# The appeal is on every article page and its offer on the support page, so a change to
# the support settings rebuilds the stored site.
@hooks.register("after_edit_setting")
def rebuild_after_support_settings(request, instance):
    if isinstance(instance, SupportSettings):
        schedule_site_build()
