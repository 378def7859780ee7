"""The five roles (gazette/accounts/roles.py) against the admin's real URLs and Wagtail's
permission checks: each role reaches what it should and is refused the rest."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from wagtail.images import get_image_model
from wagtail.permission_policies.collections import CollectionOwnershipPermissionPolicy

from gazette.accounts.roles import ROLES, apply_roles
from gazette.support.models import Donor
from tests.factories import sign_in_staff

pytestmark = pytest.mark.django_db


DONORS = "/admin/donor/"
FUNDRAISING = "/admin/fundraising/"
AUDIT_LOG = "/admin/audit-log/"
USERS = "/admin/users/"
GROUPS = "/admin/groups/"
ISSUES = "/admin/snippets/newsletters/issue/"
SUBSCRIBERS = "/admin/subscriber/"
NEWSROOM_SETTINGS = "/admin/settings/newsroom/newsroomsettings/"
SUPPORT_SETTINGS = "/admin/settings/support/supportsettings/"
IMAGES = "/admin/images/"


def member(role: str):
    user = get_user_model().objects.create_user(role.lower().replace(" ", "-"), password="pw")
    user.groups.add(Group.objects.get(name=role))
    return user


def client_for(user) -> Client:
    client = Client()
    sign_in_staff(client, user)
    return client


def status(client, path, method="get") -> int:
    """The answer's status, after redirects deeper into the same place (a site's
    settings go on to the default site's); a redirect anywhere else is the answer."""
    response = getattr(client, method)(path)
    while response.status_code == 302 and response["Location"].startswith(path):
        path = response["Location"]
        response = client.get(path)
    return response.status_code


def refused(client, path, method="get") -> bool:
    """Wagtail sends the refused back to the dashboard ("Sorry, you do not have
    permission"); some views answer 403."""
    response = getattr(client, method)(path)
    if response.status_code == 302:
        return response["Location"] == "/admin/"
    return response.status_code == 403


@pytest.fixture
def article(newsroom):
    return newsroom["lead"]


def test_the_roles_are_groups_made_by_the_migration():
    assert set(Group.objects.values_list("name", flat=True)) >= {role.name for role in ROLES}
    assert not Group.objects.filter(name="Moderators").exists()  # folded into Editors


def test_only_fundraising_sees_donors_superusers_aside():
    can_see = set(
        Group.objects.filter(
            permissions__content_type__app_label="support",
            permissions__codename="view_donor",
        ).values_list("name", flat=True)
    )
    assert can_see == {"Fundraising"}


def test_running_the_roles_again_puts_back_what_was_changed_by_hand():
    admins = Group.objects.get(name="Administrators")
    admins.permissions.add(Permission.objects.get(codename="view_donor"))
    before = Group.objects.count()
    apply_roles()
    apply_roles()
    assert Group.objects.count() == before
    assert not admins.permissions.filter(codename="view_donor").exists()
    assert admins.permissions.filter(codename="view_auditentry").exists()


def test_the_roles_command_resets_them_and_says_so_in_the_log():
    from io import StringIO

    from django.core.management import call_command

    from gazette.accounts.models import AuditEntry

    editors = Group.objects.get(name="Editors")
    editors.permissions.clear()
    out = StringIO()
    call_command("roles", stdout=out)
    assert "Roles set: Reporters, Editors" in out.getvalue()
    assert editors.permissions.filter(codename="access_admin").exists()
    assert AuditEntry.objects.get(action="accounts.roles_reset").actor_name.endswith(
        "(command line)"
    )


def test_reporter_writes_drafts_and_submits_them_but_cannot_publish(article):
    reporter = member("Reporters")
    client = client_for(reporter)
    tester = article.permissions_for_user(reporter)
    assert tester.can_edit()
    assert article.get_parent().permissions_for_user(reporter).can_add_subpage()
    assert not tester.can_publish() and not tester.can_unpublish()

    edit = client.get(f"/admin/pages/{article.pk}/edit/")
    assert edit.status_code == 200
    page = edit.content.decode()
    assert 'name="action-submit"' in page  # submit for moderation
    assert 'name="action-publish"' not in page
    parent = article.get_parent()
    assert status(client, f"/admin/pages/add/newsroom/articlepage/{parent.pk}/") == 200

    assert refused(client, f"/admin/pages/{article.pk}/unpublish/", "post")
    article.refresh_from_db()
    assert article.live
    for path in (DONORS, FUNDRAISING, AUDIT_LOG, USERS, GROUPS, ISSUES, SUBSCRIBERS):
        assert refused(client, path), path
    assert refused(client, NEWSROOM_SETTINGS)


def test_editor_publishes_unpublishes_and_manages_images(article):
    editor = member("Editors")
    client = client_for(editor)
    tester = article.permissions_for_user(editor)
    assert tester.can_publish() and tester.can_unpublish() and tester.can_lock()
    assert (
        'name="action-publish"' in client.get(f"/admin/pages/{article.pk}/edit/").content.decode()
    )
    assert status(client, IMAGES) == 200
    images = CollectionOwnershipPermissionPolicy(get_image_model())
    assert images.user_has_permission(editor, "delete")

    response = client.post(f"/admin/pages/{article.pk}/unpublish/")
    assert response.status_code == 302
    article.refresh_from_db()
    assert not article.live

    for path in (DONORS, FUNDRAISING, AUDIT_LOG, USERS, GROUPS, SUBSCRIBERS):
        assert refused(client, path), path


def test_newsletter_editor_makes_and_sends_issues_and_sees_subscribers(article):
    user = member("Newsletter editors")
    client = client_for(user)
    assert user.has_perm("newsletters.send_issue")
    assert status(client, ISSUES) == 200
    assert status(client, f"{ISSUES}add/") == 200
    assert status(client, SUBSCRIBERS) == 200
    assert not article.permissions_for_user(user).can_edit()
    assert refused(client, f"/admin/pages/{article.pk}/edit/")
    for path in (DONORS, FUNDRAISING, AUDIT_LOG, USERS, NEWSROOM_SETTINGS):
        assert refused(client, path), path


def test_fundraising_sees_donors_and_the_dashboard_and_nothing_of_the_newsroom(article):
    user = member("Fundraising")
    client = client_for(user)
    donor = Donor()
    donor.email = "giver@example.net"
    donor.save()
    assert status(client, DONORS) == 200
    assert status(client, f"{DONORS}inspect/{donor.pk}/") == 200
    assert status(client, FUNDRAISING) == 200
    assert status(client, SUPPORT_SETTINGS) == 200
    assert not article.permissions_for_user(user).can_edit()
    for path in (SUBSCRIBERS, ISSUES, AUDIT_LOG, USERS, GROUPS, NEWSROOM_SETTINGS):
        assert refused(client, path), path


def test_administrator_runs_people_settings_and_the_audit_log_but_sees_no_donor(article):
    user = member("Administrators")
    client = client_for(user)
    for path in (USERS, GROUPS, NEWSROOM_SETTINGS, SUPPORT_SETTINGS, AUDIT_LOG):
        assert status(client, path) == 200, path
    donor = Donor()
    donor.email = "giver@example.net"
    donor.save()
    for path in (DONORS, f"{DONORS}inspect/{donor.pk}/", f"{DONORS}data/{donor.pk}/"):
        assert refused(client, path), path
        assert b"giver@example.net" not in client.get(path, follow=True).content
    assert refused(client, FUNDRAISING)
    assert not article.permissions_for_user(user).can_publish()
    assert refused(client, SUBSCRIBERS)


def test_the_audit_log_is_refused_to_every_other_role_and_has_no_menu_item_for_them():
    for role in ("Reporters", "Editors", "Newsletter editors", "Fundraising"):
        client = client_for(member(role))
        # Wagtail turns the views' PermissionDenied into its "Sorry, you do not have
        # permission" redirect to the dashboard, as for every other refused admin page.
        for path in (AUDIT_LOG, AUDIT_LOG + "export/"):
            response = client.get(path)
            assert (response.status_code, response["Location"]) == (302, "/admin/"), role
        assert AUDIT_LOG not in client.get("/admin/").content.decode(), role
    admin = client_for(member("Administrators"))
    assert AUDIT_LOG in admin.get("/admin/").content.decode()


def test_a_superuser_sees_everything():
    root = get_user_model().objects.create_superuser("root", "root@lantern.example", "pw")
    client = client_for(root)
    for path in (DONORS, FUNDRAISING, AUDIT_LOG, USERS, SUBSCRIBERS, ISSUES):
        assert status(client, path) == 200, path
