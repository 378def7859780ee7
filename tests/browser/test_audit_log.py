"""An administrator works in the admin (a failed sign-in, a sign-in, an authenticator app
added, publish and unpublish an article, a setting changed, a colleague's role changed, a
group's permissions changed, a subscriber's data exported and the subscriber erased, an
issue scheduled) and then finds each of those in Settings > Audit log, with no subscriber's
address anywhere in it."""

import time
from base64 import b32decode
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone
from django_otp.oath import TOTP

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

        # A second factor added: an authenticator app, from Sign-in security.
        page.goto(base + "/admin/security/")
        page.get_by_role("link", name="Add an authenticator app").click()
        secret = page.locator("#totp-secret").inner_text()
        totp = TOTP(b32decode(secret.replace(" ", "")))
        totp.time = time.time()
        page.fill("#id_token", f"{totp.token():06d}")
        page.get_by_role("button", name="Add this app").click()
        page.get_by_text("Your authenticator app is added.").wait_for()

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

        # Reporters lose the admin (a newsroom sending its reporters home for a while).
        access_admin = Permission.objects.get(
            content_type__app_label="wagtailadmin", codename="access_admin"
        )
        reporters = Group.objects.get(name="Reporters")
        assert reporters.permissions.filter(pk=access_admin.pk).exists()
        page.goto(f"{base}/admin/groups/edit/{reporters.pk}/")
        page.locator(f"input[name='permissions'][value='{access_admin.pk}']").uncheck()
        page.get_by_role("button", name="Save").first.click()
        page.wait_for_load_state("load")
        assert not reporters.permissions.filter(pk=access_admin.pk).exists()

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
            ("Second factor added", "totp: Authenticator app"),
            ("Group permissions changed", "Reporters"),
            ("Publish", HEADLINE),
            ("Unpublish", HEADLINE),
            ("Roles changed", "ivan"),
            ("Personal data exported", f"subscriber {reader.pk}"),
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
