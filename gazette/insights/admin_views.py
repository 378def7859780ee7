"""The admin's Insights page: page views and visitors per day for the last 30 days, drawn
as an SVG chart on the server (the fundraising dashboard's ``charts``) with the same figures
in a table, and the pages read most. For superusers and staff with insights.view_insights."""

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.menu import MenuItem

from gazette.support.charts import Chart, Series
from gazette.support.dashboard_views import ChartPageView

from . import figures as insights

PERMISSION = "insights.view_insights"


def can_view(user) -> bool:
    return user.is_active and user.has_perm(PERMISSION)


class InsightsMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view(request.user)


def daily_chart(board: insights.Figures) -> Chart:
    return Chart(
        key="daily",
        title=_("Page views and visitors per day"),
        description=_(
            "Page views of the public pages each day, and how many different visitors "
            "made them, over the last %(days)s days."
        )
        % {"days": len(board.days)},
        categories=[date_format(day, "j F Y") for day in board.days],
        axis_labels=[date_format(day, "j M") for day in board.days],
        series=[Series(_("Page views"), board.views), Series(_("Visitors"), board.visitors)],
        kind="line",
    )


class InsightsView(ChartPageView):
    template_name = "insights/admin/insights.html"
    page_title = gettext_lazy("Insights")
    header_icon = "view"
    allowed = staticmethod(can_view)

    def get_context_data(self, **kwargs):
        board = insights.figures()
        return {**super().get_context_data(**kwargs), "board": board, "chart": daily_chart(board)}
