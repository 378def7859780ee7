"""Donor keys: `gazette support new-key` and `rotate-keys`. After adding a new key first
and rotating, records sealed with the old key open with the new key alone, and donors are
still found by email; a second run changes nothing; bad keys get a clear message."""

from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection

from gazette.support.models import Donor

from .giving import give

pytestmark = pytest.mark.django_db


def support(*args) -> str:
    out = StringIO()
    call_command("support", *args, stdout=out)
    return out.getvalue()


def raw_donors() -> list[tuple[str, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT email_sealed, name_sealed, email_digest FROM support_donor")
        return sorted(cursor.fetchall())


def test_new_key_prints_a_working_fernet_key(db):
    key = support("new-key").strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"
    assert support("new-key").strip() != key


def test_rotation_reseals_with_the_new_key_so_the_old_one_can_be_dropped(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.GAZETTE_DONOR_KEYS = [old]
    give("vera@example.org", name="Vera K")
    give("ivan@example.org")
    before = raw_donors()

    settings.GAZETTE_DONOR_KEYS = [new, old]  # step 1: the new key first, the old kept
    # Until the rotation, donors are still found under the old key's lookup hash.
    assert Donor.objects.for_email("vera@example.org").exists()
    assert "Re-sealed 2 donor record(s) with the first key; 0 already were." in support(
        "rotate-keys"
    )
    after = raw_donors()
    assert not set(sum(before, ())) & set(sum(after, ())) - {""}
    assert "Re-sealed 0 donor record(s) with the first key; 2 already were." in support(
        "rotate-keys"
    )
    assert raw_donors() == after  # idempotent: the second run wrote nothing

    settings.GAZETTE_DONOR_KEYS = [new]  # step 3: the old key dropped
    vera = Donor.objects.for_email("VERA@example.org").get()
    assert vera.email == "vera@example.org" and vera.name == "Vera K"
    assert Donor.objects.for_email("ivan@example.org").get().name == ""
    for sealed, _name, _digest in after:
        Fernet(new.encode()).decrypt(sealed.encode())  # raises if not under the new key


def test_an_interrupted_rotation_resumes(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.GAZETTE_DONOR_KEYS = [old]
    for number in range(3):
        give(f"d{number}@example.org")
    settings.GAZETTE_DONOR_KEYS = [new, old]
    # As if a first run had died after the first donor.
    first = Donor.objects.order_by("pk").first()
    first.email = first.email  # re-sealed under the new key, filed under its hash
    first.save()
    assert "Re-sealed 2 donor record(s) with the first key; 1 already were." in support(
        "rotate-keys"
    )


def test_a_record_no_key_opens_is_reported_and_nothing_is_lost(settings):
    lost, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.GAZETTE_DONOR_KEYS = [lost]
    gift = give("vera@example.org")
    settings.GAZETTE_DONOR_KEYS = [new]  # the old key dropped before rotating
    give("ivan@example.org")
    sealed = raw_donors()
    with pytest.raises(CommandError) as error:
        support("rotate-keys")
    message = str(error.value)
    assert f"could not be opened with any configured key (donor ids {gift.donor_id})" in message
    assert "put back the key they were sealed with" in message
    assert raw_donors() == sealed


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ([], "GAZETTE_DONOR_KEYS is not set"),
        (["not-a-key"], "GAZETTE_DONOR_KEYS holds a value that is not a Fernet key"),
    ],
)
def test_bad_keys_get_a_clear_message(settings, keys, message):
    settings.GAZETTE_DONOR_KEYS = keys
    for action in (["rotate-keys"], ["export", "vera@example.org"]):
        with pytest.raises(CommandError, match=message):
            support(*action)
