""" "Most read": the articles with the most visitors over the last days, for the home page
(rendered into the page store, so the worker's clock renders it again when the list
changes) and the newsletter's weekly draft."""

import logging
from datetime import date, timedelta

from django.core.cache import cache
from django.db.models import Sum

from .counting import today
from .models import PageDay

logger = logging.getLogger(__name__)

# Today and yesterday: the nearest to "the last 24 hours" that day counts give, and never
# empty just after midnight. Five lines on the front page.
HOME_DAYS = 2
HOME_COUNT = 5
CHECK_EVERY = 3600  # seconds between the clock's looks at the home pages' lists


def most_read_ids(articles, *, days: int, limit: int, until: date | None = None) -> list[int]:
    """Ids of the ``articles`` (a queryset of ArticlePage) with the most visitors, then
    views, in the ``days`` days up to ``until`` (today); unread ones are left out."""
    since = (until or today()) - timedelta(days=days - 1)
    rows = (
        PageDay.objects.filter(day__gte=since, page__in=articles.values("pk"))
        .values("page_id")
        .annotate(visitors_total=Sum("visitors"), views_total=Sum("views"))
        .order_by("-visitors_total", "-views_total", "page_id")[:limit]
    )
    return [row["page_id"] for row in rows]


def home_most_read(home) -> list[int]:
    from gazette.newsroom.models import ArticlePage

    articles = ArticlePage.objects.published().descendant_of(home)
    return most_read_ids(articles, days=HOME_DAYS, limit=HOME_COUNT)


def refresh_home_pages() -> list[str]:
    """The clock's part, at most hourly: queue a render of each home page whose list has
    changed since the last look. Returns the paths queued."""
    from gazette.newsroom.models import HomePage
    from gazette.publishing.building import schedule_render

    if not cache.add("insights:most-read-checked", 1, timeout=CHECK_EVERY):
        return []
    changed = []
    for home in HomePage.objects.live().public():
        key = f"insights:most-read:{home.pk}"
        ids = home_most_read(home)
        if cache.get(key) != ids:
            cache.set(key, ids, timeout=None)
            changed.append(home.relative_path())
    if changed:
        schedule_render(changed)
        logger.info("Most read changed: rendering %s again.", ", ".join(changed))
    return changed
