"""A real SMTP server on loopback (aiosmtpd in a thread) that keeps what it receives and
answers RCPT as a test tells it to: e.g. a 451 once for one address, a 550 for another."""

import asyncio
import threading
from collections import Counter
from dataclasses import dataclass
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.workers import free_port


@dataclass(frozen=True)
class Received:
    mail_from: str
    recipient: str
    data: bytes
    ehlo: str = ""

    def parsed(self):
        return message_from_bytes(self.data, policy=policy.default)


class Sink:
    def __init__(self, *, delay: float = 0.0):
        self.delay = delay
        self.received: list[Received] = []
        self.answers: dict[str, list[str]] = {}
        self._lock = threading.Lock()
        self.port = free_port()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> "Sink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def answer(self, address: str, *replies: str) -> None:
        """Answer RCPT TO:<address> with these replies, one per attempt, then accept."""
        self.answers[address] = list(replies)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self._lock:
            queued = self.answers.get(address)
            reply = queued.pop(0) if queued else None
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.received.append(
                    Received(envelope.mail_from, recipient, envelope.content, session.host_name)
                )
        return "250 2.0.0 Ok: queued"

    def count(self) -> int:
        with self._lock:
            return len(self.received)

    def copies(self) -> Counter:
        """How many messages each recipient got."""
        with self._lock:
            return Counter(item.recipient for item in self.received)

    def senders(self) -> Counter:
        """How many messages came from each EHLO name."""
        with self._lock:
            return Counter(item.ehlo for item in self.received)

    def to(self, address: str) -> list[Received]:
        with self._lock:
            return [item for item in self.received if item.recipient == address]
