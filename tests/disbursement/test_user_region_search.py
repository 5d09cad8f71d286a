"""The admin's user form finds the user's region by a search (Django's admin autocomplete), limited to the
editor's subtree and to the levels a user may be bound to, instead of a 2,000-option drop-down."""

import pytest

from disbursement.accounts.roles import Role
from tests.conftest import CHANGSHA_COUNTY, XIANGTAN_COUNTY, YISUHE_TOWN

pytestmark = pytest.mark.django_db

SEARCH = "/admin/autocomplete/"
FIELD = {"app_label": "disbursement", "model_name": "user", "field_name": "region"}


def test_the_user_form_has_a_region_search_not_a_long_drop_down(make_user, page_client):
    page = page_client(make_user(Role.PROVINCE_ADMIN, "430000000000")).get("/admin/disbursement/user/add/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-ajax--url="/admin/autocomplete/"' in html
    assert html.count("<option") < 50


def test_county_finance_finds_only_townships_of_its_county(make_user, page_client):
    client = page_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    found = client.get(SEARCH, {**FIELD, "term": "易俗河"}).json()["results"]
    assert [row["id"] for row in found] == [YISUHE_TOWN]
    towns = client.get(SEARCH, {**FIELD, "term": "镇"}).json()["results"]
    assert towns and all(row["id"].startswith("430321") and row["id"].endswith("000") for row in towns)
    assert client.get(SEARCH, {**FIELD, "term": "长沙"}).json()["results"] == []


def test_the_provincial_administrator_searches_the_province_without_villages(make_user, page_client):
    client = page_client(make_user(Role.PROVINCE_ADMIN, "430000000000"))
    found = client.get(SEARCH, {**FIELD, "term": "长沙县"}).json()["results"]
    assert CHANGSHA_COUNTY in [row["id"] for row in found]
    villages = client.get(SEARCH, {**FIELD, "term": "社区"}).json()["results"]
    assert villages == []  # users are bound to a township or above


def test_roles_outside_the_admin_get_no_search(make_user, page_client):
    response = page_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)).get(SEARCH, {**FIELD, "term": "镇"})
    assert response.status_code in (302, 403)
