"""The newsroom's roles, as Wagtail groups (Settings > Groups).

| role               | may                                                              |
|--------------------|------------------------------------------------------------------|
| Reporters          | write and edit pages as drafts, submit them for moderation,      |
|                    | add and choose images and documents; never publish               |
| Editors            | all a reporter may, and publish, unpublish, schedule, lock pages; |
|                    | approve submissions; manage images, documents and authors        |
| Newsletter editors | make, schedule, send and pause issues; see and erase subscribers |
| Fundraising        | see donors and the fundraising dashboard, erase donors, set the  |
|                    | appeal's amounts (Settings > Support)                            |
| Administrators     | users, groups, site settings, mirrors, the audit log             |

Donor data is seen by Fundraising and by superusers, nobody else: Administrators do not
get ``support.view_donor``. An Administrator can still add someone (themselves too) to
Fundraising, as they manage all roles; that change is in the audit log.

``apply_roles`` sets each group's permissions to exactly the list below, so running it
again (migration 0003, or ``gazette roles``) puts back whatever was changed by hand.
Wagtail's own "Moderators" group is folded into Editors: its moderation task is given to
Editors, and it is deleted if nobody is in it.
"""

from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.db import transaction
from django.utils.translation import gettext_noop

ACCESS_ADMIN = "wagtailadmin.access_admin"


@dataclass(frozen=True)
class Role:
    name: str
    permissions: tuple[str, ...] = ()
    pages: tuple[str, ...] = field(default=())  # page permission codenames, from the root
    collections: tuple[str, ...] = field(default=())  # image/document ones, from the root


IMAGES_AND_DOCUMENTS = tuple(
    f"{action}_{kind}"
    for kind in ("image", "document")
    for action in ("add", "change", "delete", "choose")
)

REPORTER = Role(
    gettext_noop("Reporters"),
    permissions=(ACCESS_ADMIN, "newsroom.view_author"),
    pages=("add_page", "change_page"),
    collections=("add_image", "choose_image", "add_document", "choose_document"),
)
EDITOR = Role(
    gettext_noop("Editors"),
    permissions=(
        ACCESS_ADMIN,
        "newsroom.add_author",
        "newsroom.change_author",
        "newsroom.delete_author",
        "newsroom.view_author",
        "insights.view_insights",
    ),
    pages=("add_page", "change_page", "publish_page", "lock_page", "unlock_page"),
    collections=IMAGES_AND_DOCUMENTS,
)
NEWSLETTER_EDITOR = Role(
    gettext_noop("Newsletter editors"),
    permissions=(
        ACCESS_ADMIN,
        "newsletters.add_issue",
        "newsletters.change_issue",
        "newsletters.delete_issue",
        "newsletters.view_issue",
        "newsletters.send_issue",
        "newsletters.view_subscriber",
        "newsletters.delete_subscriber",
    ),
)
FUNDRAISING = Role(
    gettext_noop("Fundraising"),
    permissions=(
        ACCESS_ADMIN,
        "support.view_donor",
        "support.delete_donor",
        "support.view_fundraising",
        "support.change_supportsettings",
    ),
)
ADMINISTRATOR = Role(
    gettext_noop("Administrators"),
    permissions=(
        ACCESS_ADMIN,
        "auth.add_user",
        "auth.change_user",
        "auth.delete_user",
        "auth.add_group",
        "auth.change_group",
        "auth.delete_group",
        "newsroom.change_newsroomsettings",
        "support.change_supportsettings",
        "publishing.add_mirror",
        "publishing.change_mirror",
        "publishing.delete_mirror",
        "wagtailcore.add_site",
        "wagtailcore.change_site",
        "wagtailcore.delete_site",
        "accounts.view_auditentry",
        "insights.view_insights",
    ),
)
ROLES = (REPORTER, EDITOR, NEWSLETTER_EDITOR, FUNDRAISING, ADMINISTRATOR)


def apply_roles(apps=global_apps) -> None:
    """Create the groups or put their permissions right. ``apps``: a migration's."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    def permission(name: str):
        app_label, codename = name.split(".")
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)

    root_page = Page.objects.filter(depth=1).first()
    root_collection = Collection.objects.filter(depth=1).first()
    with transaction.atomic():
        for role in ROLES:
            group, _ = Group.objects.get_or_create(name=role.name)
            group.permissions.set([permission(name) for name in role.permissions])
            GroupPagePermission.objects.filter(group=group).delete()
            if root_page is not None:
                for codename in role.pages:
                    GroupPagePermission.objects.create(
                        group=group,
                        page=root_page,
                        permission=permission(f"wagtailcore.{codename}"),
                    )
            GroupCollectionPermission.objects.filter(group=group).delete()
            if root_collection is not None:
                for codename in role.collections:
                    app_label = "wagtailimages" if codename.endswith("image") else "wagtaildocs"
                    GroupCollectionPermission.objects.create(
                        group=group,
                        collection=root_collection,
                        permission=permission(f"{app_label}.{codename}"),
                    )
        _fold_moderators_into_editors(apps, Group.objects.get(name=EDITOR.name))


def _fold_moderators_into_editors(apps, editors) -> None:
    Group = apps.get_model("auth", "Group")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    moderators = Group.objects.filter(name="Moderators").first()
    if moderators is None:
        return
    for task in GroupApprovalTask.objects.filter(groups=moderators):
        task.groups.remove(moderators)
        task.groups.add(editors)
    if not moderators.user_set.exists():
        moderators.delete()
