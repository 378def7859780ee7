"""Second factors: setting up an app, recovery codes (hashed, single use), removing a factor
(never the last), and the audit entries each change leaves."""

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from gazette.accounts import factors
from gazette.accounts.mfa_models import RecoveryCode
from gazette.accounts.models import AuditEntry
from tests.accounts.signin_helpers import VERIFY, password_step, totp_token
from tests.factories import make_staff, second_factor, sign_in_staff

pytestmark = pytest.mark.django_db

SECURITY = "/admin/security/"


def test_a_new_account_sets_up_an_app_and_is_then_signed_in():
    user = make_staff("newcomer")
    client, _response = password_step("newcomer")
    page = client.get("/admin/security/setup/app/?next=/admin/")
    assert page.status_code == 200 and b"<svg" in page.content
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(
        "/admin/security/setup/app/",
        {"token": "000000" if totp_token(device) != "000000" else "1", "next": "/admin/"},
    )
    assert "That code is not right" in response.content.decode()
    assert not factors.has_factor(user)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(
        "/admin/security/setup/app/", {"token": totp_token(device), "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/security/recovery-codes/")
    assert factors.has_factor(user)
    assert client.get("/admin/").status_code == 200
    assert AuditEntry.objects.filter(action="accounts.mfa_added", data__kind="totp").count() == 1
    assert AuditEntry.objects.filter(action="accounts.sign_in", data__method="totp").count() == 1


def test_a_half_signed_in_user_with_a_factor_cannot_add_another():
    user = make_staff("editor")
    second_factor(user)
    client, _response = password_step("editor")
    response = client.get("/admin/security/setup/app/")
    assert response.status_code == 302 and response["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=user).count() == 1
    # Nor register a key through the package's endpoint.
    response = client.post("/admin/security/webauthn/registration/begin/")
    assert response.status_code in (401, 403)


def test_recovery_codes_are_stored_hashed_and_work_once():
    user = make_staff("editor")
    second_factor(user)
    signed_in = sign_in_staff(Client(), user)
    page = signed_in.post("/admin/security/recovery-codes/").content.decode()
    codes = factors.recovery_device(user)
    assert codes.remaining() == 10
    code = page.split("<code>")[1].split("</code>")[0]
    assert len(code) == 19 and code.count("-") == 3
    digests = list(RecoveryCode.objects.values_list("digest", flat=True))
    assert all(code.replace("-", "") not in digest for digest in digests)

    client, _response = password_step("editor")
    response = client.post(VERIFY, {"method": "recovery", "token": code.lower(), "next": "/admin/"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert codes.remaining() == 9
    assert AuditEntry.objects.filter(data__method="recovery_code").count() == 1

    again, _response = password_step("editor", address="10.0.0.2")
    response = again.post(VERIFY, {"method": "recovery", "token": code, "next": "/admin/"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert again.get("/admin/").status_code == 302


def test_new_recovery_codes_replace_the_old_ones():
    user = make_staff("editor")
    second_factor(user)
    client = sign_in_staff(Client(), user)
    old = factors.new_recovery_codes(user, request=None)
    client.post("/admin/security/recovery-codes/")
    device = factors.recovery_device(user)
    assert device.remaining() == 10
    assert not device.verify_token(old[0])
    assert AuditEntry.objects.filter(action="accounts.recovery_codes_generated").count() == 2


def test_the_last_factor_cannot_be_removed_and_another_can():
    user = make_staff("editor")
    app = second_factor(user)
    client = sign_in_staff(Client(), user)
    response = client.post(f"/admin/security/remove/totp/{app.pk}/", follow=True)
    assert "This is your only security key or authenticator app" in response.content.decode()
    assert factors.count(user) == 1
    assert not AuditEntry.objects.filter(action="accounts.mfa_removed").exists()

    spare = TOTPDevice.objects.create(user=user, name="Spare phone", confirmed=True)
    response = client.post(f"/admin/security/remove/totp/{spare.pk}/", follow=True)
    assert "Removed" in response.content.decode()
    assert list(factors.apps(user)) == [app]
    entry = AuditEntry.objects.get(action="accounts.mfa_removed")
    assert entry.actor_id == user.pk and entry.data["kind"] == "totp"


def test_one_cannot_remove_someone_elses_factor():
    owner = make_staff("owner")
    theirs = second_factor(owner)
    TOTPDevice.objects.create(user=owner, name="Spare", confirmed=True)
    intruder = sign_in_staff(Client(), make_staff("intruder"))
    intruder.post(f"/admin/security/remove/totp/{theirs.pk}/")
    assert factors.count(owner) == 2


def test_the_security_page_lists_factors_and_is_linked_from_the_account_page():
    user = make_staff("editor")
    second_factor(user)
    client = sign_in_staff(Client(), user)
    page = client.get(SECURITY).content.decode()
    assert "Test app" in page and "Sign out everywhere" in page
    assert SECURITY in client.get("/admin/account/").content.decode()
