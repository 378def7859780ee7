"""How long page-view figures are kept: per-day counts for GAZETTE_INSIGHTS_RETENTION_DAYS,
visitor digests and salts for their own day only. The worker's clock purges daily."""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction

from gazette.publishing.locks import exclusive

from .counting import today
from .models import DailySalt, PageDay, Seen, SiteDay
from .most_read import refresh_home_pages

logger = logging.getLogger(__name__)


@transaction.atomic
def purge(*, on: date | None = None) -> dict[str, int]:
    """Delete what is past its time on day ``on`` (today); how many rows of each kind."""
    on = on or today()
    oldest = on - timedelta(days=settings.GAZETTE_INSIGHTS_RETENTION_DAYS)
    return {
        "page days": PageDay.objects.filter(day__lt=oldest).delete()[0],
        "site days": SiteDay.objects.filter(day__lt=oldest).delete()[0],
        "digests": Seen.objects.filter(day__lt=on).delete()[0],
        "salts": DailySalt.objects.filter(day__lt=on).delete()[0],
    }


def purge_daily() -> bool:
    """Purge once a day; False if done today already or another worker holds the lock."""
    key = f"insights:purged:{today().isoformat()}"
    if cache.get(key):
        return False
    with exclusive("gazette.insights.purge") as acquired:
        if not acquired:
            return False
        purged = purge()
        if any(purged.values()):
            logger.info("Insights purge: %s", purged)
        cache.set(key, 1, timeout=86400)
        return True


def run_clock() -> None:
    """The worker clock's job: the daily purge, and the hourly look at "Most read"."""
    purge_daily()
    with exclusive("gazette.insights.most-read") as acquired:
        if acquired:
            refresh_home_pages()
