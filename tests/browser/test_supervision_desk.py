"""The supervisor's desk in chromium, as 湘潭市's city supervisor: the overview's figures and charts, the drill-down
city → county → township → village → roster → line ending at the payment trace, an XLSX export, and the fund
flow's picture — all without a Content-Security-Policy violation."""

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.conftest import XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.desk_builders import VILLAGE, desk_people, desk_year

pytestmark = pytest.mark.browser


@pytest.fixture
def watched_page(desk_page):
    desk_page.violations = []
    desk_page.on("console", lambda message: desk_page.violations.append(message.text)
                 if "Content Security Policy" in message.text else None)
    desk_page.on("pageerror", lambda error: desk_page.violations.append(str(error)))
    return desk_page


def test_a_city_supervisor_drills_from_the_overview_to_a_payment_trace(watched_page, live_server, make_user,
                                                                       settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    year = desk_year(desk_people(make_user))
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    page = watched_page
    sign_in(page, live_server, supervisor.username)

    expect(page).to_have_url(re.compile(r"/supervision/$"))
    expect(page.locator("#figure-paid_fen .figure-value")).to_have_text("1,000.00")
    expect(page.locator("#figure-failed .figure-value")).to_have_text("2")
    expect(page.locator('.chart[data-drawn="1"]')).to_have_count(2)  # by item, by month

    page.locator("#desk-drill").click()
    expect(page).to_have_url(re.compile(f"/supervision/regions/{XIANGTAN_CITY}/"))
    page.locator(f'#desk-children tr[data-code="{XIANGTAN_COUNTY}"] a').click()
    expect(page).to_have_url(re.compile(f"/supervision/regions/{XIANGTAN_COUNTY}/"))
    expect(page.locator('.chart[data-drawn="1"]').first).to_be_visible()

    with page.expect_download() as download:
        page.locator("#desk-export").click()
    sheet = load_workbook(io.BytesIO(open(download.value.path(), "rb").read())).active
    town = next(row for row in sheet.iter_rows() if row[0].value == YISUHE_TOWN)
    assert float(town[2].value) == 1000.0 and town[2].number_format == "#,##0.00"

    # Sorting by the paid column puts the township with money last, then first.
    header = page.locator("#desk-children thead th").nth(1)
    header.click()
    expect(page.locator("#desk-children tbody tr").last).to_have_attribute("data-code", YISUHE_TOWN)
    header.click()
    expect(page.locator("#desk-children tbody tr").first).to_have_attribute("data-code", YISUHE_TOWN)

    page.locator(f'#desk-children tr[data-code="{YISUHE_TOWN}"] a').click()
    page.locator(f'#desk-children tr[data-code="{VILLAGE}"] a').click()
    expect(page).to_have_url(re.compile(f"/supervision/regions/{VILLAGE}/"))
    page.locator("#desk-rosters a").first.click()
    expect(page).to_have_url(re.compile(f"/supervision/regions/{VILLAGE}/rosters/{year['roster'].pk}/"))
    page.locator(f"#desk-lines a[href='/payments/{year['reissue'].reference}/']").click()
    expect(page.get_by_role("heading", name=re.compile(year["reissue"].reference))).to_be_visible()

    page.goto(f"{live_server.url}/supervision/flow/?indicator={year['indicator'].pk}")
    expect(page.locator('#chart-flow[data-drawn="1"]')).to_be_visible()
    expect(page.locator('#flow-stages tr[data-stage="paid"]')).to_contain_text("1,000.00")
    assert page.violations == []
