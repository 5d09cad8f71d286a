"""A resident on a phone: looks up her payments, reads her village's publicity and paid lists, files a
complaint and follows it. No whole personal number is ever in a page's HTML."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.complaints.models import Complaint
from disbursement.complaints.services import complaint_answer
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from tests.builders import publicity_passed
from tests.conftest import XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.test_money_path import issue
from tests.factories import card_number, id_number, roster_csv, roster_row

pytestmark = pytest.mark.browser
VILLAGE = "430321100001"


@pytest.fixture
def resident(make_user):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    department = make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs")
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    issue(10_000_000)
    rows = [roster_row(name, id_number(), card_number(), VILLAGE, phone="13807311234")
            for name in ("李秀英", "王建国", "张明", "刘芳", "陈志强", "杨洋")]
    job = roster_import_submit(actor=None, content=roster_csv(rows), file_name="r.csv", item_code="0604",
                               township_code=YISUHE_TOWN, period="2026", enqueue=False)
    roster = import_job_execute(job_id=job.pk).roster
    publicity_passed(roster, clerk)
    roster_act(actor=clerk, roster_id=roster.pk, action="township_approve")
    roster_act(actor=department, roster_id=roster.pk, action="department_approve")
    roster_act(actor=finance, roster_id=roster.pk, action="finance_approve")
    for bank_file in bank_files_generate(actor=finance, roster_id=roster.pk):
        return_file_import(actor=finance, data=bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0, seed=1,
                                                             processed=date.today()))
    return {"rows": rows, "supervisor": make_user(Role.SUPERVISOR, XIANGTAN_CITY)}


def _no_whole_numbers(page, rows):
    html = page.content()
    for row in rows:
        assert row[1] not in html and row[2] not in html
    assert "13807311234" not in html


def test_a_resident_checks_payments_reads_the_village_list_complains_and_follows_it(phone_page, live_server,
                                                                                      resident):
    page, rows = phone_page, resident["rows"]
    name, id_no = rows[0][0], rows[0][1]
    page.goto(f"{live_server.url}/public/")
    expect(page.get_by_role("heading", name="我的补贴发放")).to_be_visible()
    page.get_by_label("姓名").fill(name)
    page.get_by_label("身份证号").fill(id_no)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#lookup-rows tr")).to_have_count(1)
    expect(page.locator("#lookup-rows")).to_contain_text("500.00")
    expect(page.locator("#lookup-person")).to_contain_text("李*英")
    assert id_no not in page.url and name not in page.url
    _no_whole_numbers(page, rows)
    # A wrong pair says only that nothing was found.
    page.get_by_label("姓名").fill("李秀")
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#lookup-message")).to_contain_text("没有查到")

    page.goto(f"{live_server.url}/public/villages/{VILLAGE}/")
    expect(page.locator("main")).to_contain_text("王*国")
    expect(page.locator("main")).to_contain_text("500.00")
    assert page.locator("svg").count() >= 1  # the QR code for the notice board
    _no_whole_numbers(page, rows)
    response = page.goto(f"{live_server.url}/public/villages/{VILLAGE}/print/")
    assert response.status == 200
    _no_whole_numbers(page, rows)

    page.goto(f"{live_server.url}/public/complaints/new/?region={VILLAGE}")
    page.get_by_label("发生了什么").fill("村里有人冒领补贴，请核查。")
    page.get_by_role("button", name="提交").click()
    tracking = page.locator("#tracking-number")
    expect(tracking).to_have_text(re.compile(r"^TS[0-9A-Z]{10}$"))
    number = tracking.inner_text()
    complaint = Complaint.objects.get(tracking_number=number)
    complaint_answer(actor=resident["supervisor"], complaint_id=complaint.pk, answer="已核查，情况属实，已追回。")

    page.goto(f"{live_server.url}/public/complaints/track/")
    page.get_by_label("查询编号").fill(number)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#track-status")).to_have_text("已答复")
    expect(page.locator("#track-answer")).to_have_text("已核查，情况属实，已追回。")
    assert number not in page.url
    _no_whole_numbers(page, rows)
