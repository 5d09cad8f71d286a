import pytest
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN

pytestmark = pytest.mark.browser


def test_a_clerk_finds_the_countys_own_elderly_allowance_from_the_catalog(desk_page, live_server, make_user):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    page = desk_page
    sign_in(page, live_server, clerk.username)
    page.goto(f"{live_server.url}/catalog/?q=0801")
    page.locator('a[href="/catalog/0801/"]').first.click()
    county = page.locator(f'#standards tr[data-region="{XIANGTAN_COUNTY}"]')
    expect(county).to_contain_text("湘潭县")
    expect(county).to_contain_text("100.00")
    assert county.get_attribute("data-in-force") == "true"
    # Right-aligned like every figure.
    cell = county.locator("td.num")
    assert cell.evaluate("el => getComputedStyle(el).textAlign") == "right"
    # An item paid to an insurer is marked on the list.
    page.goto(f"{live_server.url}/catalog/?q=0119")
    expect(page.locator('[data-scope="not-card-paid"]').first).to_be_visible()
