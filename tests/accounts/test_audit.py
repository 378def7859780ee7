import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from gazette.accounts.audit import record
from gazette.accounts.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_record_takes_the_actor_and_address_from_the_request():
    user = get_user_model().objects.create_user("editor", password="x" * 16)
    request = RequestFactory().post("/", REMOTE_ADDR="203.0.113.9")
    request.user = user
    entry = record("accounts.sign_in", request=request, data={"method": "totp"})
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor_id, entry.actor_name, entry.ip) == (user.pk, "editor", "203.0.113.9")
    assert entry.data == {"method": "totp"}


def test_an_entry_keeps_who_acted_after_the_account_is_gone():
    user = get_user_model().objects.create_user("reporter", password="x" * 16)
    record("accounts.role_change", actor=user, target=user, data={"groups": ["Editors"]})
    user.delete()
    entry = AuditEntry.objects.get()
    assert entry.actor_name == "reporter"
    assert entry.target_type == "auth.user" and entry.target_label == "reporter"


def test_a_failed_sign_in_of_an_unknown_name_is_kept_by_name():
    record("accounts.sign_in_failed", actor_name="nobody")
    assert AuditEntry.objects.get().actor_id is None
