"""How built messages leave: a transport takes a list of messages and, later, answers what
became of each (sent, to be retried, bounced, refused).

The sending engine hands a transport one chunk while it builds the next, so ``submit``
returns a future. ``SMTPTransport`` keeps a pool of aiosmtplib connections on an event loop
in its own thread and sends over all of them at once, within a rate limit. Provider APIs
(Amazon SES, Postmark, through django-anymail) fit the same interface: see providers.py.
"""

import asyncio
import enum
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .messages import Outgoing


class Outcome(enum.StrEnum):
    SENT = "sent"
    DEFERRED = "deferred"  # 4xx, throttling, a lost connection: try again later
    BOUNCED = "bounced"  # 5xx for this recipient: suppress the address
    REFUSED = "refused"  # 5xx for the sender or the server's policy: not the recipient's fault


@dataclass(frozen=True, slots=True)
class Result:
    delivery_id: int
    outcome: Outcome
    response: str = ""
    # The connection broke with the message possibly on the server: it may have arrived.
    uncertain: bool = False
    # The id a provider's API gave the accepted message; its webhooks name the message by it.
    provider_id: str = ""


class Transport:
    """Send messages somewhere. Use as a context manager, or call open() and close()."""

    # Whether the transport DKIM-signs what it sends (providers do, and rebuild the message,
    # which would break a signature of ours).
    signs = False

    def open(self) -> None:
        pass

    def submit(self, messages: list[Outgoing]) -> "Future[list[Result]]":
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class RateLimit:
    """At most ``per_second`` messages a second, evenly spaced; None for no limit. Shared by
    the coroutines of the SMTP transport and the threads of a provider transport."""

    def __init__(self, per_second: float | None, *, clock=time.monotonic):
        self.interval = 1 / per_second if per_second else 0.0
        self.clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def delay(self) -> float:
        """Take the next free slot; how many seconds from now it starts."""
        if not self.interval:
            return 0.0
        with self._lock:
            now = self.clock()
            start = max(self._next, now)
            self._next = start + self.interval
        return start - now

    async def wait(self) -> None:
        if (delay := self.delay()) > 0:
            await asyncio.sleep(delay)

    def wait_blocking(self) -> None:
        if (delay := self.delay()) > 0:
            time.sleep(delay)


def _response(code: int, message: str) -> str:
    return f"{code} {message}"[:500]


def _by_code(code: int, message: str, delivery_id: int, *, permanent: Outcome) -> Result:
    outcome = permanent if 500 <= code < 600 else Outcome.DEFERRED
    return Result(delivery_id, outcome, _response(code, message))


class SMTPTransport(Transport):
    """Several SMTP connections to one server (a relay, or the receiving MTA), each used for
    one message after another. aiosmtplib does not pipeline commands (RFC 2920) on one
    connection, so the round trips of one connection overlap those of the others."""

    def __init__(
        self,
        *,
        host: str,
        port: int = 25,
        connections: int = 8,
        rate: float | None = None,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool = False,
        start_tls: bool | None = None,
        timeout: float = 60,
        local_hostname: str | None = None,
    ):
        self.options = {
            "hostname": host,
            "port": port,
            "username": username,
            "password": password,
            "use_tls": use_tls,
            "start_tls": start_tls,
            "timeout": timeout,
            "local_hostname": local_hostname,
        }
        self.connections = connections
        self.rate = RateLimit(rate)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pool: asyncio.Queue | None = None

    def open(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="gazette-smtp", daemon=True
        )
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._make_pool(), self._loop).result()

    async def _make_pool(self) -> None:
        self._pool = asyncio.Queue()
        for _ in range(self.connections):
            self._pool.put_nowait(aiosmtplib.SMTP(**self.options))

    def submit(self, messages: list[Outgoing]) -> "Future[list[Result]]":
        if self._loop is None:
            raise RuntimeError("Open the transport before submitting messages.")
        return asyncio.run_coroutine_threadsafe(self._send_all(messages), self._loop)

    async def _send_all(self, messages: list[Outgoing]) -> list[Result]:
        return list(await asyncio.gather(*(self._send_one(message) for message in messages)))

    async def _send_one(self, message: Outgoing) -> Result:
        await self.rate.wait()
        client = await self._pool.get()
        try:
            if not client.is_connected:
                try:
                    await client.connect()
                except (aiosmtplib.SMTPException, OSError) as error:
                    # Nothing of the message reached the server.
                    return Result(message.delivery_id, Outcome.DEFERRED, f"connect: {error}"[:500])
            return await self._transaction(client, message)
        finally:
            self._pool.put_nowait(client)

    async def _transaction(self, client: aiosmtplib.SMTP, message: Outgoing) -> Result:
        delivery_id = message.delivery_id
        try:
            _refused, answer = await client.sendmail(
                message.sender, [message.recipient], message.data
            )
        except ValueError as error:  # aiosmtplib refuses an address before sending anything
            return Result(delivery_id, Outcome.REFUSED, f"invalid address: {error}"[:500])
        except aiosmtplib.SMTPRecipientsRefused as error:
            refused = error.recipients[0]
            return _by_code(refused.code, refused.message, delivery_id, permanent=Outcome.BOUNCED)
        except aiosmtplib.SMTPSenderRefused as error:
            return _by_code(error.code, error.message, delivery_id, permanent=Outcome.REFUSED)
        except aiosmtplib.SMTPDataError as error:
            # With one recipient per transaction, a 5xx after DATA is about this recipient.
            return _by_code(error.code, error.message, delivery_id, permanent=Outcome.BOUNCED)
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError) as error:
            client.close()
            return Result(delivery_id, Outcome.DEFERRED, f"connection: {error}"[:500], True)
        except aiosmtplib.SMTPResponseException as error:
            if error.code == 421:  # the server is closing this connection
                client.close()
            return _by_code(error.code, error.message, delivery_id, permanent=Outcome.REFUSED)
        return Result(delivery_id, Outcome.SENT, _response(250, answer))

    def close(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._close_all(), self._loop).result()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
        self._loop = self._thread = None

    async def _close_all(self) -> None:
        while not self._pool.empty():
            client = self._pool.get_nowait()
            if client.is_connected:
                try:
                    await client.quit()
                except (aiosmtplib.SMTPException, OSError):
                    client.close()


def smtp_transport(url: str, *, connections: int = 8, rate: float | None = None) -> SMTPTransport:
    """A transport from ``smtp://user:password@host:port``; ``smtps://`` for TLS from the
    start, ``?starttls=1`` to require STARTTLS (otherwise used when offered)."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ImproperlyConfigured(f"{url!r} is not an smtp:// or smtps:// URL.")
    query = parse_qs(parts.query)
    return SMTPTransport(
        host=parts.hostname,
        port=parts.port or (465 if parts.scheme == "smtps" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        use_tls=parts.scheme == "smtps",
        start_tls=True if query.get("starttls") == ["1"] else None,
        connections=connections,
        rate=rate,
        local_hostname=settings.GAZETTE_NEWSLETTER_EHLO_NAME,
    )


def transport_from_settings() -> Transport:
    """The transport GAZETTE_NEWSLETTER_TRANSPORT names, from its settings."""
    rate = settings.GAZETTE_NEWSLETTER_RATE or None
    connections = settings.GAZETTE_NEWSLETTER_CONNECTIONS
    if settings.GAZETTE_NEWSLETTER_TRANSPORT != "smtp":
        from .providers import provider_transport

        return provider_transport(
            settings.GAZETTE_NEWSLETTER_TRANSPORT, connections=connections, rate=rate
        )
    url = settings.GAZETTE_NEWSLETTER_SMTP_URL
    if not url:
        raise ImproperlyConfigured(
            "GAZETTE_NEWSLETTER_SMTP_URL is not set: newsletters need a mail server to send to."
        )
    return smtp_transport(url, connections=connections, rate=rate)
