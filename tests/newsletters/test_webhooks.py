"""Provider webhooks through anymail's views: Amazon SES events as Amazon SNS delivers them
(signed; the signing certificate fetched over HTTP is stubbed with `responses`, the only
part outside this network) and Postmark's (basic auth). Each event is acted on once;
replayed, forged or unauthenticated requests change nothing."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.core import mail

from gazette.newsletters.models import (
    BounceEvent,
    Delivery,
    Issue,
    Subscriber,
    Subscription,
    Suppression,
)
from gazette.newsletters.sending import prepare
from gazette.newsletters.webhooks import signing_certificate

from .conftest import make_issue, make_newsletter, make_subscribers
from .provider_api import ProviderAPI, Reply

SECRET = "gazette:webhook-secret-for-tests"
SES_URL = "/newsletters/webhooks/ses/"
POSTMARK_URL = "/newsletters/webhooks/postmark/"
CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"
TOPIC = "arn:aws:sns:eu-west-1:123456789012:lantern-newsletter-events"


def auth(secret: str = SECRET) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(secret.encode()).decode()}


def make_key_and_cert():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return key, cert.public_bytes(serialization.Encoding.PEM)


SNS_KEY, SNS_CERT = make_key_and_cert()
OTHER_KEY, _ = make_key_and_cert()


def sns(kind: str, *, message: str, message_id: str, version: str = "2", key=SNS_KEY, **more):
    """An SNS message signed as SNS signs: the listed fields, 'Name\\nvalue\\n' each."""
    body = {
        "Type": kind,
        "MessageId": message_id,
        "TopicArn": TOPIC,
        "Message": message,
        "Timestamp": "2026-12-04T08:05:00.000Z",
        "SignatureVersion": version,
        "SigningCertURL": CERT_URL,
        **more,
    }
    if kind == "Notification":
        fields = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        fields = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    text = "".join(f"{name}\n{body[name]}\n" for name in fields if name in body)
    # Version 1 is SHA1 with RSA: what SNS signed with before version 2, and still may.
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    signature = key.sign(text.encode(), padding.PKCS1v15(), digest)
    body["Signature"] = base64.b64encode(signature).decode()
    return body


def ses_bounce(delivery, *, bounce_type="Permanent", sub_type="General") -> str:
    email = delivery.subscriber.email
    return json.dumps(
        {
            "eventType": "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": sub_type,
                "bouncedRecipients": [
                    {
                        "emailAddress": email,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": "2026-12-04T08:04:59.000Z",
                "feedbackId": "0102018c-feedback",
            },
            "mail": {
                "timestamp": "2026-12-04T08:04:58.000Z",
                "messageId": delivery.provider_message_id,
                "source": "newsletter@lantern.example",
                "destination": [email],
            },
        }
    )


def ses_complaint(delivery) -> str:
    email = delivery.subscriber.email
    return json.dumps(
        {
            "eventType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": email}],
                "timestamp": "2026-12-04T09:00:00.000Z",
                "feedbackId": "0102018c-complaint",
                "complaintFeedbackType": "abuse",
            },
            "mail": {"messageId": delivery.provider_message_id, "destination": [email]},
        }
    )


def post_sns(client, body: dict, **headers):
    return client.post(
        SES_URL,
        data=json.dumps(body),
        content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE=body["Type"],
        HTTP_X_AMZ_SNS_MESSAGE_ID=body["MessageId"],
        **headers,
    )


@pytest.fixture
def cert_server():
    """SNS's certificate host, at the HTTP boundary."""
    signing_certificate.cache_clear()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as stub:
        stub.add(responses.GET, CERT_URL, body=SNS_CERT)
        yield stub
    signing_certificate.cache_clear()


@pytest.fixture
def deliveries(db, settings):
    """An issue whose messages a provider accepted, with the ids it gave them."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
    newsletter = make_newsletter()
    make_subscribers(newsletter, 3)
    issue = make_issue(newsletter)
    prepare(issue)
    for number, delivery in enumerate(Delivery.objects.order_by("pk")):
        delivery.status = Delivery.Status.SENT
        delivery.provider_message_id = f"0100018c-{number:04d}"
        delivery.save()
    return list(Delivery.objects.select_related("subscriber").order_by("pk"))


def state() -> tuple:
    """Everything a webhook may change."""
    return (
        list(BounceEvent.objects.values_list("source", "event_id", "kind", "email")),
        list(Suppression.objects.values_list("email", "reason", "created_at")),
        list(Subscriber.objects.values_list("email", "status")),
        list(Subscription.objects.values_list("pk", "status", "unsubscribed_at")),
        list(Delivery.objects.values_list("pk", "status")),
    )


@pytest.mark.parametrize("version", ["1", "2"])
def test_an_ses_hard_bounce_suppresses_the_address(client, deliveries, cert_server, version):
    delivery = deliveries[1]
    body = sns("Notification", message=ses_bounce(delivery), message_id="sns-1", version=version)

    response = post_sns(client, body, **auth())

    assert response.status_code == 200
    event = BounceEvent.objects.get()
    assert (event.source, event.event_id, event.kind) == ("amazon_ses", "sns-1", "hard")
    assert event.delivery == delivery  # found by the id SES gave the message
    assert event.detail == "Permanent: General: smtp; 550 5.1.1 user unknown"
    assert Suppression.objects.get().email == delivery.subscriber.email
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.BOUNCED


def test_a_replayed_ses_notification_changes_nothing(
    client, deliveries, cert_server, settings, django_capture_on_commit_callbacks
):
    settings.GAZETTE_NEWSLETTER_COMPLAINT_MIN_DELIVERED = 1
    Issue.objects.update(status=Issue.Status.SENDING)
    body = sns("Notification", message=ses_complaint(deliveries[0]), message_id="sns-c1")
    with django_capture_on_commit_callbacks(execute=True):
        assert post_sns(client, body, **auth()).status_code == 200
    before = state()
    assert before[0] == [("amazon_ses", "sns-c1", "complaint", deliveries[0].subscriber.email)]
    told = len(mail.outbox)

    with django_capture_on_commit_callbacks(execute=True):
        again = post_sns(client, body, **auth())

    assert again.status_code == 200  # SNS must stop retrying
    assert state() == before
    assert len(mail.outbox) == told


def test_an_ses_soft_bounce_is_scored_not_suppressed(client, deliveries, cert_server):
    message = ses_bounce(deliveries[0], bounce_type="Transient", sub_type="MailboxFull")
    body = sns("Notification", message=message, message_id="sns-2")
    assert post_sns(client, body, **auth()).status_code == 200
    assert BounceEvent.objects.get().kind == "soft"
    assert not Suppression.objects.exists()


def test_an_ses_complaint_unsubscribes_and_suppresses(client, deliveries, cert_server):
    body = sns("Notification", message=ses_complaint(deliveries[2]), message_id="sns-3")
    assert post_sns(client, body, **auth()).status_code == 200
    subscriber = deliveries[2].subscriber
    assert Suppression.objects.get().reason == Suppression.Reason.COMPLAINT
    assert Subscription.objects.get(subscriber=subscriber).status == "unsubscribed"


def tampered(body: dict) -> dict:
    message = json.loads(body["Message"])
    message["bounce"]["bouncedRecipients"][0]["emailAddress"] = "editor@lantern.example"
    return {**body, "Message": json.dumps(message)}


@pytest.mark.parametrize(
    "forge, status",
    [
        (lambda body: (tampered(body), auth()), 400),
        (lambda body: ({**body, "Signature": "bm90IGEgc2lnbmF0dXJl"}, auth()), 400),
        (lambda body: ({**body, "SignatureVersion": "9"}, auth()), 400),
        (lambda body: ({**body, "SigningCertURL": "https://sns.evil.example/c.pem"}, auth()), 400),
        (
            lambda body: (
                {**body, "SigningCertURL": CERT_URL.replace("https:", "http:")},
                auth(),
            ),
            400,
        ),
        (
            lambda body: (
                {**body, "SigningCertURL": CERT_URL.replace(".com/", ".com.evil.example/")},
                auth(),
            ),
            400,
        ),
        (lambda body: (body, auth("gazette:guessed")), 400),
        (lambda body: (body, {}), 401),
    ],
    ids=[
        "altered-message",
        "bad-signature",
        "unknown-version",
        "cert-elsewhere",
        "cert-over-http",
        "cert-lookalike-host",
        "wrong-password",
        "no-credentials",
    ],
)
def test_a_forged_ses_notification_is_refused_and_changes_nothing(
    client, deliveries, cert_server, forge, status
):
    before = state()
    body, headers = forge(sns("Notification", message=ses_bounce(deliveries[0]), message_id="f1"))
    assert post_sns(client, body, **headers).status_code == status
    assert state() == before


def test_a_notification_signed_with_another_key_is_refused(client, deliveries, cert_server):
    body = sns("Notification", message=ses_bounce(deliveries[0]), message_id="f2", key=OTHER_KEY)
    assert post_sns(client, body, **auth()).status_code == 400
    assert not BounceEvent.objects.exists()


@pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailInsecureWebhookWarning")
def test_without_a_secret_the_webhooks_refuse_everything(client, deliveries, cert_server, settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}
    body = sns("Notification", message=ses_bounce(deliveries[0]), message_id="s1")
    assert post_sns(client, body, **auth()).status_code == 400
    bounce = postmark_bounce(deliveries[0])
    assert post_postmark(client, bounce, **auth()).status_code == 400
    assert not BounceEvent.objects.exists()


def test_an_sns_subscription_is_confirmed_only_when_signed(
    client, deliveries, cert_server, settings, monkeypatch
):
    # SNS's ConfirmSubscription API, on loopback: anymail calls it with boto3.
    confirm = ProviderAPI(recipient=lambda request: "", accept=lambda request: None)
    confirm.other = lambda request: Reply(
        200,
        "<ConfirmSubscriptionResponse><ConfirmSubscriptionResult><SubscriptionArn>"
        f"{TOPIC}:0f1e2d3c</SubscriptionArn></ConfirmSubscriptionResult>"
        "<ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata>"
        "</ConfirmSubscriptionResponse>",
    )
    confirm.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "example-secret")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": SECRET,
        "AMAZON_SES_CLIENT_PARAMS": {"endpoint_url": confirm.url},
    }
    body = sns(
        "SubscriptionConfirmation",
        message="You have chosen to subscribe to the topic.",
        message_id="sub-1",
        Token="2336412f37fb687f5d51e6e2425c464de12884e2",
        SubscribeURL="https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
    )
    try:
        assert post_sns(client, {**body, "Token": "forged"}, **auth()).status_code == 400
        assert confirm.requests == []
        assert post_sns(client, body, **auth()).status_code == 200
    finally:
        confirm.stop()
    (request,) = confirm.requests
    form = request.form()
    assert (form["Action"], form["TopicArn"]) == ("ConfirmSubscription", TOPIC)
    assert form["Token"] == body["Token"]


# Postmark


def postmark_bounce(delivery, *, kind="HardBounce", record="Bounce", bounce_id=4323372036):
    return {
        "RecordType": record,
        "ID": bounce_id,
        "Type": kind,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": delivery.provider_message_id,
        "MessageStream": "broadcast",
        "Description": "The server was unable to deliver your message.",
        "Details": "smtp;550 5.1.1 The email account does not exist.",
        "Email": delivery.subscriber.email,
        "From": "newsletter@lantern.example",
        "BouncedAt": "2026-12-04T08:06:00Z",
        "Inactive": True,
        "CanActivate": True,
        "Subject": "This week: the media law, explained",
    }


def post_postmark(client, body: dict, **headers):
    return client.post(
        POSTMARK_URL, data=json.dumps(body), content_type="application/json", **headers
    )


def test_a_postmark_hard_bounce_is_acted_on_once(client, deliveries):
    body = postmark_bounce(deliveries[0])
    assert post_postmark(client, body, **auth()).status_code == 200
    event = BounceEvent.objects.get()
    assert (event.source, event.event_id, event.kind) == ("postmark", "4323372036", "hard")
    assert event.delivery == deliveries[0]
    assert Suppression.objects.get().email == deliveries[0].subscriber.email
    before = state()

    assert post_postmark(client, body, **auth()).status_code == 200  # replayed
    assert state() == before


@pytest.mark.parametrize("headers", [auth("gazette:guessed"), auth("nobody:"), {}])
def test_a_postmark_webhook_with_wrong_credentials_changes_nothing(client, deliveries, headers):
    before = state()
    response = post_postmark(client, postmark_bounce(deliveries[0]), **headers)
    assert response.status_code == 400
    assert state() == before


def test_postmark_soft_bounces_and_complaints(client, deliveries):
    soft = postmark_bounce(deliveries[0], kind="SoftBounce", bounce_id=1)
    complaint = postmark_bounce(
        deliveries[1], kind="SpamComplaint", record="SpamComplaint", bounce_id=2
    )
    assert post_postmark(client, soft, **auth()).status_code == 200
    assert post_postmark(client, complaint, **auth()).status_code == 200
    kinds = dict(BounceEvent.objects.values_list("email", "kind"))
    assert kinds == {
        deliveries[0].subscriber.email: "soft",
        deliveries[1].subscriber.email: "complaint",
    }
    assert list(Suppression.objects.values_list("email", "reason")) == [
        (deliveries[1].subscriber.email, "complaint")
    ]
    subscription = Subscription.objects.get(subscriber=deliveries[1].subscriber)
    assert subscription.status == Subscription.Status.UNSUBSCRIBED


def test_postmark_events_we_do_not_act_on_are_answered_and_not_stored(client, deliveries):
    delivered = {
        "RecordType": "Delivery",
        "MessageID": deliveries[0].provider_message_id,
        "Recipient": deliveries[0].subscriber.email,
        "DeliveredAt": "2026-12-04T08:06:00Z",
        "Details": "Test delivery webhook details",
        "MessageStream": "broadcast",
    }
    # Postmark's follow-up to a bounce: the suppression it made, which is no new bounce.
    suppressed = {
        "RecordType": "SubscriptionChange",
        "MessageID": deliveries[1].provider_message_id,
        "Recipient": deliveries[1].subscriber.email,
        "ChangedAt": "2026-12-04T08:06:00Z",
        "SuppressSending": True,
        "SuppressionReason": "HardBounce",
        "MessageStream": "broadcast",
    }
    before = state()
    assert post_postmark(client, delivered, **auth()).status_code == 200
    assert post_postmark(client, suppressed, **auth()).status_code == 200
    assert state() == before
