"""Settings, all from environment variables.

With nothing set the embedded default runs (SQLite file, Celery eager, in-memory cache, DEBUG on):
enough for the one-command demo. Setting DATABASE_URL selects the production shape, where DEBUG is
off unless asked for and the secrets must be real.
"""

from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from backend.env import env_bool, env_int, env_list, env_str
from backend.logconfig import logging_embedded

BASE_DIR = Path(__file__).resolve().parent.parent

DATABASE_URL = env_str("DATABASE_URL")
REDIS_URL = env_str("REDIS_URL")

DEBUG = env_bool("DEBUG", default=not DATABASE_URL)

# Development-only values; production refuses to start with them (see the check below).
DEV_SECRET_KEY = "dev-insecure-one-card-secret-key-do-not-use-in-production"
DEV_PII_KEY = "ZGV2LWluc2VjdXJlLXBpaS1rZXktMzItYnl0ZXMhISE="  # base64 of a 32-byte dev key

SECRET_KEY = env_str("SECRET_KEY", DEV_SECRET_KEY)
# Comma-separated Fernet keys, newest first: the first encrypts, all decrypt (key rotation).
PII_KEYS = env_list("PII_KEY", [DEV_PII_KEY])

if not DEBUG:
    if SECRET_KEY in ("", DEV_SECRET_KEY) or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("SECRET_KEY must be set to a random value of 50+ characters when DEBUG is off")
    if not PII_KEYS or DEV_PII_KEY in PII_KEYS:
        raise ImproperlyConfigured("PII_KEY must be set to real key(s) when DEBUG is off")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "csp",
    "geo",
    "disbursement",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "backend.middleware.LanguageMiddleware",
    "backend.middleware.HostileInputMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "backend.urls"
WSGI_APPLICATION = "backend.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "backend" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 60))
    if DATABASE_URL
    else {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": env_str("SQLITE_PATH", str(BASE_DIR / "var" / "one-card.sqlite3")),
        # WAL: the upload page's progress polls read while an import thread writes (readers never wait on
        # the writer); a writer waits up to `timeout` seconds for another instead of "database is locked".
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
    }
}
if not DATABASE_URL:
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif env_str("TEST_DATABASE_NAME"):
    # Lets two test runs share one PostgreSQL server without dropping each other's test database.
    DATABASES["default"]["TEST"] = {"NAME": env_str("TEST_DATABASE_NAME")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "disbursement.User"
AUTHENTICATION_BACKENDS = ["disbursement.accounts.auth.RoleBackend"]

if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "backend" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "backend" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_FAILURE_VIEW = "backend.error_views.csrf_failure"  # the 403 page in the site's layout, in Chinese
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    # TLS ends at the reverse proxy, which must set X-Forwarded-Proto (and overwrite any the client sent).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Production answers only over HTTPS and tells browsers so for a year (HSTS); each part can be turned down by env,
# e.g. SECURE_HSTS_SECONDS=300 while trying a new domain, SECURE_HSTS_PRELOAD=0 if it must not join the preload list.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the container's own health check speaks plain HTTP to gunicorn
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

# Content-Security-Policy (django-csp): scripts and styles only from our own static files, never inline — every page's
# behaviour lives in backend/static/js, every style in backend/static/css; the API docs use ninja's bundled Swagger UI.
# data: images are Swagger UI's and the stylesheets' icons; nothing may frame us, and forms post only to us.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# Celery: Redis broker when REDIS_URL is set, otherwise tasks run in-process (embedded default).
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Without a broker a roster file at least this large is imported in a thread of the web process, so the upload
# answers at once and its page shows the progress bar; smaller files are imported inside the request.
IMPORT_THREAD_MIN_BYTES = env_int("IMPORT_THREAD_MIN_BYTES", 64 * 1024)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_TIMEZONE = TIME_ZONE
# Keep Django's LOGGING (and its PII filter) in workers: Celery would otherwise replace the root handlers.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE = {
    # Periodic jobs look for a state, never for a date: "queued or running for too long".
    "imports-requeue": {"task": "disbursement.rosters.tasks.imports_requeue", "schedule": 300.0},
    "notices-requeue": {"task": "disbursement.notifications.tasks.notices_requeue", "schedule": 300.0},
    "import-files-expire": {"task": "disbursement.rosters.tasks.import_files_expire", "schedule": 3600.0},
    "payments-return-unhandled": {"task": "disbursement.payments.tasks.payments_return_unhandled",
                                  "schedule": 3600.0},
    "alerts-escalate-overdue": {"task": "disbursement.alerts.tasks.alerts_escalate_overdue", "schedule": 3600.0},
    # Every rule over the whole history; alerts are keyed by their facts, so an hourly repeat changes nothing.
    "risk-scan": {"task": "disbursement.risk.tasks.risk_scan_run", "schedule": 3600.0},
    # The supervisor's pre-aggregated figures, every county and year, rebuilt nightly (bank files and returns also
    # queue their county's rebuild as they commit); catches whatever a lost task missed.
    "supervision-facts-refresh": {"task": "disbursement.supervision.tasks.supervision_facts_refresh_all",
                                  "schedule": crontab(hour=2, minute=30)},
    # Treasury alerts of every region from the stored levels, the forecast and our payments: keyed by episode,
    # so a daily repeat only refreshes figures (and the forecast moves with the calendar).
    "treasury-alerts": {"task": "disbursement.treasury.tasks.treasury_refresh_alerts", "schedule": 86400.0},
}
# Days an open alert of each severity may go without action before it escalates one level up.
ALERT_OVERDUE_DAYS_HIGH = env_int("ALERT_OVERDUE_DAYS_HIGH", 3)
ALERT_OVERDUE_DAYS_MEDIUM = env_int("ALERT_OVERDUE_DAYS_MEDIUM", 7)
ALERT_OVERDUE_DAYS_LOW = env_int("ALERT_OVERDUE_DAYS_LOW", 15)
# Days a failed payment waits for a correction and re-issue before its money returns to the indicator.
PAYMENT_RETURN_DAYS = env_int("PAYMENT_RETURN_DAYS", 30)

# Dotted path of the class that sends notices to residents (disbursement.notifications.senders).
NOTIFICATION_SENDER = env_str("NOTIFICATION_SENDER", "disbursement.notifications.senders.LogSender")

# Key of the HMAC signature on the public feed (X-OneCard-Signature); the supervision platform holds it too.
FEED_SIGNING_KEY = env_str("FEED_SIGNING_KEY", SECRET_KEY)
# Public self-lookup limits: per client per 10 minutes, per looked-up ID per hour, wrong pairs before a challenge.
PORTAL_LIMIT_PER_CLIENT = env_int("PORTAL_LIMIT_PER_CLIENT", 20)
PORTAL_LIMIT_PER_ID = env_int("PORTAL_LIMIT_PER_ID", 5)
PORTAL_CHALLENGE_AFTER_FAILURES = env_int("PORTAL_CHALLENGE_AFTER_FAILURES", 3)

# Hostile files and requests. Uploads larger than UPLOAD_MAX_BYTES are refused with 413 while they stream in
# (backend/uploads.py); imports refuse more than IMPORT_MAX_ROWS data rows and workbooks that unpack to more
# than IMPORT_MAX_UNCOMPRESSED_BYTES before reading them. Stored files of rejected or failed imports are
# deleted after IMPORT_FILE_RETENTION_DAYS (the job row and its errors stay).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 256 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 1_000_000)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 2 * 1024 * 1024 * 1024)
IMPORT_FILE_RETENTION_DAYS = env_int("IMPORT_FILE_RETENTION_DAYS", 90)
FILE_UPLOAD_HANDLERS = [
    "backend.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# Files above 2.5 MB go to a temporary file rather than memory; a form without files (or a JSON body) larger
# than 2.5 MB is refused by Django itself.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Sign-in throttle (API tokens and the login page): failed passwords per account and per client IP in a window.
SIGNIN_LIMIT_PER_ACCOUNT = env_int("SIGNIN_LIMIT_PER_ACCOUNT", 5)
SIGNIN_LIMIT_PER_CLIENT = env_int("SIGNIN_LIMIT_PER_CLIENT", 20)
SIGNIN_WINDOW_SECONDS = env_int("SIGNIN_WINDOW_SECONDS", 15 * 60)

# Sort/hash memory for the set-based joins of one roster import (PostgreSQL SET LOCAL work_mem).
IMPORT_WORK_MEM = env_str("IMPORT_WORK_MEM", "256MB")

NINJA_PAGINATION_CLASS = "backend.pagination.BoundedLimitOffsetPagination"
NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 500
# Beyond any list's length; keeps offset far from PostgreSQL's bigint (2**63 gave 500).
API_PAGINATION_MAX_OFFSET = 100_000_000

# Every handler gets the PII filter: ID, card and phone numbers never reach a log line.
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_pii": {"()": "backend.redaction.RedactingFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_pii"]},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
# The embedded default (the demo) sends its notices to a file and the outbox, not the terminal (backend/logconfig.py).
NOTICE_LOG_FILE = env_str("NOTICE_LOG_FILE", "" if DATABASE_URL else str(BASE_DIR / "var" / "demo-notices.log"))
LOGGING = logging_embedded(LOGGING, notice_file=NOTICE_LOG_FILE, quiet_tasks=not REDIS_URL)

SENTRY_DSN = env_str("SENTRY_DSN")
SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "development" if DEBUG else "production")
SENTRY_TRACES_SAMPLE_RATE = float(env_str("SENTRY_TRACES_SAMPLE_RATE", "0") or 0)
if SENTRY_DSN:
    from backend.sentry import sentry_init

    sentry_init(dsn=SENTRY_DSN, environment=SENTRY_ENVIRONMENT, traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE)
