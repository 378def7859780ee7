"""Group add and edit views that put the permissions gained and lost in the audit log."""

from wagtail.users.views import groups

from .audit import record

ACTION = "accounts.group_permissions_changed"


def permissions_of(group) -> set[str]:
    """Every permission the group holds, as plain strings (which stay readable in the
    log after the page, collection or permission is gone)."""
    if group.pk is None:
        return set()
    held = {
        f"{app_label}.{codename}"
        for app_label, codename in group.permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    for page_id, title, codename in group.page_permissions.values_list(
        "page_id", "page__title", "permission__codename"
    ):
        held.add(f"{codename} on page {page_id} ({title})")
    for collection_id, name, codename in group.collection_permissions.values_list(
        "collection_id", "collection__name", "permission__codename"
    ):
        held.add(f"{codename} in collection {collection_id} ({name})")
    return held


class AuditedMixin:
    def process_form(self):
        before = permissions_of(self.object)
        response = super().process_form()
        after = permissions_of(self.object)
        if after != before:
            record(
                ACTION,
                request=self.request,
                target=self.object,
                data={"added": sorted(after - before), "removed": sorted(before - after)},
            )
        return response


class CreateView(AuditedMixin, groups.CreateView):
    pass


class EditView(AuditedMixin, groups.EditView):
    pass


class GroupViewSet(groups.GroupViewSet):
    add_view_class = CreateView
    edit_view_class = EditView
