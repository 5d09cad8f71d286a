import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_redis(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_is_unreachable(client):
    with override_settings(REDIS_URL="redis://127.0.0.1:1/0"):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["redis"].startswith("error")
    assert response.json()["database"] == "ok"


def test_openapi_schema_is_at_its_stable_url(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/geo/regions/{code}", "/api/v1/catalog/items", "/api/v1/users", "/api/v1/auth/tokens"):
        assert path in paths
    assert client.get("/api/v1/docs").status_code == 200


def test_pages_are_in_simplified_chinese_by_default_and_english_on_request(client):
    chinese = client.get("/login/")
    assert chinese.status_code == 200
    assert '<html lang="zh-hans">' in chinese.content.decode()
    assert "登录" in chinese.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    english = client.get("/login/")
    assert '<html lang="en">' in english.content.decode()
    assert "Sign in" in english.content.decode()


def test_an_english_browser_still_gets_chinese_until_the_user_switches(client):
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert '<html lang="zh-hans">' in response.content.decode()
    assert response["Content-Language"] == "zh-hans"
