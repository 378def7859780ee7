"""Each action of issue #6 item 3 leaves an entry: publish and unpublish (by hand and by
the worker's clock), a user's roles and a group's permissions changed in the admin,
settings, newsletter sends, exports and erasures from the admin and the command line,
sign-ins. No entry holds a subscriber's or donor's address."""

import json
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from wagtail.log_actions import log

from gazette.accounts.models import AuditEntry
from gazette.newsletters import actions
from gazette.publishing.scheduling import publish_due_pages
from gazette.support.models import Donor
from tests.accounts.signin_helpers import VERIFY, totp_token
from tests.factories import make_article, second_factor, sign_in_staff
from tests.newsletters.conftest import make_issue, make_newsletter, make_subscribers
from tests.support.giving import give

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse 42"


def member(username: str, role: str):
    user = get_user_model().objects.create_user(username, password=PASSWORD)
    user.groups.add(Group.objects.get(name=role))
    return user


def signed_in(user) -> Client:
    client = Client()
    sign_in_staff(client, user)
    return client


def entries(action: str):
    return AuditEntry.objects.filter(action=action)


def whole_log() -> str:
    return json.dumps(list(AuditEntry.objects.values()), default=str)


def test_publish_and_unpublish_by_hand_name_the_editor(newsroom):
    editor = member("vera", "Editors")
    article = make_article(
        newsroom["news"], "Court rules", authors=[newsroom["authors"]["anna"]], publish=False
    )
    article.save_revision(user=editor).publish(user=editor)
    signed_in(editor).post(f"/admin/pages/{article.pk}/unpublish/")

    for action in ("wagtail.publish", "wagtail.unpublish"):
        entry = entries(action).get(target_id=str(article.pk))
        assert (entry.actor_id, entry.actor_name) == (editor.pk, "vera")
        assert (entry.target_type, entry.target_id) == ("newsroom.articlepage", str(article.pk))
        assert entry.target_label == "Court rules"
    assert entries("wagtail.unpublish").get(target_id=str(article.pk)).action_label == "Unpublish"


def test_the_worker_publishing_on_schedule_is_the_system(newsroom):
    editor = member("vera", "Editors")
    article = make_article(
        newsroom["news"], "Verdict at noon", authors=[newsroom["authors"]["anna"]], publish=False
    )
    article.go_live_at = timezone.now() + timedelta(seconds=60)
    article.save_revision(user=editor).publish(user=editor)
    assert entries("wagtail.publish.schedule").get().actor_name == "vera"
    with time_machine.travel(timedelta(seconds=61)):
        assert publish_due_pages()
    entry = entries("wagtail.publish.scheduled").get()
    assert entry.actor_id is None and entry.actor_name == ""
    assert entry.target_id == str(article.pk)


def test_a_users_roles_changed_in_the_admin(db):
    admin = member("olga", "Administrators")
    reporter = member("ivan", "Reporters")
    response = signed_in(admin).post(
        f"/admin/users/edit/{reporter.pk}/",
        {
            "username": "ivan",
            "email": "ivan@lantern.example",
            "first_name": "Ivan",
            "last_name": "S",
            "is_active": "on",
            "groups": [Group.objects.get(name="Editors").pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = entries("accounts.roles_changed").get()
    assert entry.actor_name == "olga" and entry.target_label == "ivan"
    assert entry.data == {"added": ["Editors"], "removed": ["Reporters"]}
    assert entries("wagtail.edit").get().target_type == "auth.user"


def test_a_groups_permissions_changed_in_the_admin(db):
    from gazette.accounts.group_views import permissions_of

    admin = member("olga", "Administrators")
    group = Group.objects.get(name="Fundraising")
    before = permissions_of(group)
    # The form as the page shows it, sent back with one box unticked.
    client = signed_in(admin)
    page = client.get(f"/admin/groups/edit/{group.pk}/")
    assert page.status_code == 200
    data = _form_data(page)
    checkbox = str(Permission.objects.get(codename="delete_donor").pk)
    data["permissions"] = [value for value in data["permissions"] if value != checkbox]
    response = client.post(f"/admin/groups/edit/{group.pk}/", data)
    assert response.status_code == 302
    entry = entries("accounts.group_permissions_changed").get()
    assert entry.data == {"added": [], "removed": ["support.delete_donor"]}
    assert entry.target_label == "Fundraising" and entry.actor_name == "olga"
    assert permissions_of(group) == before - {"support.delete_donor"}


def _form_data(response) -> dict:
    """The values a browser would send back from the page's first form with a POST."""
    from html.parser import HTMLParser

    data: dict[str, list] = {}

    class Fields(HTMLParser):
        select = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            name = attrs.get("name")
            if tag == "input" and name:
                kind = attrs.get("type", "text")
                if kind in ("checkbox", "radio") and "checked" not in attrs:
                    return
                if kind in ("submit", "button", "file"):
                    return
                data.setdefault(name, []).append(attrs.get("value", "on"))
            elif tag == "select" and name:
                self.select = name
                data.setdefault(name, [])
            elif tag == "option" and self.select and "selected" in attrs:
                data[self.select].append(attrs.get("value", ""))
            elif tag == "textarea" and name:
                data.setdefault(name, []).append("")

        def handle_endtag(self, tag):
            if tag == "select":
                self.select = None

    Fields().feed(response.content.decode())
    data.setdefault("permissions", [])
    return data


def test_settings_changes_are_copied_from_wagtails_history(newsroom):
    from gazette.newsroom.models import NewsroomSettings

    admin = member("olga", "Administrators")
    settings = NewsroomSettings.objects.get()
    log(settings, "wagtail.edit", user=admin)
    entry = entries("wagtail.edit").get()
    assert entry.target_type == "newsroom.newsroomsettings" and entry.actor_name == "olga"


def test_newsletter_schedule_and_send_and_test_sends_without_addresses(newsroom):
    editor = member("nina", "Newsletter editors")
    newsletter = make_newsletter()
    make_subscribers(newsletter, 2)
    issue = make_issue(newsletter, [newsroom["lead"]])
    actions.schedule(issue, user=editor, send_at=timezone.now() + timedelta(hours=1))
    entry = entries("newsletters.issue.schedule").get()
    assert entry.actor_name == "nina" and entry.target_id == str(issue.pk)
    assert entry.action_label == "Schedule issue"
    # A test send's entry lists the addresses it went to: staff's, but no address is kept.
    log(issue, "newsletters.issue.test", user=editor, data={"addresses": ["nina@lantern.example"]})
    assert entries("newsletters.issue.test").get().data == {"addresses": ["(address removed)"]}
    assert "@lantern.example" not in whole_log()


def test_subscriber_export_and_erasure_in_the_admin_are_kept_by_id(db):
    editor = member("nina", "Newsletter editors")
    newsletter = make_newsletter()
    reader = make_subscribers(newsletter, 1)[0]
    client = signed_in(editor)
    assert client.get(f"/admin/subscriber/data/{reader.pk}/").status_code == 200
    assert client.post(f"/admin/subscriber/delete/{reader.pk}/").status_code == 302
    exported = entries("privacy.export").get()
    erased = entries("gazette_newsletters.erase").get()
    for entry in (exported, erased):
        assert entry.actor_name == "nina"
        assert (entry.target_type, entry.target_id) == ("newsletters.subscriber", str(reader.pk))
        assert entry.target_label == f"subscriber {reader.pk}"
    assert "reader0" not in whole_log()


def test_command_line_exports_and_erasures(db):
    newsletter = make_newsletter()
    make_subscribers(newsletter, 1)
    give("vera@example.org")
    donor_id = Donor.objects.get().pk
    out = StringIO()
    call_command("newsletter", "export", "--email", "reader0@example.net", stdout=out)
    call_command("newsletter", "export", "--newsletter", "weekly", stdout=out)
    call_command("newsletter", "erase", "reader0@example.net", "--yes", "--by", "ops", stdout=out)
    call_command("support", "export", "vera@example.org", stdout=out)
    call_command("support", "erase", "vera@example.org", stdout=out)
    for action, count in (("privacy.export", 2), ("privacy.export_list", 1), ("privacy.erase", 2)):
        found = entries(action)
        assert found.count() == count, action
        assert all(entry.actor_name.endswith("(command line)") for entry in found), action
    assert entries("gazette_newsletters.erase").get().actor_name == "ops (command line)"
    erased_donor = entries("privacy.erase").get(target_type="support.donor")
    assert erased_donor.target_label == f"donor {donor_id}"
    log = whole_log()
    assert "reader0" not in log and "vera" not in log


def test_donor_export_and_erasure_in_the_admin(db):
    give("vera@example.org")
    donor = Donor.objects.get()
    client = signed_in(member("fay", "Fundraising"))
    assert client.get(f"/admin/donor/data/{donor.pk}/").status_code == 200
    assert entries("privacy.export").get().target_label == f"donor {donor.pk}"
    assert "vera" not in whole_log()


def test_sign_ins_that_worked_and_failed_with_the_address_they_came_from(db):
    olga = member("olga", "Administrators")
    device = second_factor(olga)
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.post("/admin/login/", {"username": "olga", "password": "wrong"})
    client.post("/admin/login/", {"username": "olga", "password": PASSWORD})
    client.post(VERIFY, {"method": "totp", "token": totp_token(device), "next": "/admin/"})
    failed, worked = entries("accounts.sign_in_failed").get(), entries("accounts.sign_in").get()
    assert failed.actor_name == "olga" and failed.actor_id is None
    assert worked.actor_name == "olga" and worked.actor_id is not None
    assert worked.data == {"method": "totp"}
    assert failed.ip == worked.ip == "198.51.100.7"
    assert "wrong" not in whole_log()
