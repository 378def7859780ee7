"""Subscribers in the Wagtail admin: listed, searched and filtered for staff with the
subscriber permission, a page per subscriber with consent, deliveries and suppression, their
data as JSON, and the Erase button. Refused to staff without the permission; nobody adds or
edits a subscriber by hand."""

import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.utils import timezone

from gazette.newsletters.models import Delivery, Subscriber, Subscription, Suppression
from tests.factories import sign_in_staff

from .conftest import make_issue, make_newsletter, make_subscribers

pytestmark = pytest.mark.django_db

INDEX = "/admin/subscriber/"
MENU_ITEM = '"url": "/admin/subscriber/"'  # in the sidebar's JSON


def staff(name: str, *permissions: str) -> Client:
    user = get_user_model().objects.create_user(name, f"{name}@lantern.example", "pw")
    group = Group.objects.create(name=f"{name}'s group")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        *(Permission.objects.get(codename=codename) for codename in permissions),
    )
    user.groups.add(group)
    client = Client()
    sign_in_staff(client, user)
    return client


@pytest.fixture
def editor(db):
    return staff("editor", "view_subscriber", "delete_subscriber")


@pytest.fixture
def viewer(db):
    return staff("viewer", "view_subscriber")


@pytest.fixture
def outsider(db):
    return staff("outsider")


@pytest.fixture
def lists(db):
    weekly = make_newsletter()
    breaking = make_newsletter(name="Lantern Breaking", slug="breaking")
    readers = make_subscribers(weekly, 3)
    # reader0 left the weekly but takes breaking news; reader1 waits to confirm breaking.
    Subscription.objects.filter(subscriber=readers[0], newsletter=weekly).update(
        status="unsubscribed"
    )
    Subscription.objects.create(subscriber=readers[0], newsletter=breaking, status="confirmed")
    Subscription.objects.create(subscriber=readers[1], newsletter=breaking, status="pending")
    return {"weekly": weekly, "breaking": breaking, "readers": readers}


def listed(response) -> set[str]:
    assert response.status_code == 200
    page = response.content.decode()
    return {f"reader{n}@example.net" for n in range(3) if f"reader{n}@example.net" in page}


def test_the_list_and_its_menu_item(editor, lists):
    response = editor.get(INDEX)
    assert listed(response) == {"reader0@example.net", "reader1@example.net", "reader2@example.net"}
    page = response.content.decode()
    assert "Lantern Breaking (waiting for confirmation)" in page
    assert "Add subscriber" not in page
    erase = re.search(rf'href="{INDEX}delete/{lists["readers"][0].pk}/".*?</a>', page, re.S)
    assert erase.group(0).split()[-2] == "Erase"  # the row's menu says what it does
    assert MENU_ITEM in editor.get("/admin/").content.decode()


def test_search_by_address(editor, lists):
    assert listed(editor.get(INDEX, {"q": "Reader1@Example.NET"})) == {"reader1@example.net"}
    assert listed(editor.get(INDEX, {"q": "reader2"})) == {"reader2@example.net"}
    assert listed(editor.get(INDEX, {"q": "nobody@example.net"})) == set()


def test_filters_pick_one_subscription_by_newsletter_and_status(editor, lists):
    weekly, breaking = lists["weekly"].pk, lists["breaking"].pk
    confirmed_weekly = {"newsletter": weekly, "subscription_status": "confirmed"}
    assert listed(editor.get(INDEX, confirmed_weekly)) == {
        "reader1@example.net",
        "reader2@example.net",
    }
    assert listed(editor.get(INDEX, {"newsletter": breaking})) == {
        "reader0@example.net",
        "reader1@example.net",
    }
    assert listed(editor.get(INDEX, {"subscription_status": "unsubscribed"})) == {
        "reader0@example.net"
    }
    Subscriber.objects.filter(email="reader2@example.net").update(status="bounced")
    assert listed(editor.get(INDEX, {"status": "bounced"})) == {"reader2@example.net"}


def test_a_subscribers_page_shows_consent_deliveries_and_suppression(editor, lists, newsroom):
    reader = lists["readers"][1]
    Subscription.objects.filter(subscriber=reader, newsletter=lists["weekly"]).update(
        consent_source="/news/assembly-passes-media-law/", policy_version="2026-03"
    )
    issue = make_issue(lists["weekly"], [newsroom["lead"]], subject="Week 48: the media law")
    Delivery.objects.create(
        issue=issue, subscriber=reader, message_id="<m@x>", status="sent", sent_at=timezone.now()
    )
    Suppression.add(reader.email, reason=Suppression.Reason.HARD_BOUNCE, detail="550 no user")

    response = editor.get(f"{INDEX}inspect/{reader.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    for shown in (
        "reader1@example.net",
        "/news/assembly-passes-media-law/",
        "2026-03",
        "Waiting for confirmation",
        "Week 48: the media law",
        "Accepted by the mail server",
        "Hard bounce",
        "550 no user",
        f'href="{INDEX}delete/{reader.pk}/"',
        f'href="{INDEX}data/{reader.pk}/"',
    ):
        assert shown in page, shown


def test_their_data_downloads_as_json(editor, lists):
    reader = lists["readers"][0]
    response = editor.get(f"{INDEX}data/{reader.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["email"] == reader.email
    assert {s["newsletter"]: s["status"] for s in data["subscriptions"]} == {
        "The Lantern Weekly": "unsubscribed",
        "Lantern Breaking": "confirmed",
    }


def test_erase_asks_then_erases(editor, lists):
    reader = lists["readers"][2]
    path = f"{INDEX}delete/{reader.pk}/"
    asked = editor.get(path).content.decode()
    assert "Yes, erase" in asked and "This cannot be undone." in asked
    assert Subscriber.objects.filter(pk=reader.pk).exists()

    response = editor.post(path, follow=True)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Subscriber erased." in page
    assert reader.email not in page
    assert not Subscriber.objects.filter(pk=reader.pk).exists()
    assert not Subscription.objects.filter(subscriber_id=reader.pk).exists()


def test_staff_without_the_permission_are_refused(outsider, lists):
    reader = lists["readers"][0]
    assert MENU_ITEM not in outsider.get("/admin/").content.decode()
    for path in (INDEX, f"{INDEX}inspect/{reader.pk}/", f"{INDEX}data/{reader.pk}/"):
        response = outsider.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/admin/"
        assert reader.email.encode() not in response.content
    assert outsider.post(f"{INDEX}delete/{reader.pk}/").status_code == 302
    assert Subscriber.objects.filter(pk=reader.pk).exists()


def test_viewing_does_not_allow_erasing(viewer, lists):
    reader = lists["readers"][0]
    assert listed(viewer.get(INDEX)) == {f"reader{n}@example.net" for n in range(3)}
    page = viewer.get(f"{INDEX}inspect/{reader.pk}/").content.decode()
    assert "reader0@example.net" in page and f"{INDEX}delete/" not in page
    assert viewer.post(f"{INDEX}delete/{reader.pk}/").status_code == 302
    assert Subscriber.objects.filter(pk=reader.pk).exists()


def test_nobody_adds_or_edits_a_subscriber_by_hand(lists):
    admin = get_user_model().objects.create_superuser("root", "root@lantern.example", "pw")
    client = Client()
    sign_in_staff(client, admin)
    reader = lists["readers"][0]
    assert client.get(INDEX).status_code == 200
    assert client.get(f"{INDEX}new/").status_code == 302
    response = client.post(f"{INDEX}edit/{reader.pk}/", {"name": "Someone"})
    assert response.status_code == 302
    assert Subscriber.objects.get(pk=reader.pk).name == ""


def test_anonymous_visitors_are_sent_to_log_in(lists):
    response = Client().get(INDEX)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
