"""The admin's Fundraising page: the dashboard's figures (``dashboard``) drawn as charts
(``charts``) with their tables. For superusers and staff who may view donors; the roles of
#6 grant that permission to fundraising staff."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext
from django.views.generic import TemplateView
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from . import dashboard as figures
from .charts import Chart, Series

PERMISSION = "support.view_fundraising"  # not view_donor: totals, not identities


def can_view(user) -> bool:
    # has_perm is True for an active superuser, so the one check covers both.
    return user.is_active and user.has_perm(PERMISSION)


class FundraisingMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view(request.user)


@dataclass
class CurrencySection:
    currency: str
    received: figures.Received | None
    recurring: figures.Recurring | None
    charts: list[Chart]


def monthly_chart(months, **fields) -> Chart:
    """A chart with a value for each month: full names for the table and the tooltips,
    short ones under the axis (the year at the first month and at each January)."""
    short = [
        date_format(month, "M Y") if index == 0 or month.month == 1 else date_format(month, "M")
        for index, month in enumerate(months)
    ]
    full = [date_format(month, "F Y") for month in months]
    return Chart(categories=full, axis_labels=short, **fields)


def currency_section(board: figures.Dashboard, currency: str) -> CurrencySection:
    months = board.period.months
    received = board.received.get(currency)
    recurring = board.recurring.get(currency)
    names = {"currency": currency}
    charts = []
    if received:
        once = [received.once.get(month, figures.ZERO) for month in months]
        renewing = [received.recurring.get(month, figures.ZERO) for month in months]
        charts.append(
            monthly_chart(
                months,
                key=f"received-{currency.lower()}",
                title=_("Received per month, %(currency)s") % names,
                description=_(
                    "Successful payments in %(currency)s each month, one-time gifts and "
                    "recurring payments stacked."
                )
                % names,
                series=[Series(_("One-time"), once), Series(_("Recurring"), renewing)],
                kind="stacked",
                unit=currency,
            )
        )
    if recurring:
        charts.append(
            monthly_chart(
                months,
                key=f"mrr-{currency.lower()}",
                title=_("Monthly recurring revenue, %(currency)s") % names,
                description=_(
                    "What the recurring gifts in %(currency)s were worth a month at the end of "
                    "each month (annual gifts as a twelfth); the current month as of now."
                )
                % names,
                series=[Series(_("Monthly recurring revenue"), list(recurring.mrr.values()))],
                kind="line",
                unit=currency,
            )
        )
    return CurrencySection(currency, received, recurring, charts)


def gifts_chart(board: figures.Dashboard) -> Chart:
    """New and cancelled recurring gifts a month, all currencies together (counts add up)."""
    months = board.period.months
    started = [sum(r.started.get(m, 0) for r in board.recurring.values()) for m in months]
    cancelled = [sum(r.cancelled.get(m, 0) for r in board.recurring.values()) for m in months]
    return monthly_chart(
        months,
        key="recurring-gifts",
        title=_("New and cancelled recurring gifts"),
        description=_("How many monthly and annual gifts began, and how many were cancelled."),
        series=[
            Series(pgettext("recurring gifts", "New"), started),
            Series(pgettext("recurring gifts", "Cancelled"), cancelled),
        ],
        kind="grouped",
    )


class ChartPageView(WagtailAdminTemplateMixin, TemplateView):
    """An admin page of figures for the users ``allowed`` lets in (this dashboard, and
    the Insights page of gazette/insights)."""

    @staticmethod
    def allowed(user) -> bool:
        return False

    def dispatch(self, request, *args, **kwargs):
        if not self.allowed(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]


class FundraisingView(ChartPageView):
    template_name = "support/admin/dashboard.html"
    page_title = gettext_lazy("Fundraising")
    header_icon = "table"
    allowed = staticmethod(can_view)

    def get_context_data(self, **kwargs):
        key = self.request.GET.get("period", figures.DEFAULT_PERIOD)
        if key not in figures.PERIODS:
            messages.warning(
                self.request,
                _("There is no period “%(key)s”: showing the last 12 months.") % {"key": key},
            )
            key = figures.DEFAULT_PERIOD
        board = figures.dashboard(key)
        context = super().get_context_data(**kwargs)
        context.update(
            board=board,
            periods=list(figures.PERIODS.items()),
            sections=[currency_section(board, currency) for currency in board.currencies],
            gifts_chart=gifts_chart(board) if board.recurring else None,
            past_due=sum(r.past_due for r in board.recurring.values()),
        )
        return context
