import re

import pytest
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.payments.models import BankFile
from disbursement.rosters.workflow import roster_act
from tests.browser.conftest import sign_in
from tests.builders import publicity_passed
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.test_money_path import accepted_roster, issue

pytestmark = pytest.mark.browser


def test_finance_approves_a_roster_and_generates_its_bank_file_by_clicking(desk_page, live_server, make_user):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    department = make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs")
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    issue(1_000_000)
    roster = accepted_roster(3)
    publicity_passed(roster, clerk)
    roster_act(actor=clerk, roster_id=roster.pk, action="township_approve")
    roster_act(actor=department, roster_id=roster.pk, action="department_approve")
    page = desk_page
    sign_in(page, live_server, finance.username)
    page.goto(f"{live_server.url}/rosters/{roster.pk}/")
    expect(page.locator("#roster-status")).to_have_text("主管部门已审核")
    page.get_by_role("button", name="财政审批并冻结指标").click()
    expect(page.locator("#roster-status")).to_have_text("财政已审批")
    page.get_by_role("button", name="生成代发文件").click()
    expect(page.locator("#roster-status")).to_have_text("已送银行")
    bank_file = BankFile.objects.get(roster=roster)
    with page.expect_download() as download:
        page.get_by_role("link", name=bank_file.file_id).click()
    assert download.value.suggested_filename == f"{bank_file.file_id}.csv"
    page.get_by_role("link", name="预算指标").click()
    row = page.locator("table tbody tr").first
    expect(row).to_contain_text("1,500.00")  # reserved
    expect(row).to_contain_text("8,500.00")  # available
    page.get_by_role("link", name="支付明细").first.click()
    page.locator("table a").first.click()
    expect(page.get_by_role("heading", name=re.compile("支付 P"))).to_be_visible()
    expect(page.locator("#trace-status")).to_have_attribute("data-status", "sent")
