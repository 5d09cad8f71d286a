"""The public portal on a 390 × 844 phone: a resident's payments and a village's paid list are cards that fit
the screen (no sideways scroll), 「全部期间」 shows every period, and a village list is found by name from /public/."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from geo.models import Region
from tests.builders import issue, publicity_passed
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, id_number, roster_csv, roster_row

pytestmark = pytest.mark.browser
VILLAGE = "430321100001"
PERIODS = ["2025", "2026"]


@pytest.fixture
def paid_twice(make_user):
    """Three residents of one village, paid 500.00 yuan for each of two periods."""
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    department = make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs")
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    issue(10_000_000, number="湘财社〔2025〕1号", year=2025)
    issue(10_000_000)
    people = [(name, id_number(), card_number()) for name in ("李秀英", "王建国", "张明")]
    for period in PERIODS:
        rows = [roster_row(name, id_no, card, VILLAGE, remark=period) for name, id_no, card in people]
        job = roster_import_submit(actor=None, content=roster_csv(rows), file_name=f"{period}.csv", item_code="0604",
                                   township_code=YISUHE_TOWN, period=period, enqueue=False)
        job = import_job_execute(job_id=job.pk)
        assert job.roster is not None, (job.status, job.message, job.roster_id)
        roster = job.roster
        publicity_passed(roster, clerk)
        roster_act(actor=clerk, roster_id=roster.pk, action="township_approve")
        roster_act(actor=department, roster_id=roster.pk, action="department_approve")
        roster_act(actor=finance, roster_id=roster.pk, action="finance_approve")
        for bank_file in bank_files_generate(actor=finance, roster_id=roster.pk):
            return_file_import(actor=finance, data=bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0,
                                                                 seed=1, processed=timezone.localdate()))
    return people


def _fits_the_screen(page):
    widths = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide on a {widths[1]} px screen"


def _on_screen(locator):
    expect(locator).to_be_visible()
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_a_resident_sees_amount_and_status_of_each_payment_without_sideways_scroll(phone_page, live_server,
                                                                                   paid_twice):
    page = phone_page
    name, id_no, _ = paid_twice[0]
    page.goto(f"{live_server.url}/public/")
    page.locator("#lookup-name").fill(name)
    page.locator("#lookup-id").fill(id_no)
    page.locator("#lookup-form button[type=submit]").click()
    cards = page.locator("#lookup-rows tr")
    expect(cards).to_have_count(2)
    _fits_the_screen(page)
    for i in range(2):
        amount, status = cards.nth(i).locator("td").nth(2), cards.nth(i).locator("td").nth(3)
        _on_screen(amount)
        _on_screen(status)
        expect(amount).to_have_text("500.00")
        assert amount.get_attribute("data-label")  # labelled with its column, the card reads 「金额（元） 500.00」
        assert status.inner_text().strip()


def test_the_village_page_fits_and_all_periods_shows_every_period(phone_page, live_server, paid_twice):
    page = phone_page
    page.goto(f"{live_server.url}/public/villages/{VILLAGE}/")
    paid = page.locator("#paid tbody tr")
    expect(paid).to_have_count(3)  # the newest period first
    expect(page.locator("#paid tbody")).not_to_contain_text("2025")
    _fits_the_screen(page)
    _on_screen(paid.first.locator("td").nth(5))

    page.locator("select[name=period]").select_option("")
    page.locator("form.filters button[type=submit]").click()
    expect(paid).to_have_count(6)
    for period in PERIODS:
        expect(page.locator("#paid tbody")).to_contain_text(period)
    expect(page.locator("select[name=period]")).to_have_value("")
    _fits_the_screen(page)

    page.goto(f"{live_server.url}/public/statistics/")
    _fits_the_screen(page)


def test_a_village_list_is_found_by_name_from_the_public_page(phone_page, live_server):
    page = phone_page
    village = Region.objects.get(code=VILLAGE)
    page.goto(f"{live_server.url}/public/")
    page.locator("#village-q").fill(village.name)
    page.locator("#village-search-form button[type=submit]").click()
    link = page.locator(f"#village-results a[data-code='{VILLAGE}']")
    expect(link).to_contain_text(village.parent.name)
    _fits_the_screen(page)
    link.click()
    page.wait_for_url(f"{live_server.url}/public/villages/{VILLAGE}/")
    expect(page.locator("h1")).to_contain_text(village.name)
    page.locator("nav a[href='/public/villages/']").first.click()
    expect(page.locator("#village-search-form")).to_be_visible()
