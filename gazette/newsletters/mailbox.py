"""Bounces that come back by mail, for newsletters sent over SMTP.

Every issue message goes out with a VERP return path, ``bounces+TOKEN@LIST-DOMAIN`` (see
messages.py), where the token names the delivery and is signed. Mail servers send their
delivery status notifications (RFC 3464) to that address; the list domain's MX delivers
them into a mailbox on this machine (a Maildir or an mbox file), and
``gazette newsletter bounces`` reads it:

- the delivery comes from the VERP token alone, never from the addresses in the report,
  which anyone can write: a report without a genuine token changes nothing;
- flufl.bounce (Mailman's bounce detectors) says whether the report is a failure
  (hard bounce), a delay (soft bounce), or neither (an auto-reply, say);
- each is recorded through ``bounces.record_event``, keyed by the report's Message-ID, and
  then deleted from the mailbox; a report recorded before (a crash between the two, or the
  same report delivered twice) is deleted without counting again;
- mail that is no bounce of ours is flagged as read and left for a person to look at; later
  runs pass over it.
"""

import hashlib
import mailbox
import re
from collections.abc import Callable
from dataclasses import dataclass
from email.iterators import typed_subpart_iterator
from email.message import Message
from pathlib import Path

from flufl.bounce import all_failures

from .bounces import record_event
from .models import BounceEvent
from .tokens import bounce_signer

Kind = BounceEvent.Kind

VERP = re.compile(r"bounces\+([0-9a-z]+-[0-9a-z]+)@", re.IGNORECASE)
# Where MTAs put the address a report was delivered to, most specific first.
RECIPIENT_HEADERS = ("Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To", "To")
# The flag that marks a message as read: Maildir's and mbox's own.
SEEN = {mailbox.MaildirMessage: "S", mailbox.mboxMessage: "R"}


@dataclass(frozen=True)
class Bounce:
    delivery_id: int | None
    kind: str | None
    event_id: str
    detail: str


@dataclass
class Tally:
    hard: int = 0
    soft: int = 0
    repeated: int = 0
    unrecognized: int = 0

    def __str__(self) -> str:
        return (
            f"{self.hard} hard bounces, {self.soft} soft bounces, {self.repeated} recorded "
            f"before; {self.unrecognized} not bounces of ours (left in the mailbox, marked read)"
        )


def read_bounce(message: Message, raw: Callable[[], bytes]) -> Bounce:
    """What a message in the bounce mailbox says, without acting on it. ``raw()`` gives its
    bytes, read only to name a report that has no Message-ID."""
    temporary, permanent = all_failures(message)
    kind = Kind.HARD if permanent else Kind.SOFT if temporary else None
    message_id = (message.get("Message-ID") or "").strip()
    event_id = message_id or "sha256:" + hashlib.sha256(raw()).hexdigest()
    return Bounce(verp_delivery(message), kind, event_id, _diagnosis(message))


def verp_delivery(message: Message) -> int | None:
    """The delivery named by a genuine VERP token in the address the report came to."""
    signer = bounce_signer()
    for header in RECIPIENT_HEADERS:
        for value in message.get_all(header, []):
            for token in VERP.findall(str(value)):
                if ids := signer.read(token, 1):
                    return ids[0]
    return None


def _diagnosis(message: Message) -> str:
    """The status and diagnostic of the first failed or delayed recipient, for the record."""
    for part in typed_subpart_iterator(message, "message", "delivery-status"):
        blocks = part.get_payload() if part.is_multipart() else []
        for block in blocks:
            if block.get("Action", "").lower().startswith(("failed", "delayed")):
                words = f"{block.get('Status', '')} {block.get('Diagnostic-Code', '')}"
                return " ".join(words.split())[:500]
    return ""


def open_mailbox(path: str) -> mailbox.Mailbox:
    where = Path(path)
    if where.is_dir():
        if not ((where / "cur").is_dir() and (where / "new").is_dir()):
            raise ValueError(f"{path} is a directory but no Maildir: it has no cur/ and new/.")
        return mailbox.Maildir(where, create=False)
    if where.is_file():
        return mailbox.mbox(where, create=False)
    raise ValueError(f"There is no mailbox at {path}: give a Maildir directory or an mbox file.")


def process_mailbox(path: str) -> Tally:
    """Record every bounce in the mailbox at ``path`` and delete it from there."""
    box = open_mailbox(path)
    tally = Tally()
    box.lock()
    try:
        for key in list(box.keys()):
            message = box.get_message(key)
            seen = SEEN[type(message)]
            if seen in message.get_flags():
                continue
            outcome = _record(read_bounce(message, lambda key=key: box.get_bytes(key)))
            if outcome is None:
                message.add_flag(seen)
                if isinstance(message, mailbox.MaildirMessage):
                    message.set_subdir("cur")
                box[key] = message
                tally.unrecognized += 1
                continue
            setattr(tally, outcome, getattr(tally, outcome) + 1)
            # Only now, with the bounce committed: a crash before this line leaves the
            # report in the mailbox, and the next run finds it recorded.
            box.remove(key)
        box.flush()
    finally:
        box.unlock()
        box.close()
    return tally


def _record(bounce: Bounce) -> str | None:
    """ "hard", "soft" or "repeated"; None for a message that is no bounce of ours."""
    if bounce.delivery_id is None or bounce.kind is None:
        return None
    try:
        event = record_event(
            source=BounceEvent.Source.MAILBOX,
            event_id=bounce.event_id,
            kind=bounce.kind,
            delivery_id=bounce.delivery_id,
            detail=bounce.detail,
        )
    except ValueError:  # the delivery is gone (its issue was deleted)
        return None
    return "repeated" if event is None else str(bounce.kind)
