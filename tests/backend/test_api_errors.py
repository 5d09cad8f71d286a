"""Every API error has one shape and is documented: the OpenAPI schema lists the error statuses of each
operation, anonymous calls to protected operations get 401, and ninja's own refusals (a body that is not JSON,
a session call without its CSRF token) answer in the same {code, message} shape."""

import re

import pytest
from django.test import Client

from tests.conftest import XIANGTAN_COUNTY

pytestmark = pytest.mark.django_db

PUBLIC = {
    ("post", "/api/v1/auth/tokens"),
    ("get", "/api/v1/geo/regions"), ("get", "/api/v1/geo/regions/{code}"),
    ("get", "/api/v1/geo/regions/{code}/children"),
    ("get", "/api/v1/catalog/categories"), ("get", "/api/v1/catalog/items"), ("get", "/api/v1/catalog/items/{code}"),
    ("get", "/api/v1/catalog/items/{code}/standards"),
    ("post", "/api/v1/public/lookup"), ("get", "/api/v1/public/feed"),
    ("post", "/api/v1/public/complaints"), ("post", "/api/v1/public/complaints/track"),
}


@pytest.fixture(scope="module")
def schema():
    from backend.api import api

    return api.get_openapi_schema()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield method, path, operation


def test_every_operation_documents_its_error_statuses_with_the_error_schema(schema):
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"code", "message"}
    for method, path, operation in _operations(schema):
        documented = operation["responses"]
        for status in ("400", "403", "404", "409", "422", "429", "503"):
            assert status in documented, (method, path, status)
        expected_401 = (method, path) not in PUBLIC
        assert ("401" in documented) == expected_401, (method, path)
        for status in ("403", "503"):
            assert documented[status]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"}


def test_only_the_portal_catalog_regions_and_token_exchange_are_public(schema):
    public = {(method, path) for method, path, operation in _operations(schema) if not operation.get("security")}
    assert public == PUBLIC


def test_anonymous_calls_to_every_protected_operation_get_401(schema):
    client = Client()
    for method, path, _operation in _operations(schema):
        if (method, path) in PUBLIC:
            continue
        url = re.sub(r"\{[^}]+\}", "1", path)
        response = getattr(client, method)(url, content_type="application/json")
        assert response.status_code == 401, (method, path, response.status_code)
        assert response.json()["code"] == "unauthenticated"


def test_a_body_that_is_not_json_answers_400_in_the_error_shape():
    response = Client().post("/api/v1/auth/tokens", data="{not json", content_type="application/json")
    assert response.status_code == 400
    # In the UI's default language, Chinese.
    assert response.json() == {"code": "malformed", "message": "无法读取请求内容，请发送有效的 JSON。"}


def test_a_session_call_without_its_csrf_token_answers_403_in_the_error_shape(make_user):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(make_user("county_finance", XIANGTAN_COUNTY))
    response = client.patch("/api/v1/users/1", {"is_active": False}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_failed"
    assert set(response.json()) == {"code", "message"}


def test_an_unknown_object_answers_404_in_the_error_shape():
    response = Client().get("/api/v1/catalog/items/9999")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
