"""Mail providers' HTTP APIs, played by a server on loopback: the real anymail backends,
boto3 and requests talk to it as they would to Amazon SES or Postmark (whose APIs lie
outside this network). It keeps every request, and answers as a test tells it to for one
recipient (a 429, a 500, a refusal), else as the provider answers an accepted message."""

import base64
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict
    body: bytes
    at: float  # time.monotonic() on arrival

    def json(self) -> dict:
        return json.loads(self.body)

    def form(self) -> dict:
        return {key: values[0] for key, values in parse_qs(self.body.decode()).items()}


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict | str
    headers: dict = field(default_factory=dict)


class ProviderAPI:
    def __init__(self, *, recipient: Callable[[Request], str], accept: Callable[[Request], Reply]):
        self.recipient = recipient
        self.accept = accept
        self.requests: list[Request] = []
        self.accepted: list[Request] = []
        self.answers: dict[str, list[Reply]] = {}
        self.other: Callable[[Request], Reply] | None = None  # requests that send no mail
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs expect

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = Request(
                    "POST",
                    self.path,
                    {key.lower(): value for key, value in self.headers.items()},
                    self.rfile.read(length),
                    time.monotonic(),
                )
                reply = api._reply(request)
                body = reply.body if isinstance(reply.body, str) else json.dumps(reply.body)
                data = body.encode()
                self.send_response(reply.status)
                content_type = "text/xml" if isinstance(reply.body, str) else "application/json"
                self.send_header("Content-Type", content_type)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "ProviderAPI":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def answer(self, recipient: str, *replies: Reply) -> None:
        """Answer messages to ``recipient`` with these replies, one per attempt, then
        accept."""
        self.answers[recipient] = list(replies)

    def _reply(self, request: Request) -> Reply:
        with self._lock:
            self.requests.append(request)
            if self.other is not None and (reply := self.other(request)) is not None:
                return reply
            queued = self.answers.get(self.recipient(request))
            if queued:
                return queued.pop(0)
            self.accepted.append(request)
            return self.accept(request)

    def to(self, recipient: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if self.recipient(r) == recipient]


# Amazon SES v2, SendEmail: POST /v2/email/outbound-emails, JSON; errors name their type in
# the x-amzn-ErrorType header. https://docs.aws.amazon.com/ses/latest/APIReference-V2/


def ses_recipient(request: Request) -> str:
    if not request.path.startswith("/v2/email/outbound-emails"):
        return ""
    return request.json()["Destination"]["ToAddresses"][0]


def ses_raw_message(request: Request):
    raw = base64.b64decode(request.json()["Content"]["Raw"]["Data"])
    return message_from_bytes(raw, policy=policy.default)


def ses_error(status: int, kind: str, text: str) -> Reply:
    return Reply(status, {"message": text}, {"x-amzn-ErrorType": kind})


def ses_api() -> ProviderAPI:
    count = iter(range(1, 10**6))

    def accept(request: Request) -> Reply:
        return Reply(200, {"MessageId": f"ses-{next(count):04d}"})

    return ProviderAPI(recipient=ses_recipient, accept=accept)


SES_THROTTLED = ses_error(429, "TooManyRequestsException", "Maximum sending rate exceeded.")
SES_DOWN = ses_error(500, "InternalFailure", "We encountered an internal error.")
SES_REJECTED = ses_error(400, "MessageRejected", "Email address is not verified.")


# Postmark: POST /email, JSON, the server token in X-Postmark-Server-Token.
# https://postmarkapp.com/developer/api/email-api


def postmark_recipient(request: Request) -> str:
    return request.json().get("To", "") if request.path == "/email" else ""


def postmark_api() -> ProviderAPI:
    count = iter(range(1, 10**6))

    def accept(request: Request) -> Reply:
        return Reply(
            200,
            {
                "To": postmark_recipient(request),
                "SubmittedAt": "2026-12-04T08:00:00.0000000Z",
                "MessageID": f"pm-{next(count):04d}",
                "ErrorCode": 0,
                "Message": "OK",
            },
        )

    return ProviderAPI(recipient=postmark_recipient, accept=accept)


def postmark_error(status: int, code: int, text: str) -> Reply:
    return Reply(status, {"ErrorCode": code, "Message": text})


POSTMARK_THROTTLED = postmark_error(429, 429, "Rate limit exceeded.")
POSTMARK_DOWN = postmark_error(500, 0, "Internal server error.")
POSTMARK_BAD_TOKEN = postmark_error(401, 10, "Bad or missing Server API token.")


def postmark_inactive(address: str) -> Reply:
    return postmark_error(
        422,
        406,
        f"You tried to send to recipient(s) that have been marked as inactive. Found "
        f"inactive addresses: {address}. Inactive recipients are ones that have generated "
        "a hard bounce, a spam complaint, or a manual suppression.",
    )
