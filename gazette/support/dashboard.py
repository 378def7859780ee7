"""Figures for the fundraising dashboard: money received, recurring revenue, new and
cancelled recurring gifts, and the articles gifts started from.

Every figure is an aggregate query (grouped by month and currency in the database), folded
into plain dicts here; nothing walks the payments one by one. Amounts in different
currencies are never added together: every money figure is keyed by currency.

Months are calendar months in the newsroom's time zone (TIME_ZONE): the database truncates
each date after converting it (TruncMonth with the current time zone, on SQLite and
PostgreSQL alike), so a payment at 23:30 on 31 March in Riga counts for March.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, DateField, Min, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Frequency, Gift, Payment

PERIODS = {
    "30d": _("Last 30 days"),
    "12m": _("Last 12 months"),
    "all": _("All time"),
}
DEFAULT_PERIOD = "12m"
CENT = Decimal("0.01")
ZERO = Decimal(0)


def money(value) -> Decimal:
    """A database sum to the cent: SQLite sums decimals as floating point."""
    return ZERO if value is None else Decimal(value).quantize(CENT)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_of(moment: datetime) -> date:
    return timezone.localtime(moment).date().replace(day=1)


def month_start(month: date) -> datetime:
    """The first instant of a month in the newsroom's time zone."""
    return timezone.make_aware(datetime.combine(month, time.min))


def months_between(first: date, last: date) -> list[date]:
    months = [first]
    while months[-1] < last:
        months.append(add_months(months[-1], 1))
    return months


@dataclass(frozen=True)
class Period:
    key: str
    label: str
    start: datetime | None  # None: since the first gift
    end: datetime
    months: list[date]  # the calendar months the period touches, oldest first

    def payments(self):
        """Successful payments in the period: the money actually received."""
        payments = Payment.objects.filter(status=Payment.Status.SUCCEEDED, paid_at__lte=self.end)
        if self.start is not None:
            payments = payments.filter(paid_at__gte=self.start)
        return payments


def period(key: str, *, now: datetime | None = None) -> Period:
    """The period named by ``key`` (one of PERIODS), ending ``now``. "Last 12 months" is
    the current month and the eleven before it, so its total is the sum of its bars."""
    if key not in PERIODS:
        raise ValueError(f"Unknown period {key!r}: choose one of {', '.join(PERIODS)}.")
    now = now or timezone.now()
    this_month = month_of(now)
    if key == "30d":
        start = now - timedelta(days=30)
        first = month_of(start)
    elif key == "12m":
        first = add_months(this_month, -11)
        start = month_start(first)
    else:
        start = None
        earliest = Gift.objects.filter(started_at__isnull=False).aggregate(
            started=Min("started_at")
        )["started"]
        paid = Payment.objects.aggregate(paid=Min("paid_at"))["paid"]
        moments = [moment for moment in (earliest, paid) if moment is not None]
        first = month_of(min(moments)) if moments else this_month
    return Period(
        key=key,
        label=str(PERIODS[key]),
        start=start,
        end=now,
        months=months_between(first, this_month),
    )


def truncated_month(field_name: str) -> TruncMonth:
    """The first day of the month of a moment, as a date, in the newsroom's time zone."""
    return TruncMonth(field_name, output_field=DateField(), tzinfo=timezone.get_current_timezone())


@dataclass
class Received:
    """Money received in one currency: per month, split one-time / recurring."""

    currency: str
    once: dict[date, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    recurring: dict[date, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    payments: int = 0

    @property
    def once_total(self) -> Decimal:
        return sum(self.once.values(), ZERO)

    @property
    def recurring_total(self) -> Decimal:
        return sum(self.recurring.values(), ZERO)

    @property
    def total(self) -> Decimal:
        return self.once_total + self.recurring_total

    @property
    def average(self) -> Decimal:
        """The average payment (a renewal counts as one)."""
        return (self.total / self.payments).quantize(CENT) if self.payments else ZERO


def received(p: Period) -> dict[str, Received]:
    """Successful payments in the period by currency and month, one-time vs recurring."""
    rows = (
        p.payments()
        .annotate(month=truncated_month("paid_at"))
        .values("month", "currency", "gift__frequency")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by()
    )
    result: dict[str, Received] = {}
    for row in rows:
        figures = result.setdefault(row["currency"], Received(row["currency"]))
        bucket = figures.once if row["gift__frequency"] == Frequency.ONCE else figures.recurring
        bucket[row["month"]] += money(row["total"])
        figures.payments += row["count"]
    return dict(sorted(result.items()))


@dataclass
class Recurring:
    """Recurring gifts in one currency: monthly recurring revenue at the end of each month
    (the current month: as of now), and the gifts started and cancelled in each month."""

    currency: str
    mrr: dict[date, Decimal] = field(default_factory=dict)
    mrr_now: Decimal = ZERO
    active: int = 0
    past_due: int = 0
    started: dict[date, int] = field(default_factory=lambda: defaultdict(int))
    cancelled: dict[date, int] = field(default_factory=lambda: defaultdict(int))


def _monthly_value(frequency: str, amount: Decimal) -> Decimal:
    return amount / 12 if frequency == Frequency.ANNUAL else amount


def recurring(p: Period) -> dict[str, Recurring]:
    """One query groups the recurring gifts that ever ran by (start month, end month,
    currency, frequency, status); each month's revenue is then the sum over the groups
    running at its end: started by then and not cancelled by then.

    A gift's current amount stands for its whole life (a changed amount is not dated), and
    a gift whose renewal failed counts until it is cancelled, except in the current month,
    which shows what renews now: active gifts only, as the headline does.
    """
    rows = (
        Gift.objects.recurring()
        .filter(started_at__isnull=False)
        .exclude(status__in=[Gift.Status.PENDING, Gift.Status.DECLINED])
        .annotate(start=truncated_month("started_at"), end=truncated_month("ended_at"))
        .values("start", "end", "currency", "frequency", "status")
        .annotate(amount=Sum("amount"), gifts=Count("id"))
        .order_by()
    )
    this_month = p.months[-1]
    result: dict[str, Recurring] = {}
    groups = []
    for row in rows:
        figures = result.setdefault(row["currency"], Recurring(row["currency"]))
        start, end = row["start"], row["end"]
        value = _monthly_value(row["frequency"], money(row["amount"]))
        groups.append((figures, start, end, row["status"], value))
        figures.started[start] += row["gifts"]
        if row["status"] == Gift.Status.CANCELLED and end:
            figures.cancelled[end] += row["gifts"]
        if row["status"] == Gift.Status.ACTIVE:
            figures.mrr_now += value
            figures.active += row["gifts"]
        elif row["status"] == Gift.Status.PAST_DUE:
            figures.past_due += row["gifts"]
    for figures in result.values():
        figures.mrr = dict.fromkeys(p.months, ZERO)
    for figures, start, end, status, value in groups:
        for month in p.months:
            running = start <= month and (end is None or end > month)
            if month == this_month:
                running = status == Gift.Status.ACTIVE
            if running:
                figures.mrr[month] += value
    for figures in result.values():
        figures.mrr = {month: value.quantize(CENT) for month, value in figures.mrr.items()}
        figures.mrr_now = figures.mrr_now.quantize(CENT)
    return dict(sorted(result.items()))


@dataclass
class ArticleFigures:
    page_id: int
    title: str = ""
    url: str = ""
    edit_url: str = ""
    gifts: int = 0
    totals: dict[str, Decimal] = field(default_factory=dict)  # by currency


def articles(p: Period, *, limit: int = 10) -> list[ArticleFigures]:
    """The pages readers started gifts from in the period (gifts that were paid, or are
    recurring and began), most gifts first, with what those gifts brought in so far, by
    currency. Titles come from one query for the pages listed."""
    from django.urls import reverse
    from wagtail.models import Page

    gifts = Gift.objects.filter(article__isnull=False, started_at__isnull=False)
    gifts = gifts.filter(started_at__lte=p.end)
    if p.start is not None:
        gifts = gifts.filter(started_at__gte=p.start)
    rows = (
        gifts.values("article_id", "currency")
        .annotate(
            gifts=Count("id", distinct=True),
            total=Sum("payments__amount", filter=Q(payments__status=Payment.Status.SUCCEEDED)),
        )
        .order_by()
    )
    by_page: dict[int, ArticleFigures] = {}
    for row in rows:
        figures = by_page.setdefault(row["article_id"], ArticleFigures(row["article_id"]))
        figures.gifts += row["gifts"]
        figures.totals[row["currency"]] = money(row["total"])
    # Ties go to the page with more money in its largest currency, then the older page.
    ranked = sorted(
        by_page.values(),
        key=lambda a: (-a.gifts, -max(a.totals.values(), default=ZERO), a.page_id),
    )[:limit]
    pages = Page.objects.filter(pk__in=[a.page_id for a in ranked]).in_bulk()
    for figures in ranked:
        page = pages[figures.page_id]
        figures.title = page.title
        figures.url = page.get_url() or ""
        figures.edit_url = reverse("wagtailadmin_pages:edit", args=[page.pk])
        figures.totals = dict(sorted(figures.totals.items()))
    return ranked


def active_recurring_donors() -> int:
    return (
        Gift.objects.recurring()
        .active()
        .filter(donor__isnull=False)
        .values("donor_id")
        .distinct()
        .count()
    )


@dataclass
class Dashboard:
    period: Period
    received: dict[str, Received]
    recurring: dict[str, Recurring]
    articles: list[ArticleFigures]
    active_donors: int

    @property
    def currencies(self) -> list[str]:
        return sorted(set(self.received) | set(self.recurring))


def dashboard(key: str = DEFAULT_PERIOD, *, now: datetime | None = None) -> Dashboard:
    p = period(key, now=now)
    return Dashboard(
        period=p,
        received=received(p),
        recurring=recurring(p),
        articles=articles(p),
        active_donors=active_recurring_donors(),
    )
