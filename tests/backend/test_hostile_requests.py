"""Broken and hostile requests through the HTTP client: control characters anywhere in a request, nonsense
pagination, and uploads over the size limit. Each answers 4xx in the project's {code, message} shape."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from backend.api import api
from disbursement.accounts.roles import Role
from disbursement.rosters.models import ImportJob
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, id_number, roster_csv, roster_row

pytestmark = pytest.mark.django_db

HUGE_OFFSET = "9223372036854775808"


def assert_invalid(response):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and "控制字符" in body["message"]  # the UI default language


@pytest.mark.parametrize("query", ["a%00b", "a%07b", "%1b[31m"])
def test_a_control_character_in_a_query_parameter_is_a_400_for_anyone(query, make_user, api_client):
    assert_invalid(Client().get(f"/api/v1/catalog/items?q={query}"))
    finance = api_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    assert_invalid(finance.get(f"/api/v1/catalog/items?q={query}"))
    assert_invalid(finance.get(f"/api/v1/payments?reference={query}"))


def test_tabs_and_line_breaks_in_parameters_are_ordinary_text():
    assert Client().get("/api/v1/catalog/items?q=a%09b%0d%0a").status_code == 200


def test_the_public_lookup_with_a_nul_in_the_name_is_a_400():
    body = json.dumps({"name": "王\u0000小明", "id_number": id_number()})
    assert_invalid(Client().post("/api/v1/public/lookup", body, content_type="application/json"))


def test_a_json_body_with_a_control_character_deep_inside_is_a_400(make_user, api_client):
    finance = api_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    body = json.dumps({"action": "reject", "reason": "bad\u0000", "nested": [{"x": "\u001b"}]})
    assert_invalid(finance.post("/api/v1/rosters/1/actions", body, content_type="application/json"))


def test_the_import_form_fields_with_a_nul_are_refused_by_api_and_page(make_user, api_client, page_client):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    content = roster_csv([roster_row("张三", id_number(), card_number(), "430321100001")])
    fields = {"item": "0604", "township": YISUHE_TOWN, "period": "2026\x00"}
    response = api_client(clerk).post("/api/v1/rosters/imports", {"file": SimpleUploadedFile("r.csv", content),
                                                                  **fields})
    assert_invalid(response)
    page = page_client(clerk).post("/rosters/upload/", {"file": SimpleUploadedFile("r.csv", content), **fields})
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
    assert "控制字符".encode() in page.content
    assert ImportJob.objects.count() == 0
    listing = page_client(clerk).get("/rosters/?period=2026%00")
    assert listing.status_code == 400 and "控制字符".encode() in listing.content


def test_a_file_name_with_a_control_character_arrives_without_it(make_user, api_client):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    upload = SimpleUploadedFile("r\x00\x07.csv", roster_csv([]))
    response = api_client(clerk).post("/api/v1/rosters/imports", {"file": upload, "item": "0604",
                                                                  "township": YISUHE_TOWN, "period": "2026"})
    assert response.status_code == 202 and response.json()["file_name"] == "r.csv"


def _paginated_lists() -> list[str]:
    """Every GET operation of the API that takes limit/offset and no path parameter."""
    schema = api.get_openapi_schema()
    return sorted(
        url for url, operations in schema["paths"].items()
        if "{" not in url and "get" in operations
        and any(p["name"] == "offset" for p in operations["get"].get("parameters", []))
    )


def test_every_paginated_list_answers_422_to_a_huge_or_negative_offset_and_a_bad_limit(make_user, api_client):
    lists = _paginated_lists()
    assert "/api/v1/catalog/items" in lists and "/api/v1/rosters" in lists and len(lists) >= 5
    client = api_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    for url in lists:
        for query in (f"offset={HUGE_OFFSET}", "offset=-1", "limit=0", "limit=100000", f"limit={HUGE_OFFSET}"):
            response = client.get(f"{url}?{query}")
            assert response.status_code == 422, (url, query, response.content)
            body = response.json()
            assert body["code"] == "invalid" and body["errors"][0]["field"] in ("offset", "limit"), (url, body)
        assert client.get(f"{url}?offset=100000000&limit=1").status_code == 200, url


@pytest.fixture
def small_uploads(settings):
    settings.UPLOAD_MAX_BYTES = 4096


def _big_csv(size: int) -> bytes:
    rows = [roster_row("张三", id_number(), card_number(), "430321100001")]
    content = roster_csv(rows)
    return content + b"," * (size - len(content))


@pytest.mark.parametrize("size", [10_000, 2 * 1024 * 1024], ids=["counted-while-streaming", "content-length"])
def test_an_upload_over_the_limit_is_a_413_through_the_api(size, small_uploads, make_user, api_client):
    clerk = api_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    response = clerk.post("/api/v1/rosters/imports", {"file": SimpleUploadedFile("r.csv", _big_csv(size)),
                                                      "item": "0604", "township": YISUHE_TOWN, "period": "2026"})
    assert response.status_code == 413, response.content
    assert response.json() == {"code": "too_large", "message": "文件大于 4 KB，请按村拆分后上传。"}
    assert ImportJob.objects.count() == 0


def test_a_bank_return_over_the_limit_is_a_413(small_uploads, make_user, api_client):
    finance = api_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    response = finance.post("/api/v1/bank-files/returns", {"file": SimpleUploadedFile("r.txt", b"x" * 10_000)})
    assert response.status_code == 413 and response.json()["code"] == "too_large"


@pytest.mark.parametrize("size", [10_000, 2 * 1024 * 1024], ids=["counted-while-streaming", "content-length"])
def test_an_upload_over_the_limit_is_a_413_with_the_form_error_on_the_page(size, small_uploads, make_user,
                                                                           page_client):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    client = page_client(clerk)
    client.cookies["django_language"] = "en"
    response = client.post("/rosters/upload/", {"file": SimpleUploadedFile("r.csv", _big_csv(size)),
                                                "item": "0604", "township": YISUHE_TOWN, "period": "2026"})
    assert response.status_code == 413
    form = response.context["form"]
    assert form.errors == {"file": ["The file is larger than 4 KB; split it by village."]}
    assert ImportJob.objects.count() == 0


def test_an_upload_within_the_limit_is_accepted(make_user, api_client, settings):
    settings.UPLOAD_MAX_BYTES = 1024 * 1024
    clerk = api_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    response = clerk.post("/api/v1/rosters/imports", {"file": SimpleUploadedFile("r.csv", _big_csv(10_000)),
                                                      "item": "0604", "township": YISUHE_TOWN, "period": "2026"})
    assert response.status_code == 202, response.content


def test_a_json_body_over_the_memory_limit_is_a_413_in_the_error_shape(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"name": "王" * 2000, "id_number": id_number()})
    response = Client().post("/api/v1/public/lookup", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_a_broken_multipart_body_is_a_400_in_the_error_shape(make_user, api_client):
    clerk = api_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    response = clerk.generic("POST", "/api/v1/rosters/imports", b"--x\r\nbroken",
                             content_type="multipart/form-data; boundary=")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


def test_a_json_body_declaring_a_huge_length_is_refused_before_it_is_read(small_uploads):
    response = Client().post("/api/v1/public/lookup", "{}", content_type="application/json",
                             CONTENT_LENGTH=str(10 * 1024 * 1024))
    assert response.status_code == 413 and response.json()["code"] == "too_large"
