"""The per-app paths to one person's data (the Subscribers and Donors admin, `gazette
newsletter` and `gazette support`) write audit entries too, labelled by id or keyed hash."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from gazette.accounts.models import AuditEntry
from gazette.newsletters.models import Subscriber
from gazette.privacy.labels import request_label
from tests.factories import make_staff, sign_in_staff
from tests.newsletters.conftest import make_subscribers
from tests.support.giving import give

pytestmark = pytest.mark.django_db

ADDRESS = "reader0@example.net"


def entries() -> list[tuple[str, str, str]]:
    # The privacy.* entries; Wagtail's own log entries (copied into the audit log too) aside.
    rows = (
        AuditEntry.objects.filter(action__startswith="privacy.")
        .order_by("pk")
        .values_list("action", "target_label", "data")
    )
    return [(action, label, data["via"]) for action, label, data in rows]


def no_address_in_the_log():
    text = json.dumps(list(AuditEntry.objects.values()), default=str).lower()
    return ADDRESS not in text


def test_newsletter_command(weekly):
    make_subscribers(weekly, 1)
    call_command("newsletter", "export", "--email", ADDRESS, stdout=StringIO())
    call_command("newsletter", "export", stdout=StringIO())
    call_command("newsletter", "erase", ADDRESS, "--yes", stdout=StringIO())
    label = request_label(ADDRESS)
    assert entries() == [
        ("privacy.export", label, "command:newsletter"),
        ("privacy.export_list", "all newsletters", "command"),
        ("privacy.erase", label, "command:newsletter"),
    ]
    assert no_address_in_the_log()


def test_support_command(weekly):
    gift = give(ADDRESS, frequency="once")
    call_command("support", "export", ADDRESS, stdout=StringIO())
    call_command("support", "erase", ADDRESS, stdout=StringIO())
    label = f"donor {gift.donor_id}"
    assert entries() == [
        ("privacy.export", label, "command:support"),
        ("privacy.erase", label, "command:support"),
    ]
    assert no_address_in_the_log()


def test_subscriber_admin_download_and_erase(client, weekly):
    (subscriber,) = make_subscribers(weekly, 1)
    sign_in_staff(
        client, make_staff("helper", "newsletters.view_subscriber", "newsletters.delete_subscriber")
    )
    assert client.get(f"/admin/subscriber/data/{subscriber.pk}/").status_code == 200
    client.post(f"/admin/subscriber/delete/{subscriber.pk}/")
    assert not Subscriber.objects.exists()
    label = f"subscriber {subscriber.pk}"
    assert entries() == [
        ("privacy.export", label, "admin:subscriber"),
        ("privacy.erase", label, "admin:subscriber"),
    ]
    assert (
        AuditEntry.objects.filter(actor_name="helper", action__startswith="privacy.").count() == 2
    )
    assert no_address_in_the_log()


def test_donor_admin_download_and_erase(client, weekly):
    gift = give(ADDRESS, frequency="once")
    sign_in_staff(client, make_staff("fundraiser", "support.view_donor", "support.delete_donor"))
    assert client.get(f"/admin/donor/data/{gift.donor_id}/").status_code == 200
    client.post(f"/admin/donor/delete/{gift.donor_id}/")
    label = f"donor {gift.donor_id}"
    assert entries() == [
        ("privacy.export", label, "admin:donor"),
        ("privacy.erase", label, "admin:donor"),
    ]
    assert no_address_in_the_log()
