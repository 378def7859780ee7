"""The database refuses to change or delete audit entries, whoever asks.

Note for later migrations: on SQLite, altering the accounts_auditentry table rebuilds it,
which drops these triggers; such a migration must create them again (``create_triggers``).
The tests in tests/accounts/test_audit_append_only.py fail if they are missing.
"""

from django.db import migrations

TABLE = "accounts_auditentry"
MESSAGE = "The audit log is append-only: entries cannot be changed or deleted."

POSTGRESQL = [
    f"""
    CREATE OR REPLACE FUNCTION gazette_audit_refuse() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'insufficient_privilege';
    END;
    $$ LANGUAGE plpgsql
    """,
    f"""
    CREATE TRIGGER {TABLE}_append_only BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION gazette_audit_refuse()
    """,
]
POSTGRESQL_REVERSE = [
    f"DROP TRIGGER IF EXISTS {TABLE}_append_only ON {TABLE}",
    "DROP FUNCTION IF EXISTS gazette_audit_refuse()",
]

# gazette_audit_sealed() is added to every connection by gazette.accounts (audit.py).
SQLITE = [
    f"""
    CREATE TRIGGER {TABLE}_no_{verb.lower()} BEFORE {verb} ON {TABLE}
    WHEN gazette_audit_sealed()
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """
    for verb in ("UPDATE", "DELETE")
]
SQLITE_REVERSE = [f"DROP TRIGGER IF EXISTS {TABLE}_no_{verb}" for verb in ("update", "delete")]


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(vendor, []):
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in {"postgresql": POSTGRESQL_REVERSE, "sqlite": SQLITE_REVERSE}.get(vendor, []):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(create_triggers, drop_triggers, elidable=False)]
