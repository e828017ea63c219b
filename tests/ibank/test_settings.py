import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]
# The settings as a process sees them: the settings module only (every refusal is raised there), not the apps.
PROBE = (
    "import json; from django.conf import settings; "
    "print(json.dumps({'debug': settings.DEBUG, 'secure': settings.SESSION_COOKIE_SECURE, "
    "'csrf_secure': settings.CSRF_COOKIE_SECURE, 'hsts': settings.SECURE_HSTS_SECONDS, "
    "'engine': settings.DATABASES['default']['ENGINE'], 'tz': settings.TIME_ZONE, 'lang': settings.LANGUAGE_CODE}))"
)
GOOD_KEY = "k" * 50


def run_settings(**env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IBANK_", "SECRET_KEY", "DATABASE_URL", "PYTEST", "REDIS_URL"))
    }
    clean.update({"DJANGO_SETTINGS_MODULE": "ibank.settings", **env})
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_secret_key():
    result = run_settings(IBANK_ENV="production", IBANK_ENCRYPTION_KEYS=Fernet.generate_key().decode())
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_secret_key():
    from ibank.settings import DEV_SECRET_KEY

    result = run_settings(
        IBANK_ENV="production", SECRET_KEY=DEV_SECRET_KEY, IBANK_ENCRYPTION_KEYS=Fernet.generate_key().decode()
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_encryption_key():
    result = run_settings(IBANK_ENV="production", SECRET_KEY=GOOD_KEY)
    assert result.returncode != 0
    assert "IBANK_ENCRYPTION_KEYS must be set" in result.stderr


def test_production_is_secure_by_default():
    result = run_settings(
        SECRET_KEY=GOOD_KEY, IBANK_ENCRYPTION_KEYS=Fernet.generate_key().decode(), REDIS_URL="redis://127.0.0.1:6379/0"
    )
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert values["debug"] is False
    assert values["secure"] is True and values["csrf_secure"] is True
    assert values["hsts"] >= 31536000
    assert values["tz"] == "Asia/Tokyo" and values["lang"] == "ja"


def test_development_mode_turns_debug_on():
    result = run_settings(IBANK_ENV="development")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["debug"] is True


@pytest.mark.parametrize("url", ["", "   "])
def test_empty_database_url_means_sqlite(url):
    result = run_settings(IBANK_ENV="development", DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["engine"] == "django.db.backends.sqlite3"


def test_database_url_selects_postgresql():
    result = run_settings(IBANK_ENV="development", DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres")
    assert result.returncode == 0, result.stderr
    # Django's backend with a health check that needs no round trip while the connection is quiet
    assert json.loads(result.stdout)["engine"] == "ibank.postgresql"


def test_bad_boolean_is_refused_with_the_variable_name():
    result = run_settings(IBANK_ENV="development", IBANK_DEBUG="maybe")
    assert result.returncode != 0
    assert "IBANK_DEBUG must be a boolean" in result.stderr


def test_migration_history_is_clean(db):
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_otp_rules_come_from_the_environment():
    probe = (
        "import django; django.setup(); from otp.conf import otp_settings; "
        "print(otp_settings.IBANK_OTP_MAX_FAILURES, otp_settings.IBANK_TOKEN_ISSUE_LIMIT)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IBANK_", "PYTEST"))}
    env.update({"DJANGO_SETTINGS_MODULE": "ibank.settings", "IBANK_ENV": "development", "IBANK_OTP_MAX_FAILURES": "3"})
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["3", "10"]


def test_production_refuses_a_per_process_cache():
    """Without a shared cache the issuance rate limit would be multiplied by the worker count."""
    keys = {"SECRET_KEY": GOOD_KEY, "IBANK_ENCRYPTION_KEYS": Fernet.generate_key().decode()}
    result = run_settings(**keys)
    assert result.returncode != 0 and "REDIS_URL must be set in production" in result.stderr
    assert run_settings(**keys, IBANK_ALLOW_LOCAL_CACHE="1").returncode == 0


def _postgresql_setting(expression: str, **env):
    """``expression`` (of ``settings``) as a process on PostgreSQL with ``env`` sees it (development unless
    ``env`` says otherwise)."""
    probe = f"import json; from django.conf import settings; print(json.dumps({expression}))"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("IBANK_", "DATABASE_", "PYTEST"))}
    clean.update(
        {
            "DJANGO_SETTINGS_MODULE": "ibank.settings",
            "IBANK_ENV": "development",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
            **env,
        }
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"IBANK_ENV": "production"}, [600, True]),
        ({"IBANK_ENV": "production", "DATABASE_CONN_MAX_AGE": "0"}, [0, False]),
        ({}, [0, False]),  # development: a connection per request, as runserver's threads come and go
    ],
)
def test_production_keeps_its_connections_by_default(env, expected):
    """A production worker keeps its connection (and what it prepared) for 10 minutes, health-checked; set 0
    behind a pooler."""
    production = {
        "SECRET_KEY": GOOD_KEY,
        "IBANK_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    expression = "[settings.DATABASES['default'][k] for k in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')]"
    assert _postgresql_setting(expression, **(production if env.get("IBANK_ENV") else {}), **env) == expected


def test_persistent_connections_are_health_checked():
    assert (
        _postgresql_setting("settings.DATABASES['default']['CONN_HEALTH_CHECKS']", DATABASE_CONN_MAX_AGE="60") is True
    )


@pytest.mark.parametrize(
    "flag, expected",
    [
        (None, {"server_side_binding": True, "prepare_threshold": 5, "connect_timeout": 5}),
        ("0", {"connect_timeout": 5}),
    ],
)
def test_postgresql_prepares_the_statements_a_connection_repeats(flag, expected):
    """On by default; DATABASE_PREPARED_STATEMENTS=0 for a pooler that cannot keep prepared statements."""
    env = {"DATABASE_PREPARED_STATEMENTS": flag} if flag is not None else {}
    assert _postgresql_setting("settings.DATABASES['default'].get('OPTIONS', {})", **env) == expected


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, [5, {"lock_timeout": 5000, "statement_timeout": 15000}]),
        (
            {"DATABASE_CONNECT_TIMEOUT": "2", "DATABASE_LOCK_TIMEOUT_MS": "0", "DATABASE_STATEMENT_TIMEOUT_MS": "800"},
            [2, {"lock_timeout": 0, "statement_timeout": 800}],
        ),
        (
            {"DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres?connect_timeout=3"},
            [3, {"lock_timeout": 5000, "statement_timeout": 15000}],
        ),
    ],
)
def test_postgresql_connections_and_requests_wait_a_bounded_time(env, expected):
    """A connection's start 5 s (or the URL's own), a web request's lock 5 s and statement 15 s (0: none)."""
    database = "settings.DATABASES['default']"
    expression = f"[{database}['OPTIONS']['connect_timeout'], {database}['REQUEST_TIMEOUTS_MS']]"
    assert _postgresql_setting(expression, **env) == expected


def test_the_wsgi_application_freezes_what_it_loaded():
    """gunicorn's application: loaded with its URLconf, then kept out of the garbage collector's full scans."""
    probe = (
        "import gc, sys, ibank.wsgi; "
        "print(gc.get_freeze_count() > 50_000, 'accounts.views' in sys.modules or 'accounts.login' in sys.modules)"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("IBANK_", "DATABASE_", "PYTEST"))}
    clean.update(IBANK_ENV="development")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, env=clean, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]


@pytest.mark.parametrize(("preload", "expected"), [("0", ["security.W021"]), ("1", [])])
def test_production_passes_djangos_deployment_checks(preload, expected):
    """``check --deploy`` as production starts: nothing to warn about but HSTS preload, the domain owner's
    decision (SECURE_HSTS_PRELOAD)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IBANK_", "SECRET_KEY", "DATABASE_URL", "PYTEST", "REDIS_URL", "SECURE_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="ibank.settings",
        IBANK_ENV="production",
        SECRET_KEY="s3cret-" + "k" * 50,
        IBANK_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        REDIS_URL="redis://127.0.0.1:6379/0",
        ALLOWED_HOSTS="ib.example.jp",
        SECURE_HSTS_PRELOAD=preload,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    found = sorted(set(re.findall(r"\(([a-z_]+\.[EWI][0-9]+)\)", result.stderr)))
    assert found == expected, result.stderr
    assert result.returncode == (1 if expected else 0), result.stderr
