"""Sentry set-up: errors from Django, Celery and Redis, with personal numbers scrubbed out."""

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration
from sentry_sdk.integrations.logging import LoggingIntegration
from sentry_sdk.integrations.redis import RedisIntegration
from sentry_sdk.scrubber import DEFAULT_DENYLIST

from backend.redaction import SENSITIVE_KEYS, redact

# Sentry's own list of secret-looking keys (password, token, authorization, cookie ...) plus ours. Its
# EventScrubber is switched off once data_collection is configured, so this scrubber does both jobs.
SCRUBBED_KEYS = SENSITIVE_KEYS | frozenset(key.lower() for key in DEFAULT_DENYLIST)


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    return redact(event, SCRUBBED_KEYS)


def scrub_breadcrumb(crumb: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    return redact(crumb, SCRUBBED_KEYS)


def sentry_init(*, dsn: str, environment: str, traces_sample_rate: float = 0.0, transport: Any = None) -> None:
    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration(), RedisIntegration(), LoggingIntegration()],
        # The successor of send_default_pii=False: no user details, cookies, bodies or SQL parameters.
        # Local variables and request bodies may hold a whole roster row; they never leave the server.
        data_collection={
            "user_info": False,
            "http_bodies": [],
            "stack_frame_variables": False,
            "database_query_data": False,
        },
        before_send=scrub_event,
        before_send_transaction=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        traces_sample_rate=traces_sample_rate,
        transport=transport,
    )
