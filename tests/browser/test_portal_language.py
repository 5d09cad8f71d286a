"""The public portal speaks one language at a time: Chinese by default (even to an English browser), English
through its switch — including what the lookup's script writes into the page."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from tests.builders import ITEM, V1, issue, through_department
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

pytestmark = pytest.mark.browser
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture
def failed_payee(make_user):
    """A resident whose one payment the bank failed: the row with a status and advice."""
    people = {"clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
              "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
              "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)}
    issue(10_000_000)
    payee = {"name": han_name("孙", 7), "id_number": id_number()}
    job = roster_import_submit(actor=None, content=roster_csv([roster_row(payee["name"], payee["id_number"],
                                                                         card_number(), V1)]),
                               file_name="r.csv", item_code=ITEM, township_code=YISUHE_TOWN, period="2026",
                               enqueue=False)
    roster = through_department(import_job_execute(job_id=job.pk).roster, people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    for bank_file in bank_files_generate(actor=people["finance"], roster_id=roster.pk):
        return_file_import(actor=people["finance"], data=bank_simulate(
            bank_file.payment_file_bytes(), fail_rate=1.0, seed=1, processed=timezone.localdate()))
    return payee


def test_the_portal_shows_no_english_on_the_chinese_page(phone_page, live_server, failed_payee):
    page = phone_page
    page.goto(f"{live_server.url}/public/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    page.get_by_label("姓名").fill(failed_payee["name"])
    page.get_by_label("身份证号").fill(failed_payee["id_number"])
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#lookup-rows tr")).to_have_count(1)
    expect(page.locator("#lookup-rows")).to_contain_text("发放失败")
    for part in ("#lookup-rows", "#lookup-totals", "header.portal nav", "main h1"):
        assert not LATIN.search(page.locator(part).inner_text()), part
    # English through the switch, and the script's sentences follow it.
    page.locator("#portal-language a").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#lookup-name").fill(failed_payee["name"])
    page.locator("#lookup-id").fill(failed_payee["id_number"])
    page.locator("#lookup-form button[type=submit]").click()
    expect(page.locator("#lookup-rows")).to_contain_text("Payment failed")
    assert "发放" not in page.locator("#lookup-rows").inner_text()
    assert "：" not in page.locator("#lookup-totals").inner_text()
