"""The unsubscribe link: RFC 8058 one-click POST from the List-Unsubscribe header, and the
page the link in the mail body opens. A GET never unsubscribes; nothing sets a cookie."""

import re

import pytest

from gazette.newsletters.models import Subscription
from gazette.newsletters.sending import Sender, SendOptions, prepare
from gazette.newsletters.tokens import unsubscribe_signer
from gazette.newsletters.transports import SMTPTransport

from .conftest import make_issue, make_newsletter, make_subscribers

ONE_CLICK = {
    "data": "List-Unsubscribe=One-Click",
    "content_type": "application/x-www-form-urlencoded",
}


@pytest.fixture
def subscription(db):
    newsletter = make_newsletter()
    (subscriber,) = make_subscribers(newsletter, 1)
    return Subscription.objects.get(subscriber=subscriber)


def path_for(subscription) -> str:
    token = unsubscribe_signer().make(subscription.subscriber_id, subscription.newsletter_id)
    return f"/newsletters/unsubscribe/{token}/"


def test_a_get_only_asks(client, subscription):
    response = client.get(path_for(subscription))
    assert response.status_code == 200
    assert b"Stop receiving The Lantern Weekly?" in response.content
    assert not response.cookies
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CONFIRMED


def test_one_click_post_unsubscribes_once_without_redirect(client, subscription):
    first = client.post(path_for(subscription), **ONE_CLICK)
    assert first.status_code == 200
    assert b"You are unsubscribed" in first.content
    assert not first.cookies
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.UNSUBSCRIBED
    when = subscription.unsubscribed_at

    again = client.post(path_for(subscription), **ONE_CLICK)
    assert again.status_code == 200
    subscription.refresh_from_db()
    assert subscription.unsubscribed_at == when


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("y" if t.endswith("x") else "x"),
        lambda t: "2a-1-" + t.split("-")[-1],
        lambda t: "nonsense",
    ],
)
def test_forged_tokens_change_nothing(client, subscription, mangle):
    token = path_for(subscription).split("/")[-2]
    response = client.post(f"/newsletters/unsubscribe/{mangle(token)}/", **ONE_CLICK)
    assert response.status_code == 404
    assert b"This link does not work" in response.content
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CONFIRMED


def test_the_header_of_a_sent_issue_unsubscribes(client, newsroom, sink):
    newsletter = make_newsletter()
    subscribers = make_subscribers(newsletter, 2)
    issue = make_issue(newsletter, [newsroom["lead"]])
    prepare(issue)
    with SMTPTransport(host="127.0.0.1", port=sink.port) as transport:
        Sender(issue, transport, SendOptions()).run()
    header = sink.to(subscribers[0].email)[0].parsed()["List-Unsubscribe"]
    url = re.search(r"<(https://[^>]+)>", header).group(1)

    response = client.post(url.removeprefix("https://lantern.example"), **ONE_CLICK)

    assert response.status_code == 200
    statuses = dict(Subscription.objects.values_list("subscriber__email", "status"))
    assert statuses == {subscribers[0].email: "unsubscribed", subscribers[1].email: "confirmed"}
    assert prepare(make_issue(newsletter, subject="Next week")) == 1
