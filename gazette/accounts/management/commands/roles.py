"""`gazette roles`: create the newsroom's role groups, or put their permissions back to
what gazette/accounts/roles.py says (after someone changed them in Settings > Groups)."""

import getpass

from django.core.management.base import BaseCommand

from gazette.accounts.audit import record
from gazette.accounts.roles import ROLES, apply_roles


class Command(BaseCommand):
    help = "Create the role groups or reset their permissions (Reporters, Editors, ...)."

    def handle(self, *args, **options):
        apply_roles()
        names = [role.name for role in ROLES]
        record(
            "accounts.roles_reset",
            actor_name=f"{getpass.getuser()} (command line)",
            data={"groups": names},
        )
        self.stdout.write(f"Roles set: {', '.join(names)}.")
