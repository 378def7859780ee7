"""The password step: where it sends staff, throttling and lockout, the audit entries, Argon2,
idle sessions and "sign out everywhere"."""

import datetime

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client

from gazette.accounts.models import AuditEntry
from tests.accounts.signin_helpers import LOGIN, PASSWORD, VERIFY, password_step, totp_token
from tests.factories import make_staff, second_factor, sign_in_staff

pytestmark = pytest.mark.django_db


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_a_password_alone_reaches_only_the_second_factor_setup():
    make_staff("newcomer")
    client, response = password_step("newcomer")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/security/setup/?next=")
    for path in ("/admin/", "/admin/pages/", "/admin/users/", "/admin/security/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/admin/security/setup/"), path
    assert client.get("/admin/security/setup/").status_code == 200


def test_staff_with_an_app_are_asked_for_its_code_and_then_let_in():
    user = make_staff("editor")
    device = second_factor(user)
    client, response = password_step("editor")
    assert response["Location"].startswith(VERIFY)
    assert client.get("/admin/").status_code == 302
    wrong = client.post(VERIFY, {"method": "totp", "token": "12345", "next": "/admin/"})
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()
    response = client.post(
        VERIFY, {"method": "totp", "token": totp_token(device), "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    signed_in = AuditEntry.objects.get(action="accounts.sign_in")
    assert (signed_in.actor_id, signed_in.data) == (user.pk, {"method": "totp"})
    failed = AuditEntry.objects.get(action="accounts.sign_in_failed")
    assert failed.data == {"step": "second_factor", "method": "totp"}


def test_a_failed_sign_in_is_logged_by_the_name_typed_and_never_the_password():
    make_staff("editor")
    _client, response = password_step("editor", "wrong password 99", address="203.0.113.5")
    assert response.status_code == 200
    entry = AuditEntry.objects.get(action="accounts.sign_in_failed")
    assert (entry.actor_id, entry.actor_name, entry.ip) == (None, "editor", "203.0.113.5")
    assert "wrong password 99" not in str(entry.data)
    # A name nobody has is logged the same way (nothing tells which names exist).
    password_step("nobody-here", "wrong password 99")
    assert AuditEntry.objects.filter(actor_name="nobody-here").count() == 1


def test_one_address_is_throttled_across_accounts(settings):
    settings.GAZETTE_SIGNIN_PER_CLIENT = 3
    make_staff("editor")
    for name in ("a", "b", "c"):
        password_step(name, "wrong password 99", address="198.51.100.7")
    # Even the right password is not checked from that address now...
    client, response = password_step("editor", address="198.51.100.7")
    assert response.status_code == 200
    assert "Too many failed sign-ins from your network" in " ".join(messages_of(response))
    assert "_auth_user_id" not in client.session
    # ...while another address signs in.
    _client, response = password_step("editor", address="198.51.100.8")
    assert response.status_code == 302


def test_an_account_is_locked_for_a_while_but_not_in_its_owners_browser(settings):
    settings.GAZETTE_SIGNIN_PER_ACCOUNT = 3
    user = make_staff("editor")
    device = second_factor(user)
    # The owner signed in before: their browser holds the known-browser cookie.
    owner, _response = password_step("editor", address="10.1.1.1")
    owner.post(VERIFY, {"method": "totp", "token": totp_token(device), "next": "/admin/"})
    assert "gazette_known_browser" in owner.cookies
    owner.cookies.pop("sessionid")

    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        password_step("editor", "wrong password 99", address=address)
    assert AuditEntry.objects.filter(action="accounts.locked_out", actor_name="editor").count() == 1

    client, response = password_step("editor", address="192.0.2.50")
    assert response.status_code == 200
    assert "This account is locked for 15 minutes" in " ".join(messages_of(response))
    assert AuditEntry.objects.filter(action="accounts.sign_in_failed", data__locked=True).exists()

    _owner, response = password_step("editor", client=owner, address="10.1.1.1")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)

    # The lock ends with its window.
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(
        seconds=settings.GAZETTE_SIGNIN_WINDOW + 5
    )
    with time_machine.travel(later):
        _client, response = password_step("editor", address="192.0.2.50")
        assert response.status_code == 302


def test_passwords_are_hashed_with_argon2_and_old_hashes_still_work(settings):
    from gazette import settings as site_settings

    settings.PASSWORD_HASHERS = site_settings.PASSWORD_HASHERS
    user = make_staff("editor")
    user.set_password(PASSWORD)
    user.save()
    assert user.password.startswith("argon2$")

    old = make_staff("veteran")
    old.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    old.save()
    _client, response = password_step("veteran")
    assert response.status_code == 302
    old.refresh_from_db()
    assert old.password.startswith("argon2$")  # upgraded at sign-in


def test_an_idle_session_ends(settings):
    user = make_staff("editor")
    client = sign_in_staff(Client(), user)
    assert client.get("/admin/").status_code == 200
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(
        seconds=settings.GAZETTE_SESSION_IDLE_TIMEOUT + 60
    )
    with time_machine.travel(later):
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
        assert "_auth_user_id" not in client.session


def test_sign_out_everywhere_ends_the_users_other_sessions_and_no_one_elses():
    user = make_staff("editor")
    laptop = sign_in_staff(Client(), user)
    phone = sign_in_staff(Client(), user)
    colleague = sign_in_staff(Client(), make_staff("colleague"))
    assert phone.get("/admin/").status_code == 200

    response = laptop.post("/admin/security/sign-out-everywhere/")
    assert response.status_code == 302 and response["Location"] == LOGIN

    for client in (laptop, phone):
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert colleague.get("/admin/").status_code == 200
    entry = AuditEntry.objects.get(action="accounts.signed_out_everywhere")
    assert entry.actor_id == user.pk
    # Signing in again works.
    device = second_factor(get_user_model().objects.get(username="editor"))
    client, _response = password_step("editor")
    client.post(VERIFY, {"method": "totp", "token": totp_token(device), "next": "/admin/"})
    assert client.get("/admin/").status_code == 200
