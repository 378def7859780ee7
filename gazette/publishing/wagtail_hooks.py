from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from .building import schedule_site_build
from .models import Mirror


class MirrorViewSet(SnippetViewSet):
    model = Mirror
    icon = "site"
    menu_label = _("Mirrors")
    list_display = ["address", "kind", "active"]
    add_to_settings_menu = True


register_snippet(MirrorViewSet)


# Every page's footer lists the mirrors, so a change to the list rebuilds the site.
@hooks.register("after_create_snippet")
@hooks.register("after_edit_snippet")
@hooks.register("after_delete_snippet")
def rebuild_after_mirror_change(request, instances):
    changed = instances if isinstance(instances, list | tuple) else [instances]
    if any(isinstance(instance, Mirror) for instance in changed):
        schedule_site_build()
