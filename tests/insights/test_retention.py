"""What is purged, and when."""

from datetime import timedelta

import pytest

from gazette.insights.counting import today
from gazette.insights.models import DailySalt, PageDay, Seen, SiteDay
from gazette.insights.retention import purge, purge_daily, run_clock

pytestmark = pytest.mark.django_db


def test_counts_are_kept_for_the_retention_period_and_digests_for_their_day(settings):
    settings.GAZETTE_INSIGHTS_RETENTION_DAYS = 10
    now = today()
    for days_ago in (0, 1, 10, 11, 400):
        day = now - timedelta(days=days_ago)
        PageDay.objects.create(day=day, path="/", views=3, visitors=2)
        SiteDay.objects.create(day=day, visitors=2)
    for days_ago in (0, 1):
        day = now - timedelta(days=days_ago)
        Seen.objects.create(day=day, digest=f"{days_ago:032d}")
        DailySalt.objects.create(day=day, salt="x" * 64)

    assert purge() == {"page days": 2, "site days": 2, "digests": 1, "salts": 1}
    kept = sorted((now - row).days for row in PageDay.objects.values_list("day", flat=True))
    assert kept == [0, 1, 10]
    assert sorted((now - d).days for d in SiteDay.objects.values_list("day", flat=True)) == [
        0,
        1,
        10,
    ]
    assert list(Seen.objects.values_list("day", flat=True)) == [now]
    assert list(DailySalt.objects.values_list("day", flat=True)) == [now]


def test_the_clock_purges_once_a_day(settings):
    PageDay.objects.create(day=today() - timedelta(days=500), path="/", views=1, visitors=1)
    run_clock()
    assert not PageDay.objects.exists()
    PageDay.objects.create(day=today() - timedelta(days=500), path="/", views=1, visitors=1)
    assert purge_daily() is False  # done today already
    assert PageDay.objects.exists()
