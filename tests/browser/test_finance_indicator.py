"""County finance meets a roster short of indicator money, issues the missing indicator from the roster page's
link, comes back and approves — all by clicking, no API."""

import re

import pytest
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.budget.models import Indicator
from disbursement.rosters.models import RosterStatus
from tests.browser.conftest import sign_in
from tests.builders import ITEM, accepted_roster, issue, through_department
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN

pytestmark = pytest.mark.browser


def test_finance_issues_the_missing_indicator_from_the_roster_and_approves(watched_page, live_server, make_user):
    people = {"clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
              "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
              "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)}
    issue(100_000)  # 1,000.00 yuan: two of the three 500.00 yuan lines
    roster = through_department(accepted_roster(3), people)
    page = watched_page
    sign_in(page, live_server, people["finance"].username)
    page.goto(f"{live_server.url}/rosters/{roster.pk}/")
    expect(page.locator("#budget-shortfall")).to_contain_text("500.00")
    page.locator("#issue-missing").click()
    expect(page).to_have_url(re.compile(r"/budget/issue/\?"))
    expect(page.locator("#id_item")).to_have_value(ITEM)
    expect(page.locator("#id_county")).to_have_value(XIANGTAN_COUNTY)
    expect(page.locator("#id_fiscal_year")).to_have_value("2026")
    expect(page.locator("#id_amount")).to_have_value("500.00")
    page.locator("#id_document_number").fill("湘财社〔2026〕21号")
    page.locator("#id_funding_level").select_option("provincial")
    page.locator("#indicator-issue button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/rosters/{roster.pk}/")
    expect(page.locator("#budget-shortfall")).to_have_count(0)
    page.get_by_role("button", name="财政审批并冻结指标").click()
    expect(page.locator("#roster-status")).to_have_text("财政已审批")
    indicator = Indicator.objects.get(document_number="湘财社〔2026〕21号")
    page.goto(f"{live_server.url}/budget/{indicator.pk}/")
    expect(page.locator("#indicator-ledger tr[data-movement=reserve]")).to_contain_text("500.00")
    expect(page.locator(f'#indicator-rosters a[href="/rosters/{roster.pk}/"]')).to_be_visible()
    roster.refresh_from_db()
    assert roster.status == RosterStatus.FINANCE_APPROVED
    assert page.violations == []


def test_an_indicator_page_fits_a_phone(phone_page, live_server, make_user):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    indicator = issue(123_456_789)
    sign_in(phone_page, live_server, finance.username)
    phone_page.goto(f"{live_server.url}/budget/{indicator.pk}/")
    expect(phone_page.locator("#indicator-balances")).to_contain_text("1,234,567.89")
    phone_page.locator("#id_amount").fill("100")
    phone_page.locator("#id_reason").fill("追加文件")
    phone_page.locator("#indicator-adjust button[type=submit]").click()
    expect(phone_page.locator("#indicator-ledger tr[data-movement=adjust_up]")).to_contain_text("100.00")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
