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


def manage_url(donor: Donor) -> str:
    """The full address of ``donor``'s manage page, for mails."""
    return f"{settings.GAZETTE_BASE_URL}/donate/manage/{manage_token(donor)}/"


THANKS_SALT = "gazette.support.thanks"


def thanks_token(gift) -> str:
    """The token in the thanks page's address after a checkout (/donate/thanks/<token>/):
    the gift's id, signed so that no one can walk through other readers' gifts."""
    return signing.Signer(salt=THANKS_SALT).sign(signing.b62_encode(gift.pk))


def gift_for_thanks_token(token: str):
    """The gift a genuine thanks token names; None otherwise."""
    from .models import Gift

    try:
        value = signing.Signer(salt=THANKS_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return Gift.objects.filter(pk=signing.b62_decode(value)).first()
