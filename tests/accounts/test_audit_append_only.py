"""The database itself refuses to change or delete an audit entry, on SQLite and on
PostgreSQL (the suite runs on the latter when DATABASE_URL is set)."""

import pytest
from django.db import DatabaseError, connection, transaction

from gazette.accounts.audit import record
from gazette.accounts.models import AuditEntry

pytestmark = pytest.mark.django_db

REFUSAL = "append-only"


@pytest.fixture
def entry():
    return record("accounts.sign_in_failed", actor_name="someone")


def refused(statement):
    with pytest.raises(DatabaseError, match=REFUSAL), transaction.atomic():
        statement()


def test_an_entry_cannot_be_changed_through_the_orm(entry):
    entry.actor_name = "someone else"
    refused(entry.save)
    refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(action="accounts.sign_in"))
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "someone"


def test_an_entry_cannot_be_deleted_through_the_orm(entry):
    refused(entry.delete)
    refused(AuditEntry.objects.all().delete)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_nor_by_plain_sql(entry):
    table = AuditEntry._meta.db_table

    def update():
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET actor_name = 'x'")  # noqa: S608 - fixed name

    def delete():
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed name

    refused(update)
    refused(delete)
    assert AuditEntry.objects.get(pk=entry.pk).actor_name == "someone"


def test_adding_entries_still_works(entry):
    record("accounts.sign_in_failed", actor_name="someone")
    assert AuditEntry.objects.count() == 2
