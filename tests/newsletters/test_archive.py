"""The public archive of sent issues: in the page store as soon as an issue has gone out,
valid HTML, byte for byte what Django answers, relative links only, no cookies; the email's
"Read in your browser" link and the signup box's "Preview" link lead to stored pages."""

import re
from datetime import timedelta

import html5lib
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from gazette.newsletters.messages import IssueMail
from gazette.newsletters.sending import SendOptions, send_issue
from gazette.newsletters.transports import SMTPTransport
from gazette.publishing.building import build_site
from gazette.publishing.models import StoredPage
from gazette.publishing.store import PageStore

from .conftest import make_issue, make_newsletter, make_subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(settings, tmp_path):
    settings.GAZETTE_STORE_DIR = tmp_path / "store"
    return PageStore()


@pytest.fixture
def weekly(newsroom):
    newsletter = make_newsletter(description="The week's stories, chosen by our editors.")
    make_subscribers(newsletter, 3)
    return newsletter


def send(issue, sink, capture):
    """A real send to the SMTP sink; what it queues on commit (the archive's render) runs."""
    with capture(execute=True):
        with SMTPTransport(host="127.0.0.1", port=sink.port, connections=2) as transport:
            send_issue(issue, transport=transport, options=SendOptions(idle_wait=0.01))
    issue.refresh_from_db()
    assert issue.status == issue.Status.SENT


def assert_valid_html(body: bytes) -> None:
    """Parse errors of the HTML standard's parser (unclosed or misnested elements, stray end
    tags, duplicate attributes, a missing doctype) fail the test."""
    html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parse(body)


def own_host_links(html: str) -> list[str]:
    """Attributes naming our own host, apart from the canonical link."""
    found = re.findall(r'<[^>]*(?:href|src|action)="https?://lantern\.example[^"]*"[^>]*>', html)
    return [tag for tag in found if 'rel="canonical"' not in tag]


def test_a_sent_issue_is_in_the_store_as_django_renders_it(
    newsroom, weekly, store, sink, django_capture_on_commit_callbacks
):
    articles = [newsroom["lead"], newsroom["other"]]
    issue = make_issue(weekly, articles)
    send(issue, sink, django_capture_on_commit_callbacks)

    paths = [
        "/newsletters/weekly/",
        f"/newsletters/weekly/{issue.pk}/",
        "/newsletters/weekly/latest/",
    ]
    for path in paths:
        stored = store.read(path)
        assert stored is not None, path
        response = Client().get(path)
        assert response.status_code == 200
        assert stored == response.content, path
        assert not response.cookies
        assert_valid_html(stored)
        assert own_host_links(stored.decode()) == [], path

    page = store.read(f"/newsletters/weekly/{issue.pk}/").decode()
    assert issue.subject in page and "this was a week of votes" in page
    for article in articles:
        assert f'href="{article.relative_path()}"' in page
    assert 'href="/support/"' in page
    assert (
        f'<link rel="canonical" href="https://lantern.example/newsletters/weekly/{issue.pk}/">'
        in page
    )
    assert 'action="/newsletters/signup/"' in page  # sign up from the web version
    # A change to an article the issue shows renders the issue's page again.
    shown = StoredPage.objects.get(path=f"/newsletters/weekly/{issue.pk}/").shows.all()
    assert set(shown) == set(articles)

    archive = store.read("/newsletters/weekly/").decode()
    assert f'href="/newsletters/weekly/{issue.pk}/"' in archive
    assert "The week&#x27;s stories" in archive or "The week's stories" in archive


def test_the_email_links_to_its_stored_web_version(
    newsroom, weekly, store, sink, django_capture_on_commit_callbacks
):
    issue = make_issue(weekly, [newsroom["lead"]])
    send(issue, sink, django_capture_on_commit_callbacks)
    text = sink.received[0].parsed().get_body(("plain",)).get_content()
    (link,) = re.findall(r"https://lantern\.example(/newsletters/weekly/\d+/)", text)
    assert store.read(link) is not None
    assert Client().get(link).status_code == 200


def test_latest_follows_each_new_issue_and_the_box_gets_its_preview_link(
    newsroom, weekly, store, sink, django_capture_on_commit_callbacks
):
    build_site(store=store)
    home = store.read("/").decode()
    assert "signup-box" in home and "Preview" not in home  # nothing sent yet
    assert store.read("/newsletters/weekly/latest/") is None

    first = make_issue(weekly, [newsroom["lead"]], subject="First week")
    send(first, sink, django_capture_on_commit_callbacks)
    # The first issue gives every page with the box its Preview link (a site build).
    home = store.read("/").decode()
    assert '<a href="/newsletters/weekly/latest/">Preview</a>' in home
    assert "<h1>First week</h1>" in store.read("/newsletters/weekly/latest/").decode()

    article_page = store.read(newsroom["lead"].relative_path())
    second = make_issue(weekly, [newsroom["other"]], subject="Second week")
    send(second, sink, django_capture_on_commit_callbacks)
    latest = store.read("/newsletters/weekly/latest/").decode()
    assert "<h1>Second week</h1>" in latest
    assert (
        f'rel="canonical" href="https://lantern.example/newsletters/weekly/{second.pk}/"' in latest
    )
    # Pages with the box link to /latest/, which stayed: they were not rendered again.
    assert store.read(newsroom["lead"].relative_path()) == article_page
    archive = store.read("/newsletters/weekly/").decode()
    assert archive.index("Second week") < archive.index("First week")


def test_unsent_issues_are_not_public(newsroom, weekly, store):
    draft = make_issue(weekly, [newsroom["lead"]])
    scheduled = make_issue(weekly, status="scheduled", send_at=timezone.now() + timedelta(days=1))
    client = Client()
    for issue in (draft, scheduled):
        assert client.get(f"/newsletters/weekly/{issue.pk}/").status_code == 404
    assert client.get("/newsletters/weekly/latest/").status_code == 404
    assert client.get("/newsletters/nonesuch/").status_code == 404
    # Another newsletter's issue is not found under this one's path.
    other = make_newsletter(slug="breaking", name="Breaking")
    sent = make_issue(other, status="sent", finished_at=timezone.now())
    assert client.get(f"/newsletters/weekly/{sent.pk}/").status_code == 404
    assert client.get(f"/newsletters/breaking/{sent.pk}/").status_code == 200


def test_a_full_build_holds_the_archive(newsroom, weekly, store):
    sent = make_issue(weekly, [newsroom["lead"]], status="sent", finished_at=timezone.now())
    make_issue(weekly, [newsroom["other"]], subject="Not yet")
    summary = build_site(store=store)
    assert summary.errors == []
    archive = {path for path in store.paths() if path.startswith("/newsletters/")}
    assert archive == {
        "/newsletters/weekly/",
        "/newsletters/weekly/latest/",
        f"/newsletters/weekly/{sent.pk}/",
    }


def test_an_article_unpublished_after_the_send_leaves_the_web_version(newsroom, weekly):
    issue = make_issue(
        weekly, [newsroom["lead"], newsroom["other"]], status="sent", finished_at=timezone.now()
    )
    newsroom["other"].unpublish()
    page = Client().get(f"/newsletters/weekly/{issue.pk}/").content.decode()
    assert newsroom["lead"].title in page and newsroom["other"].title not in page


def test_the_support_block_follows_the_issue(newsroom, weekly):
    about = newsroom["pages"]["about"]
    issue = make_issue(
        weekly,
        [newsroom["lead"]],
        status="sent",
        finished_at=timezone.now(),
        support_page=about,
        support_text="Keep us going.",
    )
    page = Client().get(f"/newsletters/weekly/{issue.pk}/").content.decode()
    assert 'href="/about/"' in page and "Keep us going." in page
    html = IssueMail(issue).html
    assert "https://lantern.example/about/" in html and "Keep us going." in html

    issue.support_block = False
    issue.save()
    page = Client().get(f"/newsletters/weekly/{issue.pk}/").content.decode()
    assert "Keep us going." not in page and "Support us</a>" not in page
    assert "Support us" not in IssueMail(issue).text


def test_a_newsletter_slug_that_names_another_page_is_refused(newsroom):
    newsletter = make_newsletter(slug="weekly")
    newsletter.slug = "unsubscribe"
    with pytest.raises(ValidationError) as error:
        newsletter.full_clean()
    assert "names a page of its own" in str(error.value.message_dict["slug"])
