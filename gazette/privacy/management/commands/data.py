"""`gazette data`: one person's data across newsletters and donations, and the purges.

- `export EMAIL`: everything held about the address, as JSON (subscriber, subscriptions,
  consents, deliveries, bounces, suppression; donor, gifts, payments).
- `erase EMAIL`: erase the address from both, after one confirmation (`--yes` skips it);
  prints what was erased and what was kept, and why.
- `purge`: apply every retention period now (the worker's clock does it daily).
- `retention`: print what is kept and for how long, as the Privacy Policy page shows it.
"""

import json

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from gazette.privacy import requests, retention


class Command(BaseCommand):
    help = "Export or erase one person's data by email; purge what is past its retention."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="Print everything held about an address, as JSON.")
        export.add_argument("email")
        erase = sub.add_parser("erase", help="Erase an address from newsletters and donations.")
        erase.add_argument("email")
        erase.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")
        sub.add_parser("purge", help="Delete what is past its retention period now.")
        sub.add_parser("retention", help="Print what is kept, why and for how long.")

    def handle(self, *args, action, **options):
        try:
            getattr(self, action)(**options)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None

    def export(self, *, email, **options):
        data = requests.export_person(email, via="command")
        if not requests.holds_anything(data):
            self.stderr.write(f"Nothing is held under {data['email']}.")
        self.stdout.write(json.dumps(data, ensure_ascii=False, indent=2))

    def erase(self, *, email, yes, **options):
        address = requests.clean_address(email)
        if not yes:
            answer = input(
                f"Erase {address} from the newsletters and the donations? This cannot be "
                "undone. Type 'yes' to go on: "
            )
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was erased.")
        result = requests.erase_person(address, via="command")
        self.stdout.write(str(result))
        if result.problems:
            raise CommandError("Part of the data was kept; see above.")

    def purge(self, **options):
        self.stdout.write(str(retention.purge_expired()))

    def retention(self, **options):
        for row in retention.kept():
            self.stdout.write(f"{row.kind}: {row.what} Why: {row.why} How long: {row.how_long}")
