"""The preference page behind the signed link in every newsletter mail: the reader's
newsletters, changed at once (a send in progress skips a reader who left before its next
batch), consent respected for newsletters never confirmed, old and forged links refused
with a page that says so, no cookie, no CSRF cookie, cross-site posts refused."""

import re

import pytest
import time_machine
from django.core import mail
from django.test import Client, TestCase
from django.utils import timezone

from gazette.newsletters.models import Delivery, Newsletter, Subscription, Suppression
from gazette.newsletters.sending import Sender, SendOptions, prepare
from gazette.newsletters.signup import send_welcome
from gazette.newsletters.tokens import preferences_token
from gazette.newsletters.transports import SMTPTransport

from .conftest import make_issue, make_newsletter, make_subscribers

pytestmark = pytest.mark.django_db


@pytest.fixture
def breaking(db):
    return make_newsletter(name="Lantern Breaking", slug="breaking", kind=Newsletter.Kind.BREAKING)


@pytest.fixture
def reader(weekly, breaking):
    (subscriber,) = make_subscribers(weekly, 1)
    Subscription.objects.filter(subscriber=subscriber).update(confirmed_at=timezone.now())
    return subscriber


def link(subscriber, newsletter, **kwargs) -> str:
    return f"/newsletters/preferences/{preferences_token(subscriber.pk, newsletter.pk, **kwargs)}/"


def choose(path: str, *slugs: str, action="save", client=None, **headers):
    data = {"newsletters": list(slugs), "action": action}
    with TestCase.captureOnCommitCallbacks(execute=True):  # confirmation mail goes on commit
        return (client or Client()).post(path, data, **headers)


def statuses(subscriber) -> dict[str, str]:
    return dict(
        Subscription.objects.filter(subscriber=subscriber).values_list("newsletter__slug", "status")
    )


def test_every_issue_mail_links_the_page_next_to_unsubscribe(reader, weekly, newsroom, sink):
    issue = make_issue(weekly, [newsroom["lead"]])
    prepare(issue)
    with SMTPTransport(host="127.0.0.1", port=sink.port) as transport:
        Sender(issue, transport, SendOptions()).run()
    message = sink.to(reader.email)[0].parsed()
    paths = set()
    for part in (message.get_body(("plain",)), message.get_body(("html",))):
        text = part.get_content()
        assert "/newsletters/unsubscribe/" in text
        paths.update(re.findall(r"https://lantern\.example(/newsletters/preferences/[^/]+/)", text))
    assert len(paths) == 1  # the same link in both parts

    page = Client().get(paths.pop())

    assert page.status_code == 200
    assert not page.cookies
    assert "no-cache" in page["Cache-Control"]
    assert page["Referrer-Policy"] == "no-referrer"  # the token stays out of Referer headers
    html = page.content.decode()
    assert "Newsletters sent to reader0@example.net" in html
    assert 'value="weekly" checked' in html
    assert 'value="breaking">' in html


def test_the_welcome_mail_links_the_page(weekly, breaking):
    (subscriber,) = make_subscribers(weekly, 1)
    send_welcome(subscriber=subscriber, newsletters=[weekly], language="en")
    (welcome,) = mail.outbox
    path = re.search(r"https://lantern\.example(/newsletters/preferences/\S+/)", welcome.body)
    assert path.group(1) in welcome.alternatives[0][0]
    assert Client().get(path.group(1)).status_code == 200


def test_a_get_changes_nothing(reader, weekly):
    Client().get(link(reader, weekly))
    assert statuses(reader) == {"weekly": "confirmed"}


def test_leaving_takes_effect_before_the_next_batch(weekly, newsroom, sink):
    readers = make_subscribers(weekly, 3)
    issue = make_issue(weekly, [newsroom["lead"]])
    prepare(issue)  # the send is under way: every reader has a delivery waiting

    response = choose(link(readers[1], weekly))  # nothing ticked

    assert response.status_code == 200
    assert "You will not receive these any more: The Lantern Weekly" in response.content.decode()
    with SMTPTransport(host="127.0.0.1", port=sink.port) as transport:
        Sender(issue, transport, SendOptions()).run()
    assert sink.to(readers[1].email) == []
    assert len(sink.to(readers[0].email)) == len(sink.to(readers[2].email)) == 1
    skipped = Delivery.objects.get(issue=issue, subscriber=readers[1])
    assert (skipped.status, skipped.last_response) == ("skipped", "unsubscribed")


def test_unsubscribe_from_all(reader, weekly, breaking):
    Subscription.objects.create(subscriber=reader, newsletter=breaking, status="pending")
    response = choose(link(reader, weekly), "weekly", "breaking", action="leave_all")
    assert response.status_code == 200
    assert statuses(reader) == {"weekly": "unsubscribed", "breaking": "unsubscribed"}
    assert not mail.outbox


def test_a_newsletter_never_confirmed_waits_for_a_confirmation(reader, weekly, breaking, settings):
    settings.GAZETTE_PRIVACY_POLICY_VERSION = "2026-11"
    before = timezone.now()

    response = choose(link(reader, weekly), "weekly", "breaking")

    assert "We have sent you a message with a link to confirm these: Lantern Breaking" in (
        response.content.decode()
    )
    joined = Subscription.objects.get(subscriber=reader, newsletter=breaking)
    assert joined.status == "pending"
    assert (joined.consent_source, joined.policy_version) == ("preferences", "2026-11")
    assert joined.consent_at >= before
    (confirmation,) = mail.outbox
    assert confirmation.to == [reader.email]
    assert "Lantern Breaking" in confirmation.body
    confirm = re.search(r"https://lantern\.example(/newsletters/confirm/\S+/)", confirmation.body)
    with TestCase.captureOnCommitCallbacks(execute=True):
        Client().post(confirm.group(1))
    assert statuses(reader) == {"weekly": "confirmed", "breaking": "confirmed"}


def test_saving_the_same_choice_again_mails_and_changes_nothing(reader, weekly, breaking):
    path = link(reader, weekly)
    choose(path, "weekly", "breaking")
    again = choose(path, "weekly", "breaking")
    assert "Nothing needed to change" in again.content.decode()
    # Leaving and coming back within the window: the first mail's link still confirms.
    choose(path, "weekly")
    choose(path, "weekly", "breaking")
    assert len(mail.outbox) == 1
    assert statuses(reader)["breaking"] == "pending"


def test_a_confirmation_link_gone_stale_is_sent_again(reader, weekly, breaking, settings):
    path = link(reader, weekly)
    choose(path, "weekly", "breaking")
    later = timezone.now() + timezone.timedelta(days=settings.GAZETTE_SIGNUP_CONFIRM_DAYS + 1)
    with time_machine.travel(later):
        response = choose(link(reader, weekly), "weekly", "breaking")
    assert "a link to confirm these: Lantern Breaking" in response.content.decode()
    assert len(mail.outbox) == 2
    confirm = re.search(r"https://lantern\.example(/newsletters/confirm/\S+/)", mail.outbox[1].body)
    with time_machine.travel(later), TestCase.captureOnCommitCallbacks(execute=True):
        Client().post(confirm.group(1))
    assert statuses(reader)["breaking"] == "confirmed"


def test_coming_back_to_a_newsletter_confirmed_before_is_immediate(reader, weekly):
    Subscription.objects.get(subscriber=reader).unsubscribe()
    before = timezone.now()

    response = choose(link(reader, weekly), "weekly")

    assert "You will receive these again: The Lantern Weekly" in response.content.decode()
    subscription = Subscription.objects.get(subscriber=reader)
    assert subscription.status == "confirmed"
    assert subscription.unsubscribed_at is None
    assert subscription.consent_source == "preferences"
    assert subscription.consent_at >= before
    assert not mail.outbox


def test_a_stopped_address_can_leave_but_not_join(reader, weekly, breaking):
    Suppression.add(reader.email, reason=Suppression.Reason.HARD_BOUNCE)
    path = link(reader, weekly)
    assert "Mail to this address has stopped" in Client().get(path).content.decode()

    response = choose(path, "breaking")

    assert "We cannot send you these: Lantern Breaking" in response.content.decode()
    assert statuses(reader) == {"weekly": "unsubscribed"}
    assert not mail.outbox


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("y" if t.endswith("x") else "x"),  # a changed signature
        lambda t: "zz-" + t.split("-", 1)[1],  # another subscriber, old signature
        lambda t: t.rsplit("-", 2)[0] + "-" + t.rsplit("-", 1)[1],  # the day left out
        lambda t: "nonsense",
    ],
)
def test_forged_links_are_refused(reader, weekly, mangle):
    token = link(reader, weekly).split("/")[-2]
    path = f"/newsletters/preferences/{mangle(token)}/"
    assert Client().get(path).status_code == 404
    response = choose(path, action="leave_all")
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert statuses(reader) == {"weekly": "confirmed"}


def test_expired_links_are_refused_with_a_way_on(reader, weekly, settings):
    settings.GAZETTE_PREFERENCES_LINK_DAYS = 90
    made = timezone.now() - timezone.timedelta(days=91)
    path = link(reader, weekly, now=made.timestamp())

    response = choose(path, action="leave_all")

    assert response.status_code == 410
    page = response.content.decode()
    assert "This link has expired" in page
    assert "work for 90 days after the newsletter was sent" in page
    assert "The unsubscribe link in a newsletter works however old it is" in page
    assert "reader0@example.net" not in page
    assert statuses(reader) == {"weekly": "confirmed"}
    # One day younger, it still works.
    with time_machine.travel(timezone.now() - timezone.timedelta(days=1)):
        assert Client().get(path).status_code == 200


def test_the_link_of_an_erased_subscriber_is_refused(reader, weekly):
    path = link(reader, weekly)
    reader.delete()
    assert Client().get(path).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_SEC_FETCH_SITE": "cross-site"},
        {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "https://evil.example"},
    ],
)
def test_posts_from_another_site_are_refused(reader, weekly, headers):
    response = choose(link(reader, weekly), action="leave_all", **headers)
    assert response.status_code == 403
    assert "sent from another website" in response.content.decode()
    assert statuses(reader) == {"weekly": "confirmed"}


def test_the_same_site_may_post(reader, weekly):
    headers = {"HTTP_SEC_FETCH_SITE": "same-origin", "HTTP_ORIGIN": "https://lantern.example"}
    response = choose(link(reader, weekly), action="leave_all", **headers)
    assert response.status_code == 200
    assert statuses(reader) == {"weekly": "unsubscribed"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"newsletters": ["no-such-list"], "action": "save"}, "Choose newsletters from the list."),
        ({"newsletters": ["breaking"]}, "Press one of the buttons to save your choice."),
        ({"newsletters": [], "action": "delete"}, "Press one of the buttons to save your choice."),
    ],
)
def test_bad_input_gets_a_message_and_changes_nothing(reader, weekly, data, message):
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = Client().post(link(reader, weekly), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "Nothing was changed." in page
    assert 'value="weekly" checked' in page  # what is stored, to choose again
    assert statuses(reader) == {"weekly": "confirmed"}
    assert not mail.outbox


def test_the_page_speaks_the_subscribers_language(reader, weekly):
    reader.language = "ru"
    reader.save()
    page = Client().get(link(reader, weekly)).content.decode()
    assert '<html lang="ru">' in page
    assert "Ваши рассылки" in page
