"""Schemathesis over the whole OpenAPI schema, in-process through WSGI: once as county finance (bearer token),
once anonymously. Valid and invalid inputs generated from the schema must never get a 5xx, and every answer must
match what the schema documents (status and body). Bounded per operation (FUZZ_EXAMPLES) to stay near a minute.

Run it alone: make test PYTEST_ARGS="tests/backend/test_api_fuzz.py -q" (FUZZ_EXAMPLES=100 for a deeper run)."""

import os
import secrets

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from backend.wsgi import application
from disbursement.accounts.models import ApiToken, token_digest
from tests.conftest import XIANGTAN_COUNTY

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
BOUNDED = settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                   suppress_health_check=list(HealthCheck))

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture(autouse=True)
def connection_kept_across_requests():
    """Django closes the database connection at the end of each WSGI request, which would end the test's
    transaction; Django's own test client disconnects the same handler."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def finance_headers(make_user):
    raw = "oc_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=make_user("county_finance", XIANGTAN_COUNTY), name="fuzz", digest=token_digest(raw),
                            prefix=raw[:8])
    return {"Authorization": f"Bearer {raw}"}


@schema.parametrize()
@BOUNDED
def test_the_api_as_county_finance_never_answers_5xx_nor_off_schema(case, finance_headers):
    case.call_and_validate(headers=finance_headers, checks=CHECKS)


@schema.parametrize()
@BOUNDED
def test_the_api_anonymously_never_answers_5xx_nor_off_schema(case):
    case.call_and_validate(checks=CHECKS)
