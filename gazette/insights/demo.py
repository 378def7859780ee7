"""A month of invented page views for the demo newsroom, so that the Insights page and the
home page's "Most read" have something to show. Seeded: every demo shows the same month.
Newer articles are read more, with a few stories that readers found for a while."""

import random
from datetime import date, timedelta

from .models import PageDay, SiteDay

SEED = 11
DAYS = 30


def load_page_views(pages, *, until: date) -> int:
    """Page views for the ``pages`` (reader pages, newest articles first) over the month up
    to ``until``; returns how many page-day rows were made."""
    rng = random.Random(SEED)
    weights = {
        page.pk: 1.0 / (1 + rank * 0.4) * rng.uniform(0.5, 1.8) for rank, page in enumerate(pages)
    }
    paths = {page.pk: page.relative_path() for page in pages}
    rows, site = [], {}
    for offset in range(DAYS):
        day = until - timedelta(days=offset)
        # Weekends are quieter; the month grows slowly towards today.
        level = (0.6 if day.weekday() >= 5 else 1.0) * (1 - offset / (DAYS * 2.5))
        total_visitors = 0
        for page in pages:
            visitors = int(rng.gauss(40, 12) * weights[page.pk] * level)
            if visitors <= 0:
                continue
            views = visitors + int(visitors * rng.uniform(0.05, 0.35))
            rows.append(
                PageDay(
                    day=day,
                    path=paths[page.pk],
                    page_id=page.pk,
                    views=views,
                    visitors=visitors,
                )
            )
            total_visitors += visitors
        # Many readers read more than one page a day.
        site[day] = int(total_visitors * 0.55)
    PageDay.objects.bulk_create(rows)
    SiteDay.objects.bulk_create(SiteDay(day=day, visitors=count) for day, count in site.items())
    return len(rows)
