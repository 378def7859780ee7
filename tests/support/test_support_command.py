"""`gazette support export | erase | purge`: what a donor's export holds, what erasure
leaves (nothing that names the person), the purge of lapsed donors, the worker's daily
purge, bad input, and the admin's Export and Erase calling the same functions."""

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from gazette.publishing.management.commands.worker import CLOCK_JOBS
from gazette.support import crypto, donor_records
from gazette.support.models import Donor, Gift, Payment
from gazette.support.providers import ProviderError
from tests.factories import sign_in_staff

from .giving import give

pytestmark = pytest.mark.django_db


def support(*args) -> str:
    out = StringIO()
    call_command("support", *args, stdout=out)
    return out.getvalue()


def raw_tables() -> str:
    """Every row of the support tables, as the database holds them."""
    rows = []
    with connection.cursor() as cursor:
        for table in ("support_donor", "support_gift", "support_payment"):
            cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed names
            rows.append(repr(cursor.fetchall()))
    return "\n".join(rows)


def test_export_holds_everything_kept_about_the_donor(newsroom):
    lead = newsroom["lead"]
    monthly = give("Vera@Example.org", name="Vera K", payments=2, article_id=lead.pk)
    give("vera@example.org", frequency="once", amount="25")
    other = give("other@example.org", amount="99")
    data = json.loads(support("export", "vera@example.org"))
    assert data["donor"]["email"] == "vera@example.org" and data["donor"]["name"] == "Vera K"
    assert data["donor"]["payment_provider_customer_id"].startswith("cus_")
    assert [gift["frequency"] for gift in data["gifts"]] == ["monthly", "once"]
    first = data["gifts"][0]
    assert first["amount"] == "5.00" and first["currency"] == "USD"
    assert first["subscription_id"] == monthly.subscription_id
    assert first["started_from"] == {"id": lead.pk, "title": lead.title, "path": lead.url}
    assert len(first["payments"]) == 2 and first["payments"][0]["status"] == "succeeded"
    assert first["payments"][0]["date"] and first["created"] and first["started"]
    assert other.pk not in [gift["id"] for gift in data["gifts"]]
    assert "other@" not in json.dumps(data) and "99.00" not in json.dumps(data)


def test_erase_stops_the_gift_and_leaves_no_trace_of_the_person(newsroom):
    monthly = give("vera@example.org", name="Vera K", payments=2, article_id=newsroom["lead"].pk)
    once = give("vera@example.org", frequency="once", amount="25")
    digests = crypto.digests("vera@example.org")
    ids = [monthly.subscription_id, monthly.checkout_id, "cus_", "in_"]
    output = support("erase", "vera@example.org")
    assert "Stopped 1 recurring gift(s) first" in output
    assert "2 gift(s) and 3 payment(s)" in output
    assert not Donor.objects.exists()
    raw = raw_tables()
    for trace in ["vera", "Vera", *digests, *ids]:
        assert trace not in raw
    # The money stays, for the accounts: amounts, dates, the article, linked to no one.
    monthly.refresh_from_db()
    once.refresh_from_db()
    assert monthly.status == Gift.Status.CANCELLED and monthly.donor is None
    assert monthly.article_id == newsroom["lead"].pk and once.amount == Decimal("25")
    assert Payment.objects.filter(gift__in=[monthly, once]).count() == 3
    with pytest.raises(CommandError, match="No donor has the address vera@example.org"):
        support("export", "vera@example.org")


def test_erase_keeps_everything_when_the_provider_will_not_stop_the_gift():
    monthly = give("vera@example.org")
    refusal = ProviderError("Stripe is not answering.")
    with mock.patch("gazette.support.providers.testmode.cancel", side_effect=refusal):
        with pytest.raises(CommandError, match="Stripe is not answering.*nothing was erased"):
            support("erase", "vera@example.org")
    monthly.refresh_from_db()
    assert monthly.donor.email == "vera@example.org" and monthly.status == Gift.Status.ACTIVE


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["export", "nobody@example.org"], "No donor has the address nobody@example.org"),
        (["erase", "nobody@example.org"], "No donor has the address nobody@example.org"),
        (["export", "not an address"], "“not an address” is not an email address."),
    ],
)
def test_bad_input_gets_a_clear_message(db, args, message):
    give("vera@example.org")
    with pytest.raises(CommandError, match=message):
        support(*args)
    assert Donor.objects.count() == 1


def age(gift: Gift, days: int) -> None:
    Donor.objects.filter(pk=gift.donor_id).update(
        last_activity_at=timezone.now() - timedelta(days=days)
    )


def test_purge_forgets_old_inactive_donors_and_keeps_active_and_recent_ones(settings):
    settings.GAZETTE_DONOR_RETENTION_DAYS = 365
    running = give("running@example.org")  # active: kept however old
    lapsed = give("lapsed@example.org")
    lapsed_id = lapsed.donor_id
    give("lapsed@example.org", frequency="once")
    from gazette.support import recording

    recording.record_cancellation(gift_id=lapsed.pk)
    recent = give("recent@example.org", frequency="once")  # ended, but lately
    age(running, 900)
    age(lapsed, 400)
    age(recent, 100)
    assert "Purged 1 donor record(s)" in support("purge")
    assert not Donor.objects.filter(pk=lapsed_id).exists()
    assert Donor.objects.filter(pk__in=[running.donor_id, recent.donor_id]).count() == 2
    lapsed.refresh_from_db()
    assert lapsed.donor is None and lapsed.payments.count() == 1
    assert "lapsed" not in raw_tables()
    assert "Purged 0 donor record(s)" in support("purge")


def test_the_worker_clock_purges_once_a_day(settings):
    assert donor_records.purge_daily in CLOCK_JOBS
    gift = give("lapsed@example.org", frequency="once")
    age(gift, settings.GAZETTE_DONOR_RETENTION_DAYS + 1)
    assert donor_records.purge_daily() is True
    assert not Donor.objects.exists()
    assert donor_records.purge_daily() is False  # done for today


def staff(*permissions: str) -> Client:
    user = get_user_model().objects.create_user("fundraiser", "f@lantern.example", "pw")
    group = Group.objects.create(name="fundraising")
    group.permissions.add(
        Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"),
        *(Permission.objects.get(codename=codename) for codename in permissions),
    )
    user.groups.add(group)
    client = Client()
    sign_in_staff(client, user)
    return client


def test_admin_lists_donors_without_addresses_and_shows_one_on_its_page(newsroom):
    gift = give("vera@example.org", name="Vera K", article_id=newsroom["lead"].pk)
    other = give("other@example.org", frequency="once")
    client = staff("view_donor")
    index = client.get("/admin/donor/")
    assert index.status_code == 200
    assert b"vera@example.org" not in index.content and b"Active gifts" in index.content
    found = client.get("/admin/donor/", {"q": "VERA@example.org"})
    assert f"/admin/donor/inspect/{gift.donor_id}/".encode() in found.content
    assert f"/admin/donor/inspect/{other.donor_id}/".encode() in index.content
    assert f"/admin/donor/inspect/{other.donor_id}/".encode() not in found.content
    page = client.get(f"/admin/donor/inspect/{gift.donor_id}/")
    assert b"vera@example.org" in page.content and b"Vera K" in page.content
    assert newsroom["lead"].title.encode() in page.content
    data = client.get(f"/admin/donor/data/{gift.donor_id}/")
    assert data["Content-Disposition"].startswith('attachment; filename="donor-')
    assert json.loads(data.content) == donor_records.donor_data(gift.donor)
    # Viewing is not erasing; and nobody adds or edits a donor.
    assert client.post(f"/admin/donor/delete/{gift.donor_id}/").status_code in (302, 403)
    assert Donor.objects.filter(pk=gift.donor_id).exists()
    assert client.get("/admin/donor/new/").status_code in (302, 403)
    assert client.get(f"/admin/donor/edit/{gift.donor_id}/").status_code in (302, 403)


def test_admin_erase_asks_then_erases_through_the_same_function(db):
    gift = give("vera@example.org")
    client = staff("view_donor", "delete_donor")
    confirm = client.get(f"/admin/donor/delete/{gift.donor_id}/")
    assert b"Yes, erase" in confirm.content
    response = client.post(f"/admin/donor/delete/{gift.donor_id}/")
    assert response.status_code == 302
    assert not Donor.objects.exists()
    gift.refresh_from_db()
    assert gift.status == Gift.Status.CANCELLED and gift.donor is None
    assert "vera" not in raw_tables()


def test_staff_without_the_permission_see_no_donors(db):
    gift = give("vera@example.org")
    client = staff()
    assert client.get("/admin/donor/").status_code in (302, 403)
    assert client.get(f"/admin/donor/data/{gift.donor_id}/").status_code in (302, 403)


def test_admin_erase_says_why_when_the_provider_will_not_stop_the_gift(db):
    gift = give("vera@example.org")
    client = staff("view_donor", "delete_donor")
    refusal = ProviderError("Stripe is not answering.")
    with mock.patch("gazette.support.providers.testmode.cancel", side_effect=refusal):
        response = client.post(f"/admin/donor/delete/{gift.donor_id}/", follow=True)
    assert "Stripe is not answering." in response.content.decode()
    gift.refresh_from_db()
    assert gift.donor.email == "vera@example.org" and gift.status == Gift.Status.ACTIVE
