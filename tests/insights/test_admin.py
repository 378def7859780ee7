"""The admin's Insights page: who may see it, and its figures."""

from datetime import timedelta

import pytest

from gazette.insights.counting import today
from gazette.insights.models import PageDay, SiteDay
from tests.factories import make_staff, sign_in_staff

pytestmark = pytest.mark.django_db

INSIGHTS = "/admin/insights/"


@pytest.fixture
def month(newsroom):
    now = today()
    lead, older = newsroom["lead"], newsroom["older"]
    for days_ago, views, visitors in [(0, 10, 4), (1, 7, 5), (29, 3, 3), (30, 100, 100)]:
        day = now - timedelta(days=days_ago)
        PageDay.objects.create(
            day=day, path=lead.relative_path(), page=lead, views=views, visitors=visitors
        )
        SiteDay.objects.create(day=day, visitors=visitors + 1)
    PageDay.objects.create(day=now, path=older.relative_path(), page=older, views=2, visitors=2)
    PageDay.objects.create(day=now, path="/gone/", page=None, views=1, visitors=1)
    return newsroom


def test_staff_without_the_permission_are_refused_and_see_no_menu_item(month, client):
    sign_in_staff(client, make_staff("reporter"))
    refused = client.get(INSIGHTS, follow=True)  # Wagtail's way: back to the admin's home
    assert refused.redirect_chain == [("/admin/", 302)]
    assert "you do not have permission" in refused.content.decode()
    assert b"gz-chart" not in refused.content
    assert INSIGHTS not in refused.content.decode()


def test_the_page_shows_views_and_visitors_per_day_with_a_chart_and_a_table(month, client):
    sign_in_staff(client, make_staff("editor", "insights.view_insights"))
    assert INSIGHTS in client.get("/admin/").content.decode()
    response = client.get(INSIGHTS)
    assert response.status_code == 200
    html = response.content.decode()
    # The 30 days up to today: the day 30 days ago is out.
    assert '<dd data-figure="views">23</dd>' in html  # 10 + 7 + 3 + 2 + 1
    assert '<dd data-figure="visitors">15</dd>' in html  # 5 + 6 + 4
    assert (
        '<svg xmlns="http://www.w3.org/2000/svg"' in html
        and "<script" not in html.split('data-chart="daily"', 1)[1].split("</figure>", 1)[0]
    )
    board = response.context["board"]
    assert len(board.days) == 30 and board.days[-1] == today()
    assert board.views[-1] == 13 and board.visitors[-1] == 5
    assert board.views[-2] == 7 and board.visitors[-2] == 6
    assert board.views[0] == 3 and sum(board.views[1:-2]) == 0
    table = html.split('data-chart-table="daily"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == 31  # a header and a row a day
    # Pages read most: by visitors, then views, titles where the page still exists.
    top = [(row.title, row.path, row.visitors, row.views) for row in board.top]
    assert top == [
        ("Assembly passes media law", "/news/assembly-passes-media-law/", 12, 20),
        ("Court hears appeal", "/news/court-hears-appeal/", 2, 2),
        ("", "/gone/", 1, 1),
    ]
    assert f"/admin/pages/{month['lead'].pk}/edit/" in html


def test_a_superuser_sees_an_empty_month_explained(newsroom, client, django_user_model):
    sign_in_staff(client, django_user_model.objects.create_superuser("root", "", "pw"))
    html = client.get(INSIGHTS).content.decode()
    assert "No page views have been counted in these days." in html
    assert '<dd data-figure="views">0</dd>' in html


def test_the_permission_can_be_given_to_a_group_in_the_admin(newsroom, client, django_user_model):
    sign_in_staff(client, django_user_model.objects.create_superuser("root", "", "pw"))
    html = client.get("/admin/groups/new/").content.decode()
    assert "Can see the page-view figures" in html
