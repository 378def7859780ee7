"""One person's data across the apps, by email address: everything held (an access
request, GDPR article 15) and its erasure (article 17). `gazette data` and the admin's
Data requests page call these; each call writes one audit entry.

The per-app functions do the work (``newsletters.subscribers`` and
``support.donor_records``), so that erasing from here, from `gazette newsletter erase` or
from a record's own Erase button erases the same things.

The audit entry names the person by ``request_label``, a keyed hash of the address: staff
can see that an export and an erasure concerned the same person without the log keeping
the address the erasure removed.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from gazette.accounts import audit
from gazette.newsletters.models import BounceEvent, normalise_email
from gazette.newsletters.subscribers import erase_subscriber, subscriber_data
from gazette.support.donor_records import StillActive, donor_data, erase_donor
from gazette.support.models import Donor

from .labels import request_label

DONOR_LOG_ACTION = "gazette_support.erase_donor"  # the donor admin's

__all__ = ["PersonErasure", "StillActive", "clean_address", "erase_person", "export_person"]


def clean_address(email: str) -> str:
    """The normalised address; ``ValidationError`` with a message for the person asking if
    it is not an address."""
    text = (email or "").strip()
    try:
        validate_email(text)
        return normalise_email(text)
    except ValidationError:
        raise ValidationError(
            _(
                "“%(value)s” is not an email address. Give the whole address, "
                "e.g. name@example.org."
            ),
            params={"value": text[:254]},
        ) from None


def _when(value):
    return value.isoformat() if value else None


def _bounces(address: str) -> list[dict]:
    return [
        {
            "kind": event.kind,
            "source": event.source,
            "detail": event.detail,
            "occurred_at": _when(event.occurred_at),
            "received_at": _when(event.received_at),
        }
        for event in BounceEvent.objects.filter(email=address).order_by("pk")
    ]


def gather(address: str) -> dict:
    """Everything held under the (normalised) address; empty parts are None or []."""
    newsletters = subscriber_data(address)
    if newsletters is not None:
        newsletters["bounces"] = _bounces(address)
    elif bounces := _bounces(address):
        newsletters = {"email": address, "bounces": bounces}
    donor = Donor.objects.for_email(address).first()
    return {
        "email": address,
        "exported_at": _when(timezone.now()),
        "newsletters": newsletters,
        "donations": donor_data(donor) if donor is not None else None,
    }


def holds_anything(data: dict) -> bool:
    return data["newsletters"] is not None or data["donations"] is not None


def export_person(email: str, *, actor=None, request=None, via: str) -> dict:
    """Everything held about ``email``, JSON-ready; audited (``via``: "command" or "admin")."""
    address = clean_address(email)
    data = gather(address)
    audit.record(
        "privacy.export",
        actor=actor,
        request=request,
        target_label=request_label(address),
        data={"via": via, "found": holds_anything(data)},
    )
    return data


@dataclass
class PersonErasure:
    newsletters: object = None  # newsletters.subscribers.Erasure
    donor: object = None  # support.donor_records.Erasure, or None if no donor
    problems: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.newsletters and self.newsletters.found) or self.donor is not None

    def lines(self) -> list[str]:
        """What was erased and what was kept, and why, one sentence each."""
        lines = []
        if self.newsletters is not None and self.newsletters.found:
            lines.append(f"Newsletters: {self.newsletters}")
        else:
            lines.append("Newsletters: nothing was stored under this address.")
        if self.donor is not None:
            lines.append(f"Donations: {self.donor}")
        elif not self.problems:
            lines.append("Donations: no donor has this address.")
        lines.extend(self.problems)
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def erase_person(email: str, *, actor=None, request=None, via: str) -> PersonErasure:
    """Erase the address from the newsletters and the donations; audited.

    The donor part goes first: it may fail (a provider refusing to stop a recurring gift),
    and then it is reported in ``problems`` and the donor is kept, while the newsletter part
    is still done, since it cannot fail half-way (one transaction)."""
    address = clean_address(email)
    result = PersonErasure()
    user = actor or getattr(request, "user", None)
    user = user if getattr(user, "is_authenticated", False) else None
    donor = Donor.objects.for_email(address).first()
    if donor is not None:
        try:
            result.donor = erase_donor(donor)
        except StillActive as error:
            result.problems.append(f"Donations: NOT erased. {error}")
        else:  # as the donor's own Erase button logs it, labelled by id
            data = {"gifts": result.donor.gifts, "payments": result.donor.payments, "by": via}
            log(
                donor,
                DONOR_LOG_ACTION,
                user=user,
                title=f"donor {donor.pk}",
                data=data,
                deleted=True,
            )
    result.newsletters = erase_subscriber(
        address,
        user=user,
        by=via,
    )
    audit.record(
        "privacy.erase",
        actor=actor,
        request=request,
        target_label=request_label(address),
        data={
            "via": via,
            "newsletters": bool(result.newsletters.found),
            "donor": result.donor is not None,
            "donor_kept": bool(result.problems),
        },
    )
    return result
