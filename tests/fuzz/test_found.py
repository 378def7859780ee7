"""The server errors the fuzz tests found, each kept as a plain test of its fix."""

import base64

import pytest

from gazette.newsletters.models import BounceEvent

pytestmark = pytest.mark.django_db

AUTH = "Basic " + base64.b64encode(b"fuzz:secret").decode()


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "fuzz:secret"}


@pytest.mark.parametrize(
    ("body", "message_type"),
    [
        (b"{}", None),  # Anymail: "Unknown SNS message type" (was a 500)
        (b"[1, 2]", None),  # not an object: AttributeError in Anymail (was a 500)
        (b"\xff\xfe", "Notification"),  # not JSON
        (b'{"Type": "Notification"}', "Notification"),  # unsigned
    ],
)
def test_ses_webhook_refuses_malformed_messages_with_400(client, body, message_type):
    extra = {"HTTP_AUTHORIZATION": AUTH}
    if message_type:
        extra["HTTP_X_AMZ_SNS_MESSAGE_TYPE"] = message_type
    response = client.generic(
        "POST", "/newsletters/webhooks/ses/", body, content_type="text/plain", **extra
    )
    assert response.status_code == 400
    assert not BounceEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b"",  # not JSON (was a 500)
        b"[]",  # not an object
        b'{"RecordType": "Bounce", "BouncedAt": null}',  # a date that is not text (was a 500)
    ],
)
def test_postmark_webhook_refuses_malformed_events_with_400(client, body):
    response = client.generic(
        "POST",
        "/newsletters/webhooks/postmark/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )
    assert response.status_code == 400
    assert not BounceEvent.objects.exists()


def test_postmark_bounce_with_no_usable_address_is_ignored(client):
    """A list where the address belongs (was a 500): nothing to act on, so 200."""
    body = b'{"RecordType": "Bounce", "Type": "HardBounce", "Email": ["a@b.c"], "ID": 7}'
    response = client.generic(
        "POST",
        "/newsletters/webhooks/postmark/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )
    assert response.status_code == 200
    assert not BounceEvent.objects.exists()


def test_postmark_webhook_still_takes_a_well_formed_bounce(client, weekly):
    body = (
        b'{"RecordType": "Bounce", "ID": 42, "Type": "HardBounce", "TypeCode": 1,'
        b' "MessageID": "m-1", "Email": "reader@example.net", "Description": "gone",'
        b' "Details": "550 no such user", "BouncedAt": "2026-11-30T10:00:00Z",'
        b' "Inactive": true, "CanActivate": true}'
    )
    response = client.generic(
        "POST",
        "/newsletters/webhooks/postmark/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=AUTH,
    )
    assert response.status_code == 200
    assert BounceEvent.objects.get().email == "reader@example.net"
