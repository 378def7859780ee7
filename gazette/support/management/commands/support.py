"""`gazette support`: donor records on request and by rule (gazette/support/donor_records.py).

- `export EMAIL`: everything kept about the donor with this address, as JSON.
- `erase EMAIL`: stop their recurring gifts at the provider, then forget them (gifts and
  payments stay for the accounts, unlinked from any person).
- `purge`: forget donors with no active gift and no activity for
  GAZETTE_DONOR_RETENTION_DAYS (the worker's clock does this daily).
- `new-key`: print a fresh key for GAZETTE_DONOR_KEYS.
- `rotate-keys`: re-seal every donor record with the first key of GAZETTE_DONOR_KEYS.
"""

import getpass
import json

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_email

from gazette.accounts import audit
from gazette.support import crypto, donor_records
from gazette.support.models import Donor


class Command(BaseCommand):
    help = "Export, erase and purge donor records; make and rotate their encryption keys."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Print what is kept about a donor, as JSON.")
        export.add_argument("email")
        erase = sub.add_parser(
            "erase", help="Stop a donor's recurring gifts and erase the donor (on request)."
        )
        erase.add_argument("email")
        sub.add_parser(
            "purge",
            help="Erase donors with no active gift and no activity for the retention period.",
        )
        sub.add_parser("new-key", help="Print a fresh key for GAZETTE_DONOR_KEYS.")
        sub.add_parser(
            "rotate-keys", help="Re-seal every donor record with the first of GAZETTE_DONOR_KEYS."
        )

    def handle(self, *args, action, **options):
        if action == "new-key":
            self.stdout.write(Fernet.generate_key().decode())
            return
        try:
            getattr(self, action.replace("-", "_"))(**options)
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from error

    def _donor(self, email: str) -> Donor:
        try:
            validate_email(email.strip())
        except ValidationError:
            raise CommandError(f"“{email}” is not an email address.") from None
        donor = Donor.objects.for_email(email).first()
        if donor is None:
            raise CommandError(
                f"No donor has the address {email.strip()}: nothing is kept under it. (If it "
                "was erased or purged, nothing remains to export or erase.)"
            )
        return donor

    def export(self, *, email, **options):
        donor = self._donor(email)
        data = donor_records.donor_data(donor)
        _audit("privacy.export", donor)
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def erase(self, *, email, **options):
        donor = self._donor(email)
        try:
            result = donor_records.erase_donor(donor)
        except donor_records.StillActive as error:
            raise CommandError(str(error)) from error
        _audit("privacy.erase", donor, gifts=result.gifts, payments=result.payments)
        self.stdout.write(str(result))

    def purge(self, **options):
        count = donor_records.purge_lapsed()
        self.stdout.write(f"Purged {count} donor record(s) with no active gift and no activity.")

    def rotate_keys(self, **options):
        crypto.seal("check")  # bad or missing keys are reported before anything is read
        result = donor_records.rotate_keys()
        if result.unreadable:
            raise CommandError(str(result))
        self.stdout.write(str(result))


def _audit(action: str, donor: Donor, **data) -> None:
    """Labelled by id: the audit log must not keep the address an erasure removed."""
    data = {"via": "command:support", **data}
    audit.record(
        action,
        actor_name=f"{getpass.getuser()} (command line)",
        target_type="support.donor",
        target_id=str(donor.pk),
        target_label=f"donor {donor.pk}",
        data=data,
    )
