"""Signing up with double opt-in: the POST from cached pages (no CSRF cookie; cross-site
posts refused by Sec-Fetch-Site and Origin), the honeypot, rate limits, what is stored, the
confirmation link and the welcome mail, and the box on reader pages."""

import re

import pytest
import time_machine
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from gazette.newsletters.models import Newsletter, Subscriber, Subscription, Suppression
from gazette.publishing.models import Mirror

from .conftest import make_issue, make_newsletter

pytestmark = pytest.mark.django_db

SAME_ORIGIN = {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "https://lantern.example"}


@pytest.fixture
def newsletters(db):
    return {
        "weekly": make_newsletter(),
        "breaking": make_newsletter(
            name="Lantern Breaking", slug="breaking", kind=Newsletter.Kind.BREAKING
        ),
    }


def post(client=None, headers=SAME_ORIGIN, **fields):
    data = {
        "email": "reader@example.net",
        "newsletters": ["weekly"],
        "source": "/news/assembly-passes-media-law/",
        "website": "",
        **fields,
    }
    with TestCase.captureOnCommitCallbacks(execute=True):  # mail goes out on commit
        return (client or Client()).post("/newsletters/signup/", data, **headers)


def post_confirm(path: str, client=None):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return (client or Client()).post(path)


def confirm_path(message) -> str:
    url = re.search(r"https://lantern\.example(/newsletters/confirm/[^/\s]+/)", message.body)
    return url.group(1)


def test_signup_stores_pending_consent_and_sends_one_confirmation(newsletters, settings):
    settings.GAZETTE_PRIVACY_POLICY_VERSION = "2026-03"
    before = timezone.now()
    response = post(newsletters=["weekly", "breaking"])

    assert response.status_code == 200
    assert b"Check your inbox" in response.content
    assert not response.cookies
    subscriptions = Subscription.objects.filter(subscriber__email="reader@example.net")
    assert {s.newsletter.slug for s in subscriptions} == {"weekly", "breaking"}
    for subscription in subscriptions:
        assert subscription.status == Subscription.Status.PENDING
        assert subscription.consent_source == "/news/assembly-passes-media-law/"
        assert subscription.policy_version == "2026-03"
        assert subscription.consent_at >= before
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["reader@example.net"]
    assert message.from_email == "The Lantern <newsletter@lantern.example>"
    assert "The Lantern Weekly" in message.body and "Lantern Breaking" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert confirm_path(message) in message.alternatives[0][0]


def test_the_answer_is_the_same_for_new_and_subscribed_addresses(newsletters):
    first = post()
    post_confirm(confirm_path(mail.outbox[0]))
    mail.outbox.clear()

    again = post(email="Reader@Example.net")
    new = post(email="someone-else@example.net")

    assert again.status_code == new.status_code == 200
    assert again.content == new.content.replace(b"someone-else", b"reader") == first.content
    # The confirmed address gets no second confirmation; the new one gets its own.
    assert [m.to for m in mail.outbox] == [["someone-else@example.net"]]


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-site"},
        {"HTTP_ORIGIN": "https://evil.example"},
        {"HTTP_ORIGIN": "null"},
        {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "https://evil.example"},
    ],
)
def test_cross_site_posts_are_refused_and_store_nothing(newsletters, headers):
    response = post(headers=headers)
    assert response.status_code == 403
    assert b"sent from another website" in response.content
    assert not Subscriber.objects.exists()
    assert not mail.outbox


def test_mirror_and_onion_origins_are_the_site(newsletters):
    Mirror.objects.create(address="https://lantern-mirror.example/")
    onion = "http://" + "a" * 56 + ".onion/"
    Mirror.objects.create(address=onion, kind=Mirror.Kind.ONION)
    for origin in ("https://lantern-mirror.example", onion.rstrip("/")):
        response = post(headers={"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": origin})
        assert response.status_code == 200, origin
    # A browser that sends neither header (curl, old browsers) is let through.
    assert post(headers={}, email="other@example.net").status_code == 200
    assert Subscriber.objects.count() == 2


def test_filled_honeypot_stores_nothing_but_answers_the_same(newsletters):
    person = post(email="person@example.net")
    Subscriber.objects.all().delete()
    mail.outbox.clear()

    bot = post(email="person@example.net", website="https://spam.example")

    assert bot.status_code == 200
    assert bot.content == person.content
    assert not Subscriber.objects.exists()
    assert not mail.outbox


def test_rate_limit_per_client_then_429(newsletters, settings):
    settings.GAZETTE_SIGNUP_PER_CLIENT = 3
    for number in range(3):
        assert post(email=f"r{number}@example.net").status_code == 200
    response = post(email="r9@example.net")
    assert response.status_code == 429
    assert b"Too many sign-ups" in response.content
    assert not Subscriber.objects.filter(email="r9@example.net").exists()
    # Another client is not held back by this one.
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert post(client=other, email="r10@example.net").status_code == 200


def test_rate_limit_for_everyone_together(newsletters, settings):
    settings.GAZETTE_SIGNUP_GLOBAL = 2
    clients = [Client(REMOTE_ADDR=f"192.0.2.{number}") for number in range(3)]
    codes = [post(client=c, email=f"g{n}@example.net").status_code for n, c in enumerate(clients)]
    assert codes == [200, 200, 429]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-address"}, b"This does not look like an email address"),
        ({"email": "reader@exa mple.net"}, b"This does not look like an email address"),
        ({"email": ""}, b"Enter your email address."),
        ({"newsletters": []}, b"Choose at least one newsletter."),
        ({"newsletters": ["no-such-list"]}, b"Choose newsletters from the list."),
    ],
)
def test_bad_input_gets_a_message_and_stores_nothing(newsletters, fields, message):
    response = post(**fields)
    assert response.status_code == 400
    assert message in response.content
    assert b'action="/newsletters/signup/"' in response.content  # the form, to try again
    assert not Subscriber.objects.exists()
    assert not Subscription.objects.exists()
    assert not mail.outbox


def test_one_confirmation_mail_per_address_per_window(newsletters, settings):
    for _ in range(3):
        post()
    assert len(mail.outbox) == 1
    assert Subscription.objects.count() == 1
    later = timezone.now() + timezone.timedelta(seconds=settings.GAZETTE_SIGNUP_MAIL_WINDOW + 1)
    with time_machine.travel(later):
        post()
    assert len(mail.outbox) == 2  # a reader whose mail went astray can ask again


def test_suppressed_addresses_are_not_mailed(newsletters):
    Suppression.add("reader@example.net", reason=Suppression.Reason.COMPLAINT)
    response = post()
    assert response.status_code == 200 and b"Check your inbox" in response.content
    assert not Subscription.objects.exists()
    assert not mail.outbox


def test_confirm_link_asks_then_confirms_once_and_welcomes(newsletters):
    post(newsletters=["weekly", "breaking"])
    path = confirm_path(mail.outbox[0])
    client = Client()

    shown = client.get(path)
    assert shown.status_code == 200
    assert b'<button type="submit">Confirm</button>' in shown.content
    assert not Subscription.objects.confirmed().exists()  # a link scanner's GET does nothing

    done = post_confirm(path, client)
    assert done.status_code == 200
    assert b"You are subscribed" in done.content
    assert not done.cookies
    assert Subscription.objects.confirmed().count() == 2
    first_time = Subscription.objects.get(newsletter__slug="weekly").confirmed_at
    assert len(mail.outbox) == 2
    welcome = mail.outbox[1]
    assert welcome.subject == "Welcome: your subscription is confirmed"
    assert welcome.to == ["reader@example.net"]
    assert "/newsletters/unsubscribe/" in welcome.body

    again = post_confirm(path, client)
    assert again.status_code == 200
    assert b"You are subscribed" in again.content
    assert Subscription.objects.get(newsletter__slug="weekly").confirmed_at == first_time
    assert len(mail.outbox) == 2  # no second welcome


def test_expired_link_is_refused_with_a_way_back(newsletters):
    with time_machine.travel(timezone.now() - timezone.timedelta(days=8)):
        post()
    path = confirm_path(mail.outbox[0])
    response = post_confirm(path)
    assert response.status_code == 400
    assert b"has expired" in response.content
    assert b'href="/newsletters/"' in response.content
    assert not Subscription.objects.confirmed().exists()


@pytest.mark.parametrize(
    "mangle", [lambda p: p[:-3] + "x/", lambda p: "/newsletters/confirm/forged:token/"]
)
def test_forged_link_is_refused(newsletters, mangle):
    post()
    response = post_confirm(mangle(confirm_path(mail.outbox[0])))
    assert response.status_code == 400
    assert b"This link does not work" in response.content
    assert not Subscription.objects.confirmed().exists()


def test_signing_up_from_a_russian_page_answers_and_mails_in_russian(newsletters):
    response = post(source="/ru/")
    assert "Проверьте почту".encode() in response.content
    assert "Подтвердите" in mail.outbox[0].subject


def test_newsletters_page_lists_them_with_the_form(newsletters, newsroom):
    response = Client().get("/newsletters/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "The Lantern Weekly" in html and "Lantern Breaking" in html
    assert 'action="/newsletters/signup/"' in html
    assert 'value="weekly" checked' in html and 'value="breaking">' in html
    assert f'href="{newsroom["pages"]["privacy"].url}">Privacy Policy</a>' in html
    assert not response.cookies


@pytest.mark.parametrize("which", ["article", "home"])
def test_signup_box_on_reader_pages(newsletters, newsroom, which):
    path = newsroom["lead"].url if which == "article" else "/"
    response = Client().get(path)
    html = response.content.decode()
    assert "Sign up for our free weekly newsletter" in html
    assert "every Friday" in html
    assert f'href="{newsroom["pages"]["privacy"].url}">Privacy Policy</a>' in html
    assert f'name="source" value="{path}"' in html
    assert 'name="website"' in html
    assert "Preview" not in html  # nothing sent yet
    assert not response.cookies


def test_signup_box_previews_the_latest_sent_issue(newsletters, newsroom):
    make_issue(newsletters["weekly"], subject="Old", status="sent", finished_at=timezone.now())
    latest = make_issue(
        newsletters["weekly"], subject="New", status="sent", finished_at=timezone.now()
    )
    make_issue(newsletters["weekly"], subject="Draft")
    html = Client().get("/").content.decode()
    assert '<a href="/newsletters/weekly/latest/">Preview</a>' in html
    # The newest issue itself, at a path that stays (tests/newsletters/test_archive.py).
    response = Client().get("/newsletters/weekly/latest/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>New</h1>" in html
    assert f'rel="canonical" href="https://lantern.example/newsletters/weekly/{latest.pk}/"' in html


def test_no_preview_before_the_first_issue(newsletters):
    make_issue(newsletters["weekly"], subject="Draft")
    assert Client().get("/newsletters/weekly/latest/").status_code == 404


def test_no_box_without_newsletters(newsroom):
    html = Client().get(newsroom["lead"].url).content.decode()
    assert "signup-box" not in html


def test_confirm_and_welcome_over_a_real_smtp_server(newsletters, sink, settings):
    """The same flow with Django's SMTP backend and the loopback sink instead of locmem."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    post()
    (received,) = sink.to("reader@example.net")
    message = received.parsed()
    assert message["From"] == "The Lantern <newsletter@lantern.example>"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",)).get_content()
    path = re.search(r"https://lantern\.example(/newsletters/confirm/[^/\s]+/)", text).group(1)

    post_confirm(path)

    assert Subscription.objects.get().status == Subscription.Status.CONFIRMED
    welcome = sink.to("reader@example.net")[1].parsed()
    assert welcome["Subject"] == "Welcome: your subscription is confirmed"
