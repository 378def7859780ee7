"""Provider APIs as transports: Amazon SES and Postmark, through django-anymail's backends.

The sending engine is the same whatever the transport (leases, a delivery marked sent only
once the provider accepted it, retries with backoff); a provider transport only turns each
built message into the Django ``EmailMessage`` anymail sends, posts it, and says what the
provider's answer means for the delivery:

- accepted: ``sent``, with the provider's message id, by which its bounce and complaint
  webhooks name the message later (webhooks.py);
- throttled (HTTP 429, SES ``TooManyRequestsException``), the provider's own trouble
  (5xx), no answer at all, or an account the provider holds back: ``deferred``, retried
  with backoff. A request that may have reached the provider before the connection broke is
  also ``uncertain``;
- the recipient refused (Postmark's inactive or invalid recipients): ``bounced``, so the
  address is suppressed;
- anything else the provider refuses (a sender it does not know, a malformed message):
  ``refused``, given up without blaming the address.

DKIM: providers sign with their own keys for the sending domain (SES Easy DKIM, Postmark's
DKIM record), and rebuild the message, which would break a signature of ours; so messages
for them are built unsigned (``Transport.signs``).

Bounce attribution by VERP is SMTP's: SES and Postmark use return paths of their own and
report bounces by webhook instead.
"""

import email
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from email import policy

import requests
import urllib3
from anymail.exceptions import (
    AnymailAPIError,
    AnymailInvalidAddress,
    AnymailRecipientsRefused,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives, get_connection

from .messages import Outgoing
from .transports import Outcome, RateLimit, Result, Transport

logger = logging.getLogger(__name__)

# Headers of the built message that the provider's message must carry too. The rest
# (From, To, Subject, the MIME structure) anymail writes itself; Date is the provider's.
KEPT_HEADERS = ("Message-ID", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post")

# SES error codes that mean "not now" rather than "never": its sending rate or daily quota
# reached, or sending paused for the account (which an operator can resolve).
# https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_SendEmail.html#API_SendEmail_Errors
SES_LATER = {
    "TooManyRequestsException",
    "Throttling",
    "ThrottlingException",
    "LimitExceededException",
    "SendingPausedException",
    "AccountSuspendedException",
}
# Postmark API error codes (HTTP 422) that are about the account, not the message: not
# allowed to send (e.g. no credits left), account pending approval, rate limit.
# https://postmarkapp.com/developer/api/overview#error-codes
POSTMARK_LATER = {405, 412, 429}

Judge = Callable[[AnymailAPIError], tuple[Outcome, bool]]


def as_email_message(message: Outgoing) -> EmailMultiAlternatives:
    """The built message as an ``EmailMessage`` for anymail: same sender, subject, parts
    and list headers."""
    parsed = email.message_from_bytes(message.data, policy=policy.default)
    text = parsed.get_body(("plain",))
    html = parsed.get_body(("html",))
    result = EmailMultiAlternatives(
        subject=str(parsed["Subject"] or ""),
        body=text.get_content() if text is not None else "",
        from_email=str(parsed["From"]),
        to=[message.recipient],
        headers={name: str(parsed[name]) for name in KEPT_HEADERS if parsed[name] is not None},
    )
    if html is not None:
        result.attach_alternative(html.get_content(), "text/html")
    return result


def _text(error: Exception) -> str:
    status = getattr(error, "status_code", None)
    words = " ".join(str(error).split())
    return (f"{status} {words}" if status else words)[:500]


class ProviderTransport(Transport):
    """Posts messages to a provider's API from a pool of threads (``connections``), each
    with its own anymail backend (an HTTP session or a boto3 client), within a rate limit.
    ``submit`` hands a chunk to a dispatcher, so the engine builds the next chunk while
    this one is posted."""

    signs = True

    def __init__(
        self,
        *,
        backend: str,
        options: dict,
        judge: Judge,
        connections: int = 4,
        rate: float | None = None,
        check: Callable[[], None] | None = None,
    ):
        self.backend = backend
        self.options = options
        self.judge = judge
        self.connections = connections
        self.rate = RateLimit(rate)
        self.check = check
        self._pool: ThreadPoolExecutor | None = None
        self._dispatch: ThreadPoolExecutor | None = None
        self._local = threading.local()
        self._opened: list = []
        self._lock = threading.Lock()

    def open(self) -> None:
        if self.check:
            self.check()
        self._pool = ThreadPoolExecutor(self.connections, thread_name_prefix="gazette-api")
        # Two chunks are in flight at a time; each is spread over the same pool.
        self._dispatch = ThreadPoolExecutor(2, thread_name_prefix="gazette-api-chunk")

    def submit(self, messages: list[Outgoing]) -> "Future[list[Result]]":
        if self._pool is None:
            raise RuntimeError("Open the transport before submitting messages.")
        return self._dispatch.submit(lambda: list(self._pool.map(self._send_one, messages)))

    def _connection(self):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = get_connection(self.backend, fail_silently=False, **self.options)
            connection.open()
            with self._lock:
                self._opened.append(connection)
            self._local.connection = connection
        return connection

    def _send_one(self, message: Outgoing) -> Result:
        delivery_id = message.delivery_id
        self.rate.wait_blocking()
        mail = as_email_message(message)
        try:
            self._connection().send_messages([mail])
        except AnymailRecipientsRefused as error:
            return Result(delivery_id, Outcome.BOUNCED, _text(error))
        except AnymailInvalidAddress as error:
            return Result(delivery_id, Outcome.REFUSED, _text(error))
        except AnymailAPIError as error:
            outcome, uncertain = self.judge(error)
            return Result(delivery_id, outcome, _text(error), uncertain)
        status = mail.anymail_status
        answer = f"{','.join(sorted(status.status or ()))} {status.message_id}"
        return Result(delivery_id, Outcome.SENT, answer[:500], provider_id=status.message_id)

    def close(self) -> None:
        if self._pool is None:
            return
        self._dispatch.shutdown(wait=True)
        self._pool.shutdown(wait=True)
        for connection in self._opened:
            connection.close()
        self._opened = []
        self._pool = self._dispatch = None


def judge_ses(error: AnymailAPIError) -> tuple[Outcome, bool]:
    """What an SES error means; anymail raises it from the botocore exception."""
    from botocore.exceptions import ClientError, ConnectionClosedError, ReadTimeoutError

    cause = error.__cause__
    if isinstance(cause, ClientError):
        code = cause.response.get("Error", {}).get("Code", "")
        status = cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in SES_LATER or status == 429 or status >= 500:
            return Outcome.DEFERRED, False
        return Outcome.REFUSED, False
    # No answer. After a read timeout or a closed connection SES may have taken the message.
    return Outcome.DEFERRED, isinstance(cause, (ReadTimeoutError, ConnectionClosedError))


def judge_http(error: AnymailAPIError) -> tuple[Outcome, bool]:
    """What an error of an HTTP API reached with requests (Postmark) means."""
    status = error.status_code
    if status is None:
        return Outcome.DEFERRED, _may_have_arrived(error)
    if status == 429 or status >= 500:
        return Outcome.DEFERRED, False
    if status in (401, 403):
        # Wrong or revoked credentials refuse every message alike: keep them all for when
        # an operator has fixed the token, rather than give the whole list up.
        logger.error("The provider refused our credentials: %s", _text(error))
        return Outcome.DEFERRED, False
    if status == 422 and _postmark_code(error) in POSTMARK_LATER:
        return Outcome.DEFERRED, False
    return Outcome.REFUSED, False


def _may_have_arrived(error: Exception) -> bool:
    """False only when the connection was never made, so nothing was sent."""
    cause = error.__cause__
    if isinstance(cause, requests.ConnectTimeout):
        return False
    inner = cause.args[0] if cause is not None and cause.args else None
    return not isinstance(getattr(inner, "reason", inner), urllib3.exceptions.NewConnectionError)


def _postmark_code(error: AnymailAPIError) -> int | None:
    try:
        return int(error.response.json().get("ErrorCode"))
    except (AttributeError, TypeError, ValueError):
        return None


def _ses_check() -> None:
    """Fail at the start of a send, with what to set, rather than on every message."""
    import boto3

    session = boto3.session.Session()
    if not (settings.GAZETTE_SES_REGION or session.region_name):
        raise ImproperlyConfigured(
            "Amazon SES needs a region: set GAZETTE_SES_REGION (e.g. eu-west-1)."
        )
    if session.get_credentials() is None:
        raise ImproperlyConfigured(
            "Amazon SES needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
            "or give this machine an IAM role allowed to call ses:SendEmail."
        )


def ses_transport(*, connections: int, rate: float | None) -> ProviderTransport:
    # The engine retries with its own backoff; botocore's retries would hide throttling
    # from it and hold a connection asleep.
    client = {"config": {"retries": {"total_max_attempts": 1}}}
    if settings.GAZETTE_SES_REGION:
        client["region_name"] = settings.GAZETTE_SES_REGION
    if settings.GAZETTE_SES_ENDPOINT_URL:
        client["endpoint_url"] = settings.GAZETTE_SES_ENDPOINT_URL
    options = {"client_params": client}
    if settings.GAZETTE_SES_CONFIGURATION_SET:
        options["configuration_set_name"] = settings.GAZETTE_SES_CONFIGURATION_SET
    return ProviderTransport(
        backend="anymail.backends.amazon_ses.EmailBackend",
        options=options,
        judge=judge_ses,
        connections=connections,
        rate=rate,
        check=_ses_check,
    )


def postmark_transport(*, connections: int, rate: float | None) -> ProviderTransport:
    if not settings.GAZETTE_POSTMARK_SERVER_TOKEN:
        raise ImproperlyConfigured(
            "GAZETTE_NEWSLETTER_TRANSPORT=postmark needs GAZETTE_POSTMARK_SERVER_TOKEN: the "
            "Server API token from the API Tokens tab of the Postmark server."
        )
    return ProviderTransport(
        backend="anymail.backends.postmark.EmailBackend",
        options={
            "server_token": settings.GAZETTE_POSTMARK_SERVER_TOKEN,
            "api_url": settings.GAZETTE_POSTMARK_API_URL,
            "message_stream": settings.GAZETTE_POSTMARK_MESSAGE_STREAM,
        },
        judge=judge_http,
        connections=connections,
        rate=rate,
    )


def provider_transport(name: str, *, connections: int, rate: float | None) -> ProviderTransport:
    factories = {"ses": ses_transport, "postmark": postmark_transport}
    return factories[name](connections=connections, rate=rate)
