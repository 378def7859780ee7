"""Retention periods: the purges the worker's clock runs, and the table on the Privacy
Policy page that the settings fill."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from gazette.newsletters import bounces
from gazette.newsletters.models import (
    BounceEvent,
    ErasedAddress,
    Subscriber,
    Subscription,
    Suppression,
)
from gazette.privacy import retention
from gazette.publishing.management.commands.worker import CLOCK_JOBS
from tests.newsletters.conftest import make_newsletter, make_subscribers

pytestmark = pytest.mark.django_db


def test_unconfirmed_signups_go_after_their_period(weekly, settings, time_machine):
    settings.GAZETTE_UNCONFIRMED_RETENTION_DAYS = 30
    monthly = make_newsletter(name="Monthly", slug="monthly")
    stale, fresh = make_subscribers(weekly, 2, status=Subscription.Status.PENDING)
    (both,) = make_subscribers(weekly, 1, prefix="both", status=Subscription.Status.CONFIRMED)
    Subscription.objects.create(subscriber=both, newsletter=monthly)  # pending
    old = timezone.now() - timedelta(days=31)
    Subscription.objects.exclude(subscriber=fresh).filter(
        status=Subscription.Status.PENDING
    ).update(consent_at=old)

    assert retention.purge_unconfirmed(now=timezone.now()) == 2

    assert not Subscriber.objects.filter(pk=stale.pk).exists()  # left with nothing
    assert Subscriber.objects.filter(pk=fresh.pk).exists()  # still within 30 days
    assert list(both.subscriptions.values_list("status", flat=True)) == ["confirmed"]


def test_bounce_reports_go_but_their_suppression_stays(weekly, settings):
    settings.GAZETTE_BOUNCE_RETENTION_DAYS = 365
    for number, kind in enumerate(["hard", "soft"]):
        bounces.record_event(
            source="mailbox", event_id=f"<{number}@mx>", kind=kind, email=f"r{number}@example.net"
        )
    BounceEvent.objects.filter(kind="hard").update(received_at=timezone.now() - timedelta(days=366))
    assert retention.purge_bounces(now=timezone.now()) == 1
    assert list(BounceEvent.objects.values_list("kind", flat=True)) == ["soft"]
    assert Suppression.objects.filter(email="r0@example.net").exists()


def test_erased_address_hashes_go_after_their_period_unless_zero(weekly, settings):
    ErasedAddress.remember("old@example.net", reason="request")
    ErasedAddress.remember("new@example.net", reason="request")
    entry = ErasedAddress.objects.matching(["old@example.net"])["old@example.net"]
    entry.erased_on = timezone.localdate() - timedelta(days=11)
    entry.save()
    settings.GAZETTE_ERASED_ADDRESS_RETENTION_DAYS = 0
    assert retention.purge_erased_addresses(now=timezone.now()) == 0
    settings.GAZETTE_ERASED_ADDRESS_RETENTION_DAYS = 10
    assert retention.purge_erased_addresses(now=timezone.now()) == 1
    assert list(ErasedAddress.objects.matching(["old@example.net", "new@example.net"])) == [
        "new@example.net"
    ]


def test_the_worker_clock_purges_once_a_day(weekly, settings):
    assert retention.purge_daily in CLOCK_JOBS
    make_subscribers(weekly, 1, status=Subscription.Status.PENDING)
    Subscription.objects.update(consent_at=timezone.now() - timedelta(days=400))
    assert retention.purge_daily() is True
    assert not Subscription.objects.exists()
    assert retention.purge_daily() is False  # done today


def test_data_purge_command_reports_counts(weekly):
    out = StringIO()
    call_command("data", "purge", stdout=out)
    assert out.getvalue().startswith("Purged 0 unconfirmed sign-up(s)")


def test_privacy_page_lists_what_is_kept_from_the_settings(client, newsroom, settings):
    settings.GAZETTE_DONOR_RETENTION_DAYS = 400
    settings.GAZETTE_UNCONFIRMED_RETENTION_DAYS = 14
    page = client.get(newsroom["pages"]["privacy"].url).content.decode()
    assert "What we keep, and for how long" in page
    assert "400 days after the last payment or change" in page
    assert "14 days after the sign-up" in page
    assert "Bounce and complaint reports" in page
    about = client.get(newsroom["pages"]["about"].url).content.decode()
    assert "What we keep" not in about


def test_russian_privacy_page_has_the_table_and_the_search_box_leads_to_ru(client, newsroom):
    from wagtail.models import Locale

    from tests.factories import home_page

    russian = Locale.objects.get(language_code="ru")
    home_ru = home_page().copy_for_translation(russian)
    home_ru.save_revision().publish()
    privacy_ru = newsroom["pages"]["privacy"].copy_for_translation(russian)
    privacy_ru.title = "Политика конфиденциальности"
    privacy_ru.save_revision().publish()
    page = client.get("/ru/privacy/").content.decode()
    assert 'class="retention__table"' in page
    assert 'action="/ru/search/"' in page
