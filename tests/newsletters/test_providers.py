"""Provider transports: the real anymail backends (boto3 for SES, requests for Postmark)
against their APIs played on loopback (provider_api.py), driven by the same delivery engine
as SMTP: sent only once accepted, with the provider's message id kept; throttling and the
provider's own errors retried; refused recipients bounced and suppressed."""

import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import ImproperlyConfigured

from gazette.newsletters.models import BounceEvent, Delivery, Suppression
from gazette.newsletters.providers import as_email_message
from gazette.newsletters.sending import SendOptions, prepare, send_issue
from gazette.newsletters.transports import RateLimit, SMTPTransport, transport_from_settings

from .conftest import make_issue, make_newsletter, make_subscribers
from .provider_api import (
    POSTMARK_BAD_TOKEN,
    POSTMARK_DOWN,
    POSTMARK_THROTTLED,
    SES_DOWN,
    SES_REJECTED,
    SES_THROTTLED,
    postmark_api,
    postmark_inactive,
    ses_api,
    ses_raw_message,
)

NOW = SendOptions(retry_base=timedelta(0), idle_wait=0.01)


@pytest.fixture
def newsletter(db):
    return make_newsletter()


@pytest.fixture
def ses(settings, monkeypatch):
    api = ses_api().start()
    # boto3 reads these as it would on a server; nothing of the machine's own AWS setup.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.GAZETTE_NEWSLETTER_TRANSPORT = "ses"
    settings.GAZETTE_SES_REGION = "eu-west-1"
    settings.GAZETTE_SES_ENDPOINT_URL = api.url
    settings.GAZETTE_SES_CONFIGURATION_SET = "newsletters"
    yield api
    api.stop()


@pytest.fixture
def postmark(settings):
    api = postmark_api().start()
    settings.GAZETTE_NEWSLETTER_TRANSPORT = "postmark"
    settings.GAZETTE_POSTMARK_SERVER_TOKEN = "server-token-for-tests"
    settings.GAZETTE_POSTMARK_API_URL = api.url
    yield api
    api.stop()


def send(issue, options=NOW, **kwargs):
    return send_issue(issue, transport=transport_from_settings(), options=options, **kwargs)


def try_each_once(issue) -> list[Delivery]:
    """Send until every delivery has been tried once (retries wait an hour)."""
    send(
        issue,
        options=SendOptions(retry_base=timedelta(hours=1)),
        should_stop=lambda: not Delivery.objects.filter(attempts=0).exists(),
    )
    return list(Delivery.objects.filter(issue=issue))


@pytest.fixture
def dkim_configured(settings, tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = tmp_path / "rsa.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    settings.GAZETTE_DKIM_DOMAIN = "lantern.example"
    settings.GAZETTE_DKIM_KEYS = [f"rsa2026:{path}"]


def test_ses_sends_every_subscriber_once_and_keeps_the_message_id(newsletter, ses, dkim_configured):
    subscribers = make_subscribers(newsletter, 5)
    issue = make_issue(newsletter)

    result = send(issue)

    assert (result.sent, result.total) == (5, 5)
    assert sorted(r.json()["Destination"]["ToAddresses"][0] for r in ses.accepted) == sorted(
        s.email for s in subscribers
    )
    first = ses.accepted[0]
    assert first.path == "/v2/email/outbound-emails"
    assert first.headers["authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/ses/" in first.headers["authorization"]
    assert first.json()["ConfigurationSetName"] == "newsletters"
    message = ses_raw_message(first)
    delivery = Delivery.objects.get(subscriber__email=message["To"])
    assert message["Message-ID"] == delivery.message_id
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/newsletters/unsubscribe/" in message["List-Unsubscribe"]
    assert message["List-Id"] == "The Lantern Weekly <weekly.lists.lantern.example>"
    assert message["Subject"] == issue.subject
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None
    # SES signs with the domain's Easy DKIM keys; a signature of ours would not survive.
    assert message["DKIM-Signature"] is None
    ids = dict(Delivery.objects.values_list("subscriber__email", "provider_message_id"))
    assert sorted(ids.values()) == [f"ses-{n:04d}" for n in range(1, 6)]
    assert set(Delivery.objects.values_list("status", flat=True)) == {Delivery.Status.SENT}


@pytest.mark.parametrize("reply", [SES_THROTTLED, SES_DOWN], ids=["throttled", "server-error"])
def test_ses_throttling_and_server_errors_are_retried(newsletter, ses, reply):
    subscribers = make_subscribers(newsletter, 3)
    slow = subscribers[1].email
    ses.answer(slow, reply, reply)
    issue = make_issue(newsletter)

    assert send(issue).sent == 3

    # Two refusals and one acceptance reached the API: botocore did not retry on its own,
    # the engine did, with backoff.
    assert len(ses.to(slow)) == 3
    delivery = Delivery.objects.get(subscriber__email=slow)
    assert (delivery.status, delivery.attempts, delivery.uncertain) == ("sent", 3, False)
    assert delivery.provider_message_id.startswith("ses-")
    assert not Suppression.objects.exists()


def test_ses_rejecting_a_message_gives_it_up_without_blaming_the_address(newsletter, ses):
    subscribers = make_subscribers(newsletter, 2)
    ses.answer(subscribers[0].email, SES_REJECTED)
    issue = make_issue(newsletter)

    result = send(issue)

    assert (result.sent, result.failed) == (1, 1)
    failed = Delivery.objects.get(subscriber=subscribers[0])
    assert failed.status == Delivery.Status.FAILED
    assert "MessageRejected" in failed.last_response
    assert failed.provider_message_id == ""
    assert not Suppression.objects.exists()


def test_postmark_sends_with_the_list_headers_on_the_broadcast_stream(
    newsletter, postmark, dkim_configured
):
    subscribers = make_subscribers(newsletter, 3)
    issue = make_issue(newsletter)

    assert send(issue).sent == 3

    assert sorted(r.json()["To"] for r in postmark.accepted) == sorted(s.email for s in subscribers)
    request = postmark.accepted[0]
    assert request.headers["x-postmark-server-token"] == "server-token-for-tests"
    body = request.json()
    assert body["MessageStream"] == "broadcast"
    assert body["Subject"] == issue.subject
    assert body["From"] == "The Lantern <newsletter@lantern.example>"
    assert "/newsletters/unsubscribe/" in body["TextBody"] and "<html" in body["HtmlBody"]
    headers = {item["Name"]: item["Value"] for item in body["Headers"]}
    delivery = Delivery.objects.get(subscriber__email=body["To"])
    assert headers["Message-ID"] == delivery.message_id
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "DKIM-Signature" not in headers
    # The unsubscribe token in the header is the one in the body: one per recipient.
    token = headers["List-Unsubscribe"].split("/newsletters/unsubscribe/")[1].split("/")[0]
    assert token in body["TextBody"]
    assert sorted(Delivery.objects.values_list("provider_message_id", flat=True)) == [
        "pm-0001",
        "pm-0002",
        "pm-0003",
    ]


@pytest.mark.parametrize(
    "reply", [POSTMARK_THROTTLED, POSTMARK_DOWN], ids=["throttled", "server-error"]
)
def test_postmark_throttling_and_server_errors_are_retried(newsletter, postmark, reply):
    subscribers = make_subscribers(newsletter, 2)
    postmark.answer(subscribers[0].email, reply)
    issue = make_issue(newsletter)

    assert send(issue).sent == 2
    delivery = Delivery.objects.get(subscriber=subscribers[0])
    assert (delivery.status, delivery.attempts) == (Delivery.Status.SENT, 2)
    assert len(postmark.to(subscribers[0].email)) == 2


def test_postmark_refusing_an_inactive_recipient_bounces_and_suppresses(newsletter, postmark):
    subscribers = make_subscribers(newsletter, 3)
    gone = subscribers[1]
    postmark.answer(gone.email, postmark_inactive(gone.email))
    issue = make_issue(newsletter)

    result = send(issue)

    assert (result.sent, result.bounced) == (2, 1)
    delivery = Delivery.objects.get(subscriber=gone)
    assert (delivery.status, delivery.attempts) == (Delivery.Status.BOUNCED, 1)
    assert Suppression.objects.get().email == gone.email
    event = BounceEvent.objects.get()
    assert (event.source, event.kind, event.delivery) == ("sending", "hard", delivery)
    # Not retried: one request for the address.
    assert len(postmark.to(gone.email)) == 1


def test_a_refused_token_keeps_every_message_for_later(newsletter, postmark):
    make_subscribers(newsletter, 2)
    postmark.other = lambda request: POSTMARK_BAD_TOKEN
    issue = make_issue(newsletter)
    prepare(issue)

    deliveries = try_each_once(issue)

    assert {d.status for d in deliveries} == {Delivery.Status.FAILED_TEMPORARY}
    assert all(d.last_response.startswith("401") for d in deliveries)
    assert not Suppression.objects.exists()


def test_an_unreachable_api_defers_without_uncertainty(newsletter, settings):
    settings.GAZETTE_NEWSLETTER_TRANSPORT = "postmark"
    settings.GAZETTE_POSTMARK_SERVER_TOKEN = "token"
    settings.GAZETTE_POSTMARK_API_URL = "http://127.0.0.1:9/"
    make_subscribers(newsletter, 2)
    issue = make_issue(newsletter)
    prepare(issue)

    deliveries = try_each_once(issue)

    assert {d.status for d in deliveries} == {Delivery.Status.FAILED_TEMPORARY}
    assert not any(d.uncertain for d in deliveries)


def test_the_rate_limit_spaces_messages_evenly():
    now = [100.0]
    limit = RateLimit(40, clock=lambda: now[0])
    assert [limit.delay() for _ in range(4)] == pytest.approx([0, 0.025, 0.05, 0.075])
    now[0] += 1.0  # idle for a while: no burst is saved up, the next goes now
    assert [limit.delay() for _ in range(2)] == pytest.approx([0, 0.025])
    assert RateLimit(None).delay() == 0


def test_every_message_to_a_provider_takes_a_slot_of_the_rate_limit(newsletter, postmark, settings):
    settings.GAZETTE_NEWSLETTER_RATE = 40
    settings.GAZETTE_NEWSLETTER_CONNECTIONS = 3
    make_subscribers(newsletter, 6)
    issue = make_issue(newsletter)
    transport = transport_from_settings()
    assert transport.rate.interval == pytest.approx(1 / 40)
    slots = []

    def clock() -> float:  # the limit reads it once per slot it hands out
        slots.append(time.monotonic())
        return slots[-1]

    transport.rate.clock = clock

    assert send_issue(issue, transport=transport, options=NOW).sent == 6
    assert len(slots) == 6 == len(postmark.accepted)


def test_the_transport_is_chosen_by_settings(settings, monkeypatch):
    settings.GAZETTE_NEWSLETTER_TRANSPORT = "smtp"
    settings.GAZETTE_NEWSLETTER_SMTP_URL = "smtp://127.0.0.1:2525"
    assert isinstance(transport_from_settings(), SMTPTransport)
    assert not transport_from_settings().signs

    settings.GAZETTE_NEWSLETTER_TRANSPORT = "postmark"
    settings.GAZETTE_POSTMARK_SERVER_TOKEN = ""
    with pytest.raises(ImproperlyConfigured, match="needs GAZETTE_POSTMARK_SERVER_TOKEN"):
        transport_from_settings()
    settings.GAZETTE_POSTMARK_SERVER_TOKEN = "token"
    postmark = transport_from_settings()
    assert postmark.signs and postmark.backend == "anymail.backends.postmark.EmailBackend"

    settings.GAZETTE_NEWSLETTER_TRANSPORT = "ses"
    settings.GAZETTE_SES_REGION = ""
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    with pytest.raises(ImproperlyConfigured, match="needs a region"):
        transport_from_settings().open()


def test_a_message_keeps_its_parts_and_headers_for_the_provider(newsletter):
    from gazette.newsletters.messages import IssueMail
    from gazette.newsletters.models.deliveries import Claimed

    issue = make_issue(newsletter, subject="Ça bouge à l’Assemblée: « la loi »")
    built = IssueMail(issue).message(
        Claimed(7, 3, "reader@example.net", "<abc@lists.lantern.example>", 0, False)
    )
    mail = as_email_message(built)
    assert mail.subject == issue.subject
    assert mail.to == ["reader@example.net"]
    assert mail.extra_headers["Message-ID"] == "<abc@lists.lantern.example>"
    assert mail.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Dear reader," in mail.body
    assert mail.alternatives[0][1] == "text/html"
