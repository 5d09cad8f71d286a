"""Treasury pages in chromium: a city supervisor follows a red county from the monthly table through the
county × month grid to its days, sees its TR1 alert and the level history drawn, under the CSP; the tables fit a
phone. Statements go in through the import service and the alert comes from the treasury alert refresh."""

import calendar
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.alerts.models import Alert
from disbursement.treasury.alerting import treasury_alerts_refresh
from disbursement.treasury.tables import month_shift
from tests.browser.conftest import sign_in
from tests.conftest import XIANGTAN_CITY, XIANGTAN_COUNTY
from tests.disbursement.treasury_builders import IDLE, NORMAL, WARNING, closing_rows, runs, treasury_history

pytestmark = pytest.mark.browser

SHAOSHAN = "430382000000"


@pytest.fixture
def red_county():
    """Last month: 湘潭县 slides from normal through low (6 days) into warning (3 + 7 days) and stays there;
    韶山市 sits idle. Returns the month and 湘潭县's TR1 alert."""
    month = month_shift(timezone.localdate().replace(day=1), -1)
    days = calendar.monthrange(month.year, month.month)[1]
    treasury_history(
        closing_rows(XIANGTAN_COUNTY, month, runs((days - 21, NORMAL)) + list(range(190_000, 50_000, -10_000))
                     + runs((7, WARNING)))
        + closing_rows(SHAOSHAN, month, runs((days, IDLE))))
    treasury_alerts_refresh([XIANGTAN_COUNTY, SHAOSHAN])
    return month, Alert.objects.get(source="treasury", rule="TR1", region_id=XIANGTAN_COUNTY)


def test_a_city_supervisor_follows_a_red_county_to_its_days_and_its_alert(watched_page, live_server, make_user,
                                                                           red_county):
    month, alert = red_county
    page = watched_page
    sign_in(page, live_server, make_user(Role.SUPERVISOR, XIANGTAN_CITY).username)
    page.locator("header nav a[href='/treasury/']").click()

    row = page.locator(f"#treasury-months tr[data-region='{XIANGTAN_COUNTY}']")
    expect(page.locator("#table-month")).to_have_text(f"{month:%Y-%m}")
    expect(row.locator("[data-red-days]")).to_have_text("10")
    expect(row.locator("[data-yellow-days]")).to_have_text("6")
    expect(row.locator(".band-warning")).to_be_visible()
    expect(page.locator(f"#treasury-months tr[data-region='{SHAOSHAN}'] .band-idle")).to_be_visible()

    page.locator(".subnav a[href='/treasury/grid/']").click()
    cell = page.locator(f"#treasury-grid tr[data-region='{XIANGTAN_COUNTY}'] td[data-month='{month:%Y-%m}']")
    expect(cell).to_have_attribute("data-red", "10")
    expect(cell).to_have_class(re.compile(r"\bcell-warning\b"))
    cell.locator("a").click()

    expect(page).to_have_url(re.compile(rf"/treasury/regions/{XIANGTAN_COUNTY}/\?month={month:%Y-%m}$"))
    expect(page.locator("#treasury-region-days tr[data-band='warning']")).to_have_count(10)
    expect(page.locator("#treasury-alerts tr[data-rule='TR1']")).to_have_count(1)
    expect(page.locator("#treasury-history[data-drawn='1']")).to_be_visible()
    page.locator(f"#treasury-alerts a[href='/alerts/{alert.pk}/']").first.click()
    expect(page.locator("#alert-evidence")).to_contain_text("库款预警")
    assert page.violations == []


def test_the_treasury_tables_fit_a_phone(phone_page, live_server, make_user, red_county):
    page = phone_page
    sign_in(page, live_server, make_user(Role.SUPERVISOR, XIANGTAN_CITY).username)
    for path in ("/treasury/", "/treasury/grid/", f"/treasury/regions/{XIANGTAN_COUNTY}/", "/treasury/forecast/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator(".table-scroll").first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), path
