"""Wagtail's users app, with a group editor that records permission changes.

Listed in INSTALLED_APPS in place of ``wagtail.users``. Wagtail has no hook around a
group's edit (it has ``before_edit_user``/``after_edit_user`` for users), and its log
entry for a group names no permission; the viewset is its documented way in.
"""

from wagtail.users.apps import WagtailUsersAppConfig


class UsersConfig(WagtailUsersAppConfig):
    group_viewset = "gazette.accounts.group_views.GroupViewSet"
