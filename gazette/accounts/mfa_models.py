"""What staff sign-in keeps besides the package's own devices (django-otp's TOTP devices,
django-otp-webauthn's credentials): hashed recovery codes and a per-user session epoch."""

import hashlib
import secrets

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device, ThrottlingMixin

# Crockford's base32 without the letters people confuse (I, L, O, U): 16 of them are 80 bits,
# too many to try against a stolen table of unsalted SHA-256 digests.
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
CODES_PER_SET = 10


def normalize_code(code: str) -> str:
    """Upper case, no separators, and the letters Crockford's alphabet reads as digits."""
    code = code.upper().translate(str.maketrans("OIL", "011"))
    return "".join(ch for ch in code if ch.isalnum())


def digest(code: str) -> str:
    return hashlib.sha256(normalize_code(code).encode()).hexdigest()


class RecoveryCodes(ThrottlingMixin, Device):
    """One user's set of one-time recovery codes, as a django-otp device, so a code verifies
    a session like any other factor. Only digests are stored: the codes are shown once."""

    class Meta:
        verbose_name = _("recovery codes")
        verbose_name_plural = _("recovery codes")

    def get_throttle_factor(self):
        return 1

    def replace_codes(self) -> list[str]:
        """A fresh set; the old codes stop working. Returns the codes, for showing once."""
        codes = [
            "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
            for _ in range(CODES_PER_SET)
        ]
        with transaction.atomic():
            self.codes.all().delete()
            RecoveryCode.objects.bulk_create(
                RecoveryCode(device=self, digest=digest(code)) for code in codes
            )
        return ["-".join(code[i : i + 4] for i in range(0, CODE_LENGTH, 4)) for code in codes]

    def remaining(self) -> int:
        return self.codes.count()

    def verify_token(self, token) -> bool:
        allowed, _ = self.verify_is_allowed()
        if not allowed:
            return False
        # Deleting the row is what makes a code single use: of two requests racing with the
        # same code, only one deletes it.
        deleted, _ = self.codes.filter(digest=digest(str(token))).delete()
        if deleted:
            self.throttle_reset()
            return True
        self.throttle_increment(commit=True)
        return False


class RecoveryCode(models.Model):
    device = models.ForeignKey(RecoveryCodes, on_delete=models.CASCADE, related_name="codes")
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["device", "digest"], name="recovery_code_once")
        ]


class SessionEpoch(models.Model):
    """Sessions carry the epoch they started in; "sign out everywhere" moves it on, and the
    middleware ends every session that carries an older one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="session_epoch"
    )
    epoch = models.PositiveIntegerField(default=0)

    @classmethod
    def current(cls, user) -> int:
        row = cls.objects.filter(user=user).values_list("epoch", flat=True).first()
        return row or 0

    @classmethod
    def advance(cls, user) -> int:
        with transaction.atomic():
            row, _ = cls.objects.select_for_update().get_or_create(user=user)
            row.epoch = models.F("epoch") + 1
            row.save(update_fields=["epoch"])
            row.refresh_from_db()
        return row.epoch
