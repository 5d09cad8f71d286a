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


def _start(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in ("DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "PII_KEY", "SENTRY_DSN")}
    clean["DJANGO_SETTINGS_MODULE"] = "backend.settings"
    clean.update(env)
    return subprocess.run([sys.executable, "-c", CHECK], cwd=ROOT, env=clean, capture_output=True, text=True,
                          timeout=60)


def test_with_nothing_set_the_embedded_default_runs(tmp_path):
    result = _start(SQLITE_PATH=str(tmp_path / "demo.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3", "True", "django.core.cache.backends.locmem.LocMemCache",
    ]


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
