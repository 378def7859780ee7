"""Settings fail closed, and production passes Django's deployment checklist."""

import subprocess
import sys

import pytest

from tests.workers import ROOT

PRODUCTION = {
    "SECRET_KEY": "k7Gq2vX9pL4mN8rT1wY6zB3cF5hJ0dS2aE7uI9oP4qW8eR3tY6uI1oP5aS9dF2gH",
    "ALLOWED_HOSTS": "lantern.example,www.lantern.example",
    "GAZETTE_DONOR_KEYS": "Xn0mU3OzQ2l6bq8j9m0wq2c1Yk3GZ0P0p2xv7b5Hc0k=",
}


def gazette(*args: str, env: dict, tmp_path) -> subprocess.CompletedProcess:
    clean = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "GAZETTE_DATA_DIR": str(tmp_path)}
    return subprocess.run(
        [sys.executable, "-m", "gazette", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_is_the_default_and_refuses_to_start_without_its_settings(tmp_path):
    result = gazette("check", env={}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "GAZETTE_ENV=production needs" in result.stderr
    for name in ("SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"):
        assert name in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_each_missing_production_setting_is_named(tmp_path, missing):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    del env[missing]
    result = gazette("check", env={"GAZETTE_ENV": "production", **env}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert f"which are not set: {missing}." in result.stderr


def test_production_with_its_settings_passes_the_deployment_checks(tmp_path):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    result = gazette("check", "--deploy", "--fail-level", "DEBUG", env=env, tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # HSTS preloading is opt-in: its reminder (security.W021) is silenced until then. W008
    # (SECURE_SSL_REDIRECT) always: our HttpsMiddleware redirects, leaving onion hosts alone.
    assert "System check identified no issues (2 silenced)." in result.stdout
    env["GAZETTE_HSTS_PRELOAD"] = "1"
    result = gazette("check", "--deploy", "--fail-level", "DEBUG", env=env, tmp_path=tmp_path)
    assert "System check identified no issues (1 silenced)." in result.stdout


def test_a_wildcard_host_needs_an_explicit_base_url(tmp_path):
    env = {**PRODUCTION, "ALLOWED_HOSTS": "*", "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    result = gazette("check", env=env, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "set GAZETTE_BASE_URL" in result.stderr
    env["GAZETTE_BASE_URL"] = "https://lantern.example"
    assert gazette("check", env=env, tmp_path=tmp_path).returncode == 0


def test_debug_is_never_on_in_production_and_off_by_default(tmp_path):
    show = ["shell", "-c", "from django.conf import settings; print('DEBUG', settings.DEBUG)"]
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "GAZETTE_DEBUG": "1"}
    assert "DEBUG False" in gazette(*show, env=env, tmp_path=tmp_path).stdout
    assert (
        "DEBUG False"
        in gazette(*show, env={"GAZETTE_ENV": "development"}, tmp_path=tmp_path).stdout
    )
    on = gazette(*show, env={"GAZETTE_ENV": "development", "GAZETTE_DEBUG": "1"}, tmp_path=tmp_path)
    assert "DEBUG True" in on.stdout


def test_unknown_environment_is_refused(tmp_path):
    result = gazette("check", env={"GAZETTE_ENV": "staging"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "GAZETTE_ENV='staging' is not known" in result.stderr


def test_redis_url_switches_cache_and_task_queue(tmp_path):
    show = [
        "shell",
        "-c",
        "from django.conf import settings; "
        "print(settings.CACHES['default']['BACKEND'], settings.TASKS['default']['BACKEND'])",
    ]
    env = {"GAZETTE_ENV": "development", "REDIS_URL": "redis://127.0.0.1:6379/3"}
    assert (
        "django.core.cache.backends.redis.RedisCache django_tasks_rq.RQBackend"
        in gazette(*show, env=env, tmp_path=tmp_path).stdout
    )


def test_production_refuses_the_test_payment_provider(tmp_path):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    result = gazette("check", env={**env, "GAZETTE_SUPPORT_TEST_PROVIDER": "1"}, tmp_path=tmp_path)
    assert result.returncode == 2
    assert "GAZETTE_SUPPORT_TEST_PROVIDER=1 is refused in production" in result.stderr


@pytest.mark.parametrize("keys", ["", "not-a-key"])
def test_the_deployment_check_names_missing_or_bad_donor_keys(tmp_path, keys):
    env = {**PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"}
    env["GAZETTE_DONOR_KEYS"] = keys
    result = gazette("check", "--deploy", env=env, tmp_path=tmp_path)
    assert result.returncode == 1
    assert "gazette.support.E001" in result.stderr and "GAZETTE_DONOR_KEYS" in result.stderr
