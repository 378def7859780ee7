"""A staff member's second factors: security keys and passkeys (WebAuthn) and TOTP apps,
with recovery codes besides. Recovery codes alone are not a factor: they only stand in
for one that was lost, so a user must keep at least one key or app."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from . import audit
from .mfa_models import RecoveryCodes


class LastFactor(Exception):
    """Removing this factor would leave the account with none."""


def keys(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at")


def apps(user):
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id")


def count(user) -> int:
    return keys(user).count() + apps(user).count()


def has_factor(user) -> bool:
    return keys(user).exists() or apps(user).exists()


def kind(device) -> str:
    return "webauthn" if isinstance(device, WebAuthnCredential) else "totp"


def find(user, kind_name: str, pk) -> WebAuthnCredential | TOTPDevice | None:
    queryset = keys(user) if kind_name == "webauthn" else apps(user)
    return queryset.filter(pk=pk).first()


def start_totp(user) -> TOTPDevice:
    """An unconfirmed TOTP device: confirmed once the user types a code from it. Earlier
    unconfirmed ones (set-ups abandoned half-way) are dropped."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


def pending_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()


def confirm_totp(device: TOTPDevice, token: str, *, request) -> bool:
    # No back-off while setting up: the person typing already holds the secret.
    device.throttle_reset(commit=False)
    if not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    added(device, request=request)
    return True


def added(device, *, request) -> None:
    audit.record(
        "accounts.mfa_added",
        request=request,
        target=device,
        target_label=f"{kind(device)}: {device.name}",
        data={"kind": kind(device)},
    )


def remove(user, device, *, request) -> None:
    """Remove one factor; refuse to remove the last."""
    with transaction.atomic():
        # Lock the user's row so that two removals at once cannot both see "one left".
        get_user_model().objects.select_for_update().get(pk=user.pk)
        if count(user) <= 1:
            raise LastFactor
        label = f"{kind(device)}: {device.name}"
        data = {"kind": kind(device)}
        target_id = device.pk
        device.delete()
    audit.record(
        "accounts.mfa_removed",
        request=request,
        target_label=label,
        data={**data, "id": target_id},
    )


def recovery_device(user) -> RecoveryCodes | None:
    return RecoveryCodes.objects.filter(user=user).first()


def new_recovery_codes(user, *, request) -> list[str]:
    """A fresh set of codes (the old ones stop working), to show once."""
    device, created = RecoveryCodes.objects.get_or_create(
        user=user, defaults={"name": _("Recovery codes")}
    )
    codes = device.replace_codes()
    audit.record(
        "accounts.recovery_codes_generated",
        request=request,
        target=device,
        target_label=_("recovery codes"),
        data={"first": created},
    )
    return codes
