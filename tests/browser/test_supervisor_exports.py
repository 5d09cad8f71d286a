"""A supervisor filters payments in the page (status failed, one village, by the drill-down selects that submit
themselves) and downloads the filtered list as XLSX, in the real browser."""

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.builders import roster_returned
from tests.conftest import XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN

pytestmark = pytest.mark.browser

V1, V4 = "430321100001", "430321100004"


def test_a_supervisor_filters_failed_payments_of_a_village_and_downloads_them(desk_page, live_server, make_user,
                                                                              tmp_path):
    people = {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    payments = roster_returned(people, [(V1, "中国农业银行", "R06"), (V4, "中国农业银行", "R03"),
                                        (V4, "中国农业银行", None)])
    page = desk_page
    sign_in(page, live_server, supervisor.username)
    page.goto(f"{live_server.url}/payments/")
    expect(page.locator("#payment-list tbody tr[data-reference]")).to_have_count(3)
    page.locator("#filter-status").select_option("failed")
    page.wait_for_url("**status=failed**")
    for code in (XIANGTAN_COUNTY, YISUHE_TOWN, V4):
        page.locator("#filter-region").select_option(code)
        page.wait_for_url(f"**region={code}**")
    rows = page.locator("#payment-list tbody tr[data-reference]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-reference", payments[1].reference)
    expect(rows.first.locator("td.num")).to_have_text("500.00")
    with page.expect_download() as download_info:
        page.locator("#list-export").click()
    path = tmp_path / "payments.xlsx"
    download_info.value.save_as(path)
    sheet = load_workbook(path).active
    rows = list(sheet.iter_rows())
    assert len(rows) == 2 and rows[1][0].value == payments[1].reference
    assert rows[1][8].value == 500 and rows[1][8].number_format == "#,##0.00"
    assert rows[1][4].value == "富豪阁社区居委会" and rows[1][10].value.startswith("R03")
