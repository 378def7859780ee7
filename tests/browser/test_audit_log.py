"""An administrator works in the admin (a failed sign-in, a sign-in, publish and unpublish
an article, a setting changed, a colleague's role changed, a subscriber's data exported and
the subscriber erased, an issue scheduled) and then finds each of those in Settings > Audit
log, with no subscriber's address anywhere in it."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from gazette.accounts.models import AuditEntry
from tests.browser.conftest import sign_in
from tests.factories import make_article
from tests.newsletters.conftest import make_issue, make_newsletter, make_subscribers

pytestmark = pytest.mark.browser

PASSWORD = "correct horse 42"
HEADLINE = "Harbour strike enters its second week"


def test_an_administrators_session_is_in_the_audit_log(
    committed_newsroom, browser, live_server, screenshot
):
    newsroom = committed_newsroom
    olga = get_user_model().objects.create_user("olga", "olga@lantern.example", PASSWORD)
    for role in ("Administrators", "Editors", "Newsletter editors"):
        olga.groups.add(Group.objects.get(name=role))
    ivan = get_user_model().objects.create_user(
        "ivan", "ivan@lantern.example", PASSWORD, first_name="Ivan", last_name="Sorokin"
    )
    ivan.groups.add(Group.objects.get(name="Reporters"))
    article = make_article(
        newsroom["news"], HEADLINE, authors=[newsroom["authors"]["anna"]], publish=False
    )
    newsletter = make_newsletter()
    reader, erased = make_subscribers(newsletter, 2)
    issue = make_issue(newsletter, [newsroom["lead"]])

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    base = live_server.url
    try:
        # A mistyped password, then the right one.
        page.goto(base + "/admin/login/")
        page.fill("#id_username", "olga")
        page.fill("#id_password", "wrong horse")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("load")
        assert page.url.startswith(base + "/admin/login/")
        sign_in(page, base, "olga", PASSWORD)

        # Publish the draft, then unpublish it.
        page.goto(f"{base}/admin/pages/{article.pk}/edit/")
        page.locator("footer [data-w-dropdown-target='toggle']").last.click()
        page.locator("button[name='action-publish']").click()
        page.wait_for_load_state("load")
        article.refresh_from_db()
        assert article.live
        page.goto(f"{base}/admin/pages/{article.pk}/unpublish/")
        page.get_by_role("button", name="Yes, unpublish it").click()
        page.wait_for_load_state("load")
        article.refresh_from_db()
        assert not article.live

        # A setting: the newsroom's tagline.
        page.goto(f"{base}/admin/settings/newsroom/newsroomsettings/")
        page.fill("#id_tagline", "Independent news, from exile")
        page.get_by_role("button", name="Save").first.click()
        page.wait_for_load_state("load")

        # Ivan the reporter becomes an editor.
        page.goto(f"{base}/admin/users/edit/{ivan.pk}/")
        page.get_by_role("tab", name="Roles").click()
        page.get_by_label("Editors", exact=True).check()
        page.get_by_label("Reporters", exact=True).uncheck()
        page.get_by_role("button", name="Save").first.click()
        page.wait_for_load_state("load")
        assert set(ivan.groups.values_list("name", flat=True)) == {"Editors"}

        # A subscriber's data downloaded; another subscriber erased.
        page.goto(f"{base}/admin/subscriber/inspect/{reader.pk}/")
        page.locator(
            "[data-w-breadcrumbs-target] ~ * [data-w-dropdown-target='toggle'], "
            "header [data-w-dropdown-target='toggle']"
        ).first.click()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download their data (JSON)").click()
        assert download.value.suggested_filename.startswith(f"subscriber-{reader.pk}-")
        page.goto(f"{base}/admin/subscriber/delete/{erased.pk}/")
        page.get_by_role("button", name="Yes, erase").click()
        page.wait_for_load_state("load")

        # The issue scheduled for tomorrow.
        page.goto(f"{base}/admin/snippets/newsletters/issue/sending/{issue.pk}/")
        tomorrow = timezone.localtime() + timedelta(days=1)
        page.fill("#id_send_at", tomorrow.strftime("%Y-%m-%d %H:%M"))
        page.get_by_role("button", name="Schedule", exact=True).press("Enter")
        page.wait_for_load_state("load")

        # Everything Olga did, in the audit log.
        page.goto(base + "/admin/")
        page.get_by_role("button", name="Settings").click()
        page.get_by_role("link", name="Audit log").click()
        page.fill("#id_who", "olga")
        page.get_by_role("button", name="Filter").click()
        page.wait_for_load_state("load")
        screenshot(page, "audit-log-after-a-session")
        shown = [
            [cell.strip() for cell in row.locator("td").all_inner_texts()]
            for row in page.locator("table.listing tbody tr").all()
        ]
        done = {(row[2], row[3]) for row in shown if row[1] == "olga"}
        for expected in [
            ("Sign-in failed", ""),
            ("Signed in", ""),
            ("Publish", HEADLINE),
            ("Unpublish", HEADLINE),
            ("Roles changed", "ivan"),
            ("Subscriber's data exported", f"subscriber {reader.pk}"),
            ("Erase", f"subscriber {erased.pk}"),
            ("Schedule issue", str(issue)),
        ]:
            assert expected in done, (expected, shown)
        # The settings' own name: "newsroom for <site>".
        assert any(row[2] == "Edit" and row[3].startswith("newsroom for") for row in shown), shown
        text = page.content()
        assert "@example.net" not in text
        assert "@example.net" not in str(list(AuditEntry.objects.values()))
    finally:
        context.close()
