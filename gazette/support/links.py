"""The emailed link a donor manages their gifts from: no password, no account. It names
the donor by id, is signed with the site's secret, and expires
(``GAZETTE_DONOR_LINK_DAYS``); a donor asks for a fresh one by email."""

from django.conf import settings
from django.core import signing

from .models import Donor

SALT = "gazette.support.manage"


def manage_token(donor: Donor) -> str:
    return signing.TimestampSigner(salt=SALT).sign(signing.b62_encode(donor.pk))


def donor_for_token(token: str) -> Donor | None:
    """The donor a genuine, unexpired token names; None otherwise."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(
            token, max_age=settings.GAZETTE_DONOR_LINK_DAYS * 86400
        )
    except signing.BadSignature:  # includes SignatureExpired
        return None
    return Donor.objects.filter(pk=signing.b62_decode(value)).first()


THANKS_SALT = "gazette.support.thanks"


def thanks_token(gift) -> str:
    """The token of a gift's thank-you page (/donate/thanks/<token>/), where a provider
    sends the reader after paying. It names the gift only; the page shows nothing about
    the donor."""
    return signing.dumps(gift.pk, salt=THANKS_SALT)


def gift_for_thanks_token(token: str):
    """The gift a genuine thank-you token names; None otherwise."""
    from .models import Gift

    try:
        gift_id = signing.loads(token, salt=THANKS_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(gift_id, int):
        return None
    return Gift.objects.filter(pk=gift_id).first()
