"""Start-up checks run in a fresh interpreter, exactly as a deployment would start."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = (
    "import django; django.setup(); from django.conf import settings; "
    "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER, "
    "settings.CACHES['default']['BACKEND'])"
)


def _start(*command: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "PII_KEY", "SENTRY_DSN", "ALLOWED_HOSTS",
                      "DJANGO_ALLOW_ASYNC_UNSAFE")
             and not k.startswith("SECURE_")}
    clean["DJANGO_SETTINGS_MODULE"] = "backend.settings"
    clean.update(env)
    return subprocess.run([sys.executable, *(command or ("-c", CHECK))], cwd=ROOT, env=clean, capture_output=True,
                          text=True, timeout=60)


PRODUCTION = {
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test", "REDIS_URL": "redis://127.0.0.1:6379/15",
    "SECRET_KEY": "Vq3-x8Lk2#pT9mZ!rB7wN4yH6jF1cD5sG0aE8uI2oP7lK3nM9bV",
    "PII_KEY": "dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE=", "ALLOWED_HOSTS": "onecard.example",
}


def test_with_nothing_set_the_embedded_default_runs(tmp_path):
    result = _start(SQLITE_PATH=str(tmp_path / "demo.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3", "True", "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_production_settings_pass_the_deployment_checks_without_a_warning():
    result = _start("manage.py", "check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues (0 silenced)" in result.stdout


def test_hsts_and_the_https_redirect_are_set_by_env():
    show = ("-c", "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
            "s.SECURE_HSTS_PRELOAD)")
    assert _start(*show, **PRODUCTION).stdout.split() == ["True", "31536000", "True", "True"]
    lowered = _start(*show, **PRODUCTION, SECURE_SSL_REDIRECT="0", SECURE_HSTS_SECONDS="300",
                     SECURE_HSTS_INCLUDE_SUBDOMAINS="0", SECURE_HSTS_PRELOAD="no")
    assert lowered.stdout.split() == ["False", "300", "False", "False"]


def test_production_refuses_a_secret_key_shorter_than_50_characters():
    result = _start(**{**PRODUCTION, "SECRET_KEY": "k" * 49})
    assert result.returncode != 0
    assert "SECRET_KEY must be set to a random value of 50+ characters" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = _start(DATABASE_URL="postgres://postgres@127.0.0.1:5432/test")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_the_development_pii_key():
    result = _start(DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "PII_KEY must be set" in result.stderr


def test_production_shape_uses_postgres_redis_and_a_real_broker():
    result = _start(
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test", REDIS_URL="redis://127.0.0.1:6379/15",
        SECRET_KEY="s" * 50, PII_KEY="dGVzdC1vbmx5LXBpaS1rZXktMzItYnl0ZXMtbG9uZyE=",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql", "False", "django.core.cache.backends.redis.RedisCache",
    ]


def test_a_mistyped_boolean_names_the_variable():
    result = _start(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be one of" in result.stderr
