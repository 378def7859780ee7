"""Test settings: development mode on SQLite, or on PostgreSQL when DATABASE_URL is set."""

import os
import tempfile

os.environ.setdefault("GAZETTE_ENV", "development")
os.environ.setdefault("GAZETTE_DATA_DIR", tempfile.mkdtemp(prefix="gazette-test-"))
os.environ.setdefault("GAZETTE_BASE_URL", "https://lantern.example")

from gazette.settings import *  # noqa: F403

ROOT_URLCONF = "tests.urls"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
# A file, not memory, so that a worker started by a test sees the test database.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}  # noqa: F405

TEST_REDIS_URL = os.environ.get("GAZETTE_TEST_REDIS_URL", "")
if TEST_REDIS_URL:
    INSTALLED_APPS.append("django_rq")  # noqa: F405
    RQ_QUEUES = {"default": {"URL": TEST_REDIS_URL}}
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
