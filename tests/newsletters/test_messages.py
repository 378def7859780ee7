"""What a subscriber receives: both parts, the headers mail providers ask for, DKIM that an
independent verifier (dkimpy) accepts. Messages go through a real SMTP server on loopback."""

import re
from email import message_from_bytes, policy

import dkim
import pytest

from gazette.newsletters.dkim import DkimSigner, canonical_body
from gazette.newsletters.messages import IssueMail
from gazette.newsletters.models import Delivery
from gazette.newsletters.models.deliveries import Claimed
from gazette.newsletters.sending import Sender, SendOptions, prepare
from gazette.newsletters.tokens import bounce_signer, unsubscribe_signer
from gazette.newsletters.transports import SMTPTransport

from .conftest import make_issue, make_newsletter, make_subscribers


def send(issue, sink, *, keys=None, **options):
    prepare(issue)
    with SMTPTransport(host="127.0.0.1", port=sink.port, connections=3) as transport:
        Sender(
            issue,
            transport,
            SendOptions(**options),
            signer=DkimSigner(keys) if keys else None,
        ).run()


@pytest.fixture
def sent(newsroom, sink, dkim_keys):
    newsletter = make_newsletter()
    (subscriber,) = make_subscribers(newsletter, 1)
    articles = [newsroom["lead"], newsroom["other"], newsroom["same_section"]]
    issue = make_issue(newsletter, articles, subject="Неделя: закон о СМИ — what changed")
    send(issue, sink, keys=dkim_keys)
    (received,) = sink.to(subscriber.email)
    delivery = Delivery.objects.get(issue=issue, subscriber=subscriber)
    return {"received": received, "delivery": delivery, "issue": issue, "articles": articles}


def test_headers(sent):
    received, delivery, issue = sent["received"], sent["delivery"], sent["issue"]
    message = received.parsed()
    assert message["From"] == "The Lantern <newsletter@lantern.example>"
    assert message["To"] == delivery.subscriber.email
    assert message["Subject"] == "Неделя: закон о СМИ — what changed"
    assert message["Message-ID"] == delivery.message_id
    assert message["List-Id"] == "The Lantern Weekly <weekly.lists.lantern.example>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = re.findall(r"<([^>]+)>", message["List-Unsubscribe"])
    token = https.removeprefix("https://lantern.example/newsletters/unsubscribe/").strip("/")
    assert unsubscribe_signer().read(token, 2) == (delivery.subscriber_id, issue.newsletter_id)
    assert mailto == f"mailto:unsubscribe+{token}@lists.lantern.example"
    # VERP: the envelope sender names the delivery, so a bounce can be attributed.
    local, _, domain = received.mail_from.partition("@")
    assert domain == "lists.lantern.example"
    assert bounce_signer().read(local.removeprefix("bounces+"), 1) == (delivery.pk,)
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"


def test_both_parts_carry_the_issue_with_absolute_links(sent):
    message = sent["received"].parsed()
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    issue = sent["issue"]
    token = unsubscribe_signer().make(sent["delivery"].subscriber_id, issue.newsletter_id)
    unsubscribe = f"https://lantern.example/newsletters/unsubscribe/{token}/"
    web = f"https://lantern.example/newsletters/weekly/{issue.pk}/"
    for part in (text, html):
        assert "this was a week of votes" in part
        for article in sent["articles"]:
            assert article.title in part
            assert article.canonical_url() in part
            assert article.canonical_url().startswith("https://lantern.example/")
        assert unsubscribe in part
        assert web in part
        assert "https://lantern.example/support/" in part
    # Grouped by kind, news first; CSS inlined into the tags mail programs read.
    assert "NEWS" in text
    assert issue.preheader in html
    assert 'style="' in html and "<style" not in html


def test_dkim_signatures_verify(sent, dns):
    data = sent["received"].data
    assert data.count(b"DKIM-Signature:") == 2
    # dkimpy checks the first signature; strip each in turn to check the other.
    first, second = data.split(b"DKIM-Signature:")[1:3]
    assert b"a=rsa-sha256" in first and b"a=ed25519-sha256" in second
    assert dkim.verify(data, dnsfunc=dns)
    without_rsa = data.replace(b"DKIM-Signature:" + first, b"", 1)
    assert dkim.verify(without_rsa, dnsfunc=dns)
    signed = re.search(rb"h=([^;]+);", second).group(1).decode().split(":")
    for name in ("from", "to", "subject", "date", "message-id", "list-unsubscribe"):
        assert name in signed
    assert "list-unsubscribe-post" in signed


def test_tampering_breaks_the_signature(sent, dns):
    data = sent["received"].data.replace(b"this was a week", b"this was a weak")
    assert not dkim.verify(data, dnsfunc=dns)


def test_body_is_built_in_canonical_form(newsroom):
    newsletter = make_newsletter()
    intro = "From the editors:\nFrom  now on,   a weekly letter."
    issue = make_issue(newsletter, [newsroom["lead"], newsroom["tagged"]], intro=intro)
    mail = IssueMail(issue)
    assert mail.body_is_canonical
    body = mail.body(unsubscribe_signer().make(123456, 7))
    assert canonical_body(body) == body
    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    # No line starts "From " (mbox-minded relays would rewrite it and break DKIM).
    assert b"\r\nFrom " not in body
    outgoing = mail.message(Claimed(1, 123456, "reader@example.net", "<m@x>", 0, False))
    text = message_from_bytes(outgoing.data, policy=policy.default).get_body(("plain",))
    assert "From the editors:\nFrom now on, a weekly letter." in text.get_content().replace(
        "\r", ""
    )


def test_signer_canonicalizes_any_body(dkim_keys, dns):
    """Bodies not built by IssueMail (trailing spaces, tabs, blank lines at the end) are
    canonicalized before hashing, and long folded headers are unfolded."""
    headers = [
        ("From", " Desk <desk@lantern.example>"),
        ("To", " reader@example.net"),
        ("Subject", " A  subject\twith   odd\r\n  spacing "),
        ("Date", " Tue, 01 Dec 2026 10:00:00 +0000"),
        ("Message-ID", " <abc@lantern.example>"),
    ]
    body = b"Line with trailing spaces   \r\n\tIndented  twice\r\n\r\n\r\n"
    signatures = DkimSigner(dkim_keys).sign(headers, body=body)
    head = "".join(f"{name}:{value}\r\n" for name, value in signatures + headers)
    message = head.encode() + b"\r\n" + body
    assert dkim.verify(message, dnsfunc=dns)
    assert canonical_body(body) == b"Line with trailing spaces\r\n Indented twice\r\n"
