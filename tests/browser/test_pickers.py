"""The pickers in the browser: a subsidy item found by typing part of its name, a region chosen by a cascade
city → county → township → village over the geo API. No CSP violation and no script error on the way."""

import pytest
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.complaints.models import Complaint
from tests.browser.conftest import sign_in
from tests.conftest import YISUHE_TOWN

pytestmark = pytest.mark.browser

VILLAGE = "430321100004"  # 富豪阁社区居委会, in 易俗河镇


def test_a_clerk_finds_the_item_by_typing_part_of_its_name(watched_page, live_server, make_user):
    page = watched_page
    sign_in(page, live_server, make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN).username)
    page.goto(f"{live_server.url}/rosters/upload/")
    search = page.locator("#id_item-search")
    search.fill("低保")
    listbox = page.locator("#id_item-list")
    expect(listbox).to_be_visible()
    # Grouped by category; only items paid onto the card (1406 is paid to the insurer, so it takes no roster).
    expect(listbox.locator(".picker-group").first).to_be_visible()
    expect(listbox.locator("[role=option][data-value='0407']")).to_be_visible()
    assert listbox.locator("[role=option][data-value='1406']").count() == 0
    assert all("低保" in text for text in listbox.locator("[role=option]").all_inner_texts())
    listbox.locator("[role=option][data-value='0407']").click()
    assert page.locator("#id_item").input_value() == "0407"
    expect(listbox).to_be_hidden()
    expect(search).to_have_value("0407 城市低保重点对象分类施保金")
    # By code, and with the keyboard: the one match is taken with Enter, which does not submit the form.
    search.fill("0603")
    search.press("Enter")
    assert page.locator("#id_item").input_value() == "0603"
    assert page.url.endswith("/rosters/upload/")
    assert page.violations == []


def test_the_provincial_administrator_reaches_a_township_through_the_cascade(watched_page, live_server, make_user):
    page = watched_page
    sign_in(page, live_server, make_user(Role.PROVINCE_ADMIN, "430000000000").username)
    page.goto(f"{live_server.url}/rosters/upload/")
    page.locator("#id_township-city").select_option(label="湘潭市")
    page.locator("#id_township-county").select_option(label="湘潭县")
    page.locator("#id_township").select_option(label="易俗河镇")
    assert page.locator("#id_township").input_value() == YISUHE_TOWN
    # The township list holds only the chosen county's townships, not the province's two thousand.
    assert page.locator("#id_township option").count() < 40
    assert page.violations == []


def test_a_resident_picks_a_village_by_cascade_and_files_a_complaint(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server.url}/public/complaints/new/")
    expect(page.locator("#complaint-region")).to_be_hidden()  # no 12-digit code to type
    page.locator("#complaint-region-city").select_option(label="湘潭市")
    page.locator("#complaint-region-county").select_option(label="湘潭县")
    page.locator("#complaint-region-township").select_option(label="易俗河镇")
    page.locator("#complaint-region-village").select_option(label="富豪阁社区居委会")
    page.locator("#complaint-subject").fill("村里的耕地地力保护补贴今年还没有发")
    page.locator("#complaint-form button[type=submit]").click()
    expect(page.locator("#tracking-number")).to_be_visible()
    number = page.locator("#tracking-number").inner_text()
    assert Complaint.objects.get(tracking_number=number).region_id == VILLAGE
    assert page.violations == []


def test_the_admin_finds_a_users_region_by_search(watched_page, live_server, make_user):
    page = watched_page
    sign_in(page, live_server, make_user(Role.PROVINCE_ADMIN, "430000000000").username)
    page.goto(f"{live_server.url}/admin/disbursement/user/add/")
    page.locator("#id_region + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill("易俗河")
    page.locator(".select2-results__option", has_text=YISUHE_TOWN).click()
    assert page.locator("#id_region").input_value() == YISUHE_TOWN
    assert page.violations == []
