"""One person's data across newsletters and donations: `gazette data export/erase` and the
admin's Data requests page, each audited without the address."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from gazette.accounts.models import AuditEntry
from gazette.newsletters import bounces
from gazette.newsletters.models import BounceEvent, ErasedAddress, Subscriber
from gazette.privacy.requests import request_label
from gazette.support.models import Donor, Gift, Payment
from tests.factories import make_staff, sign_in_staff
from tests.newsletters.conftest import make_subscribers
from tests.support.giving import give

pytestmark = pytest.mark.django_db

ADDRESS = "reader0@example.net"


@pytest.fixture
def person(weekly):
    make_subscribers(weekly, 2)
    bounces.record_event(
        source="mailbox",
        event_id="<dsn-1@mx.example.net>",
        kind="soft",
        email=ADDRESS,
        detail="452 4.2.2 mailbox full",
    )
    gift = give(ADDRESS, frequency="once", name="Anna Petrova", payments=1)
    return gift


def audit_text() -> str:
    return json.dumps(
        list(AuditEntry.objects.values("action", "target_label", "data")), ensure_ascii=False
    )


def test_export_gathers_both_apps_and_is_audited_without_the_address(person):
    out = StringIO()
    call_command("data", "export", " Reader0@Example.NET ", stdout=out)
    data = json.loads(out.getvalue())
    assert data["email"] == ADDRESS
    assert data["newsletters"]["subscriber"]["status"] == "active"
    assert [s["status"] for s in data["newsletters"]["subscriptions"]] == ["confirmed"]
    assert [b["kind"] for b in data["newsletters"]["bounces"]] == ["soft"]
    assert data["donations"]["donor"]["email"] == ADDRESS
    assert data["donations"]["donor"]["name"] == "Anna Petrova"
    assert len(data["donations"]["gifts"]) == 1
    assert len(data["donations"]["gifts"][0]["payments"]) == 1
    (entry,) = AuditEntry.objects.filter(action="privacy.export")
    assert entry.target_label == request_label(ADDRESS)
    assert entry.data == {"via": "command", "found": True}
    assert ADDRESS not in audit_text().lower()


def test_export_of_an_unknown_address_says_so(weekly):
    out, err = StringIO(), StringIO()
    call_command("data", "export", "nobody@example.net", stdout=out, stderr=err)
    assert json.loads(out.getvalue())["newsletters"] is None
    assert "Nothing is held under nobody@example.net" in err.getvalue()
    assert AuditEntry.objects.get(action="privacy.export").data["found"] is False


def test_a_non_address_is_refused_with_a_message(weekly):
    with pytest.raises(CommandError, match="is not an email address"):
        call_command("data", "export", "not an address")
    assert not AuditEntry.objects.exists()


def test_erase_asks_once_and_erases_both(person, monkeypatch):
    answers = iter(["no"])
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with pytest.raises(CommandError, match="Nothing was erased"):
        call_command("data", "erase", ADDRESS)
    assert Subscriber.objects.filter(email=ADDRESS).exists()
    assert not AuditEntry.objects.filter(action="privacy.erase").exists()

    monkeypatch.setattr("builtins.input", lambda prompt: "yes")
    out = StringIO()
    call_command("data", "erase", ADDRESS, stdout=out)
    text = out.getvalue()
    assert "Newsletters: Erased: the subscriber, 1 subscriptions" in text
    assert "Donations: Erased the donor." in text and "Kept, unlinked" in text
    assert not Subscriber.objects.filter(email=ADDRESS).exists()
    assert Subscriber.objects.count() == 1  # the other reader stays
    assert not BounceEvent.objects.exists()
    assert not Donor.objects.exists()
    assert Gift.objects.get().donor is None
    assert Payment.objects.get().provider_id.startswith("erased-")
    assert ErasedAddress.objects.matching([ADDRESS])
    (entry,) = AuditEntry.objects.filter(action="privacy.erase")
    assert entry.target_label == request_label(ADDRESS)
    assert entry.data == {"via": "command", "newsletters": True, "donor": True, "donor_kept": False}
    assert ADDRESS not in audit_text().lower()


def test_erase_when_the_provider_refuses_keeps_the_donor_and_says_why(person, monkeypatch):
    from gazette.support.providers import ProviderError

    give(ADDRESS, frequency="monthly")

    def refuse(gift):
        raise ProviderError("the provider is down")

    monkeypatch.setattr("gazette.support.providers.testmode.cancel", refuse)
    out = StringIO()
    with pytest.raises(CommandError, match="Part of the data was kept"):
        call_command("data", "erase", ADDRESS, "--yes", stdout=out)
    assert "Donations: NOT erased" in out.getvalue()
    assert Donor.objects.exists()
    assert not Subscriber.objects.filter(email=ADDRESS).exists()  # newsletters still erased
    assert AuditEntry.objects.get(action="privacy.erase").data["donor_kept"] is True


VIEWER = ("newsletters.view_subscriber", "support.view_donor")
ERASER = (*VIEWER, "newsletters.delete_subscriber", "support.delete_donor")


def test_admin_page_needs_both_view_permissions(client, weekly):
    url = reverse("privacy_data_requests")
    sign_in_staff(client, make_staff("editor", "newsletters.view_subscriber"))
    assert client.get(url).status_code in (302, 403)
    sign_in_staff(client, make_staff("helper", *VIEWER))
    page = client.get(url)
    assert page.status_code == 200
    assert b"Data requests" in page.content


def test_admin_lookup_export_and_erase(client, person):
    url = reverse("privacy_data_requests")
    sign_in_staff(client, make_staff("fundraiser", *ERASER))

    bad = client.post(url, {"email": "nope", "action": "lookup"})
    assert bad.status_code == 400
    assert "is not an email address" in bad.content.decode()

    found = client.post(url, {"email": ADDRESS, "action": "lookup"}).content.decode()
    assert "Donor, with 1 gift(s)." in found
    assert "1 subscription(s)" in found

    export = client.post(url, {"email": ADDRESS, "action": "export"})
    assert export["Content-Type"] == "application/json"
    assert json.loads(export.content)["donations"]["donor"]["email"] == ADDRESS
    assert AuditEntry.objects.get(action="privacy.export").data["via"] == "admin"

    confirm = client.post(url, {"email": ADDRESS, "action": "erase"}).content.decode()
    assert "Yes, erase" in confirm
    assert Subscriber.objects.filter(email=ADDRESS).exists()  # nothing yet

    done = client.post(url, {"email": ADDRESS, "action": "erase-confirmed"}).content.decode()
    assert "What was erased, and what was kept" in done
    assert not Subscriber.objects.filter(email=ADDRESS).exists()
    assert not Donor.objects.exists()
    entry = AuditEntry.objects.get(action="privacy.erase")
    assert entry.actor_name == "fundraiser"
    assert ADDRESS not in audit_text().lower()


def test_admin_erase_needs_delete_permissions(client, person):
    url = reverse("privacy_data_requests")
    sign_in_staff(client, make_staff("helper", *VIEWER))
    page = client.post(url, {"email": ADDRESS, "action": "lookup"}).content.decode()
    assert "Erase…" not in page
    refused = client.post(url, {"email": ADDRESS, "action": "erase-confirmed"})
    assert refused.status_code in (302, 403)
    assert Subscriber.objects.filter(email=ADDRESS).exists()
    assert Donor.objects.exists()
