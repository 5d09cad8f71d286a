import pytest
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.conftest import TANJIASHAN_TOWN, XIANGTAN_COUNTY, YISUHE_TOWN

pytestmark = pytest.mark.browser


def test_a_clerk_signs_in_in_chinese_and_drills_into_own_township_only(phone_page, live_server, make_user):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN, full_name="易俗河镇经办员")
    sign_in(phone_page, live_server, clerk.username)
    page = phone_page
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    assert "易俗河镇" in page.locator("main").inner_text()
    # Drill down from the workbench into one village of the township.
    village_link = page.locator("main table a").first
    village_name = village_link.inner_text()
    village_link.click()
    assert page.get_by_role("heading").first.inner_text().startswith(village_name)
    # A neighbouring township is not reachable by typing its address.
    response = page.goto(f"{live_server.url}/regions/{TANJIASHAN_TOWN}/")
    assert response.status == 404


def test_switching_to_english_and_back(desk_page, live_server, make_user):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    page = desk_page
    sign_in(page, live_server, finance.username)
    with page.expect_navigation():
        page.get_by_label("语言").select_option("en")
    expect(page.get_by_role("heading", name="Workbench")).to_be_visible()
    page.get_by_role("link", name="Subsidy catalog").click()
    expect(page.get_by_role("heading", name="Subsidy catalog")).to_be_visible()
    expect(page.get_by_text("Farmland fertility protection subsidy")).to_be_visible()
    with page.expect_navigation():
        page.get_by_label("Language").select_option("zh-hans")
    expect(page.get_by_role("heading", name="补贴项目目录")).to_be_visible()
    expect(page.get_by_text("耕地地力保护补贴").first).to_be_visible()


def test_county_finance_sees_its_users_and_the_scoped_admin(desk_page, live_server, make_user):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    own = make_user(Role.TOWNSHIP_CLERK, TANJIASHAN_TOWN, full_name="谭家山镇经办员")
    other = make_user(Role.TOWNSHIP_CLERK, "430382100000", full_name="清溪镇经办员")
    page = desk_page
    sign_in(page, live_server, finance.username)
    page.get_by_role("link", name="用户").first.click()
    body = page.locator("main").inner_text()
    assert own.username in body and other.username not in body
    page.get_by_role("link", name="系统管理").click()
    page.get_by_role("link", name="用户").first.click()
    admin_body = page.locator("#content").inner_text()
    assert own.username in admin_body and other.username not in admin_body
