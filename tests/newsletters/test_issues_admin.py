"""A newsletter editor composes an issue in the Wagtail admin, previews it (HTML and plain
text), sends a test to staff, schedules it, sends it, pauses and resumes it; people without
the permissions are refused. Mail goes to a real SMTP server on loopback."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from wagtail.models import ModelLogEntry
from wagtail.test.utils.form_data import inline_formset, nested_form_data

from gazette.newsletters.models import Delivery, Issue
from gazette.newsletters.scheduling import default_send_at
from gazette.newsletters.sending import prepare
from tests.factories import make_staff as person
from tests.factories import sign_in_staff

from .conftest import make_issue, make_newsletter, make_subscribers

pytestmark = pytest.mark.django_db

ISSUES = "/admin/snippets/newsletters/issue/"
EDITOR_EMAIL = "editor@lantern.example"


ISSUE_PERMISSIONS = [
    f"newsletters.{codename}"
    for codename in ("add_issue", "change_issue", "delete_issue", "view_issue", "send_issue")
]


@pytest.fixture
def editor():
    client = Client()
    sign_in_staff(client, person("editor", *ISSUE_PERMISSIONS, email=EDITOR_EMAIL))
    return client


@pytest.fixture
def weekly(newsroom, sink, settings):
    settings.GAZETTE_NEWSLETTER_SMTP_URL = sink.url
    newsletter = make_newsletter()
    make_subscribers(newsletter, 4)
    return newsletter


def issue_form(newsletter, articles, **fields) -> dict:
    """What the admin's issue form posts: the fields and the articles' inline forms."""
    return nested_form_data(
        {
            "newsletter": newsletter.pk,
            "subject": "The law, and what comes next",
            "preheader": "Five stories from a week of votes",
            "intro": "Dear reader,\nthe Assembly voted.",
            "support_block": "on",
            "support_page": "",
            "support_text": "",
            "articles": inline_formset(
                [{"article": article.pk, "kind": kind} for article, kind in articles]
            ),
            **fields,
        }
    )


def sending(issue) -> str:
    return f"{ISSUES}sending/{issue.pk}/"


def test_editor_composes_an_issue_with_articles_in_order_and_kinds(editor, newsroom, weekly):
    assert editor.get(f"{ISSUES}add/").status_code == 200
    picks = [
        (newsroom["other"], ""),
        (newsroom["lead"], ""),
        (newsroom["tagged"], "analysis"),  # a news story the editor files under analysis
    ]
    response = editor.post(f"{ISSUES}add/", issue_form(weekly, picks))
    assert response.status_code == 302, response.content.decode()[:2000]
    issue = Issue.objects.get()
    assert issue.subject == "The law, and what comes next" and issue.status == Issue.Status.DRAFT
    assert [pick.article for pick in issue.picks()] == [
        newsroom[k] for k in ("other", "lead", "tagged")
    ]
    assert [(label, [a.title for a in articles]) for label, articles in issue.article_groups()] == [
        ("News", ["Grain exports fall", "Assembly passes media law"]),
        ("Analysis", ["Printers face new fines"]),
    ]
    assert ModelLogEntry.objects.filter(object_id=str(issue.pk), action="wagtail.create").exists()
    listing = editor.get(ISSUES).content.decode()
    assert issue.subject in listing and f'href="{sending(issue)}"' in listing
    edit = editor.get(f"{ISSUES}edit/{issue.pk}/").content.decode()
    assert f'href="{sending(issue)}"' in edit  # "Preview, test and send"


def test_a_bad_issue_form_says_what_to_fix_and_stores_nothing(editor, newsroom, weekly):
    form = issue_form(weekly, [(newsroom["lead"], "")], subject="")
    response = editor.post(f"{ISSUES}add/", form)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not Issue.objects.exists()


def test_live_preview_renders_the_real_email_in_both_parts(editor, newsroom, weekly):
    issue = make_issue(weekly, [newsroom["lead"]])
    preview = f"{ISSUES}preview/{issue.pk}/"
    # Unsaved changes, as the editor types: Wagtail's preview panel posts the form.
    (saved,) = issue.picks()
    form = issue_form(weekly, [], subject="Unsaved subject")
    form.update(  # the saved pick removed, another added
        nested_form_data(
            {
                "articles": inline_formset(
                    [
                        {"id": saved.pk, "article": saved.article_id, "kind": "", "DELETE": "on"},
                        {"article": newsroom["other"].pk, "kind": ""},
                    ],
                    initial=1,
                )
            }
        )
    )
    assert editor.post(preview, form).json()["is_valid"]
    html = editor.get(preview, {"mode": "html"}).content.decode()
    text = editor.get(preview, {"mode": "text"}).content.decode()
    for part in (html, text):
        assert "Grain exports fall" in part and newsroom["other"].canonical_url() in part
        assert "Assembly passes media law" not in part  # taken out in the unsaved form
        assert "https://lantern.example/newsletters/unsubscribe/preview/" in part
    assert "Unsaved subject" in html and 'style="' in html  # the inlined email HTML
    assert text.startswith("The Lantern · The Lantern Weekly")
    issue.refresh_from_db()
    assert issue.subject != "Unsaved subject"  # a preview saves nothing

    # The sending page frames the saved issue's email.
    page = editor.get(sending(issue)).content.decode()
    assert f'src="{ISSUES}email/{issue.pk}/html/"' in page
    saved = editor.get(f"{ISSUES}email/{issue.pk}/text/")
    assert saved["Content-Type"].startswith("text/plain")
    assert "Assembly passes media law" in saved.content.decode()


def test_test_send_goes_to_staff_only_and_is_no_delivery(editor, newsroom, weekly, sink, settings):
    settings.GAZETTE_NEWSLETTER_TEST_ADDRESSES = ["desk@lantern.example"]
    issue = make_issue(weekly, [newsroom["lead"]])
    page = editor.get(sending(issue)).content.decode()
    assert f"{EDITOR_EMAIL}\ndesk@lantern.example</textarea>" in page  # proposed recipients

    response = editor.post(
        sending(issue),
        {"action": "test", "addresses": f"{EDITOR_EMAIL}\ndesk@lantern.example"},
        follow=True,
    )
    assert f"Test sent to {EDITOR_EMAIL}." in response.content.decode()
    assert sorted(sink.copies()) == ["desk@lantern.example", EDITOR_EMAIL]
    message = sink.to(EDITOR_EMAIL)[0].parsed()
    assert message["Subject"] == f"[Test] {issue.subject}"
    assert "Assembly passes media law" in message.get_body(("plain",)).get_content()
    assert not Delivery.objects.exists()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT

    # Anyone else's address is refused, with the reason; nothing is sent to anybody.
    before = sink.count()
    response = editor.post(
        sending(issue), {"action": "test", "addresses": f"{EDITOR_EMAIL}, reader@example.net"}
    )
    assert response.status_code == 400
    assert "reader@example.net is not a staff address" in response.content.decode()
    assert sink.count() == before
    response = editor.post(sending(issue), {"action": "test", "addresses": "not-an-address"})
    assert response.status_code == 400
    assert "not-an-address: Enter a valid email address." in response.content.decode()


def test_schedule_defaults_to_friday_and_refuses_a_past_time(editor, newsroom, weekly):
    issue = make_issue(weekly, [newsroom["lead"]])
    page = editor.get(sending(issue)).content.decode()
    friday = timezone.localtime(default_send_at()).strftime("%Y-%m-%d %H:%M")
    assert f'value="{friday}"' in page

    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    response = editor.post(sending(issue), {"action": "schedule", "send_at": past})
    assert response.status_code == 400
    assert "That time has passed: choose a time in the future." in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT

    response = editor.post(sending(issue), {"action": "schedule", "send_at": friday}, follow=True)
    assert "Scheduled." in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SCHEDULED
    assert timezone.localtime(issue.send_at).strftime("%A %H:%M") == "Friday 08:00"
    assert "goes out at" in response.content.decode()

    # Back to a draft, then it may not go out with an unpublished article in it.
    editor.post(sending(issue), {"action": "unschedule"})
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT
    newsroom["lead"].unpublish()
    response = editor.post(sending(issue), {"action": "schedule", "send_at": friday}, follow=True)
    assert "Not published: “Assembly passes media law”" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT


def test_send_now_then_progress_and_no_more_editing(
    editor, newsroom, weekly, sink, django_capture_on_commit_callbacks
):
    issue = make_issue(weekly, [newsroom["lead"]])
    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(sending(issue), {"action": "send_now"}, follow=True)
    assert "Sending has started" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT
    assert sink.count() == 4

    page = editor.get(sending(issue)).content.decode()
    assert '<dd data-progress="sent">4 / 4</dd>' in page
    assert '<dd data-progress="failed">0</dd>' in page
    assert f'href="/newsletters/weekly/{issue.pk}/"' in page
    # Everyone got this issue: it can no longer be changed or deleted, or sent again.
    response = editor.get(f"{ISSUES}edit/{issue.pk}/")
    assert response.status_code == 302 and response["Location"] == sending(issue)
    response = editor.post(f"{ISSUES}delete/{issue.pk}/")
    assert response.status_code == 302 and Issue.objects.filter(pk=issue.pk).exists()
    response = editor.post(sending(issue), {"action": "send_now"}, follow=True)
    assert "This issue is sent: it cannot be sent now." in response.content.decode()
    assert sink.count() == 4


def test_pause_and_resume(editor, newsroom, weekly, sink, django_capture_on_commit_callbacks):
    issue = make_issue(weekly, [newsroom["lead"]])
    prepare(issue)  # a send under way
    response = editor.post(sending(issue), {"action": "pause"}, follow=True)
    assert "Paused" in response.content.decode()
    issue.refresh_from_db()
    assert issue.status == Issue.Status.PAUSED
    assert 'value="resume"' in response.content.decode()
    response = editor.post(sending(issue), {"action": "pause"}, follow=True)
    assert "This issue is paused: it cannot be paused." in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        editor.post(sending(issue), {"action": "resume"})
    issue.refresh_from_db()
    assert issue.status == Issue.Status.SENT and sink.count() == 4
    actions = ModelLogEntry.objects.filter(object_id=str(issue.pk)).values_list("action", flat=True)
    assert {"newsletters.issue.pause", "newsletters.issue.resume"} <= set(actions)
    history = editor.get(f"{ISSUES}history/{issue.pk}/")
    assert history.status_code == 200 and "Paused" in history.content.decode()


def test_a_held_issue_says_why(editor, newsroom, weekly):
    issue = make_issue(
        weekly,
        [newsroom["lead"]],
        status="held",
        send_at=timezone.now() - timedelta(hours=3),
        held_at=timezone.now(),
    )
    page = editor.get(sending(issue)).content.decode()
    assert "more than 2 hours late" in page and 'value="send_now"' in page


def refused(response) -> bool:
    """Wagtail answers a refused admin request with a redirect to the dashboard, where it
    says so."""
    return response.status_code == 302 and response["Location"] == "/admin/"


def test_people_without_the_permissions_are_refused(newsroom, weekly, sink):
    issue = make_issue(weekly, [newsroom["lead"]])
    reporter = Client()
    sign_in_staff(reporter, person("reporter", email="reporter@lantern.example"))
    for path in (
        ISSUES,
        f"{ISSUES}add/",
        f"{ISSUES}edit/{issue.pk}/",
        sending(issue),
        f"{ISSUES}email/{issue.pk}/html/",
    ):
        assert refused(reporter.get(path)), path
    for action in ("send_now", "schedule", "test"):
        response = reporter.post(
            sending(issue), {"action": action, "addresses": "reporter@lantern.example"}
        )
        assert refused(response)
    message = reporter.get("/admin/").content.decode()
    assert "Sorry, you do not have permission to access this area." in message

    # May compose, may not send: the send buttons are not shown and the actions refused.
    writer = Client()
    sign_in_staff(writer, person("writer", *ISSUE_PERMISSIONS[:4], email="writer@lantern.example"))
    page = writer.get(sending(issue)).content.decode()
    assert 'value="send_now"' not in page and 'value="test"' in page
    for action in ("send_now", "schedule"):
        send_at = timezone.localtime(default_send_at()).strftime("%Y-%m-%d %H:%M")
        assert refused(writer.post(sending(issue), {"action": action, "send_at": send_at}))
    issue.refresh_from_db()
    assert issue.status == Issue.Status.DRAFT and sink.count() == 0
    assert not ModelLogEntry.objects.filter(object_id=str(issue.pk)).exists()

    anonymous = Client().get(sending(issue))
    assert anonymous.status_code == 302 and "/admin/login/" in anonymous["Location"]
