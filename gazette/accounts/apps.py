"""Staff accounts: sign-in with a second factor, roles, and the audit log."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "gazette.accounts"
    label = "accounts"
    verbose_name = _("Staff accounts")

    def ready(self):
        from django.db.backends.signals import connection_created

        from . import audit, audit_hooks

        connection_created.connect(audit.add_sqlite_function, dispatch_uid="gazette_audit_sqlite")
        audit_hooks.connect()
