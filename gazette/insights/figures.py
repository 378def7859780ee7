"""The figures the admin's Insights page shows: views and visitors per day, and the pages
read most, over the last days."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum
from wagtail.models import Page

from .counting import today
from .models import PageDay, SiteDay

DAYS = 30
TOP = 20


@dataclass(frozen=True)
class TopPage:
    path: str
    title: str
    page_id: int | None
    views: int
    visitors: int


@dataclass(frozen=True)
class Figures:
    days: list[date]
    views: list[int]
    visitors: list[int]  # different visitors to the site each day
    top: list[TopPage]

    @property
    def total_views(self) -> int:
        return sum(self.views)

    @property
    def total_visitors(self) -> int:
        """The days' visitors added up: a reader on two days counts twice, since visitors
        cannot be linked across days (by design)."""
        return sum(self.visitors)


def figures(*, days: int = DAYS, until: date | None = None, top: int = TOP) -> Figures:
    until = until or today()
    span = [until - timedelta(days=offset) for offset in range(days - 1, -1, -1)]
    rows = PageDay.objects.filter(day__gte=span[0], day__lte=until)
    views = dict(rows.values("day").annotate(total=Sum("views")).values_list("day", "total"))
    visitors = dict(
        SiteDay.objects.filter(day__gte=span[0], day__lte=until).values_list("day", "visitors")
    )
    leaders = list(rows.top_pages(top))
    titles = dict(
        Page.objects.filter(pk__in=[row["page_id"] for row in leaders]).values_list("pk", "title")
    )
    return Figures(
        days=span,
        views=[views.get(day, 0) for day in span],
        visitors=[visitors.get(day, 0) for day in span],
        top=[
            TopPage(
                path=row["path"],
                title=titles.get(row["page_id"], ""),
                page_id=row["page_id"],
                views=row["views_total"],
                visitors=row["visitors_total"],
            )
            for row in leaders
        ],
    )
