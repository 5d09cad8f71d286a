"""Every page runs under a Content-Security-Policy without inline script or style: the pages with behaviour
(language switch, import progress, the portal's lookup, complaint and tracking forms, the print sheet, the API
docs) still work in chromium, and the browser reports no violation."""

import pytest
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.rosters.services import roster_import_submit
from tests.browser.conftest import sign_in
from tests.conftest import YISUHE_TOWN
from tests.factories import card_number, id_number, roster_csv, roster_row

pytestmark = pytest.mark.browser


def test_staff_pages_switch_language_and_follow_an_import_without_a_csp_violation(watched_page, live_server,
                                                                                   make_user):
    page = watched_page
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    job = roster_import_submit(actor=clerk, content=roster_csv([roster_row("李明", id_number(), card_number(),
                                                                           "430321100001")]),
                               file_name="r.csv", item_code="0604", township_code=YISUHE_TOWN, period="2026",
                               enqueue=False)
    sign_in(page, live_server, clerk.username)
    response = page.goto(f"{live_server.url}/rosters/upload/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy

    page.locator("select[name=language]").select_option("en")  # site.js submits the form on change
    expect(page.get_by_role("link", name="Rosters", exact=True)).to_be_visible()

    with page.expect_response(lambda r: f"/api/v1/rosters/imports/{job.pk}" in r.url) as polled:
        page.goto(f"{live_server.url}/imports/{job.pk}/")  # site.js polls the job while it is queued
    assert polled.value.status == 200
    assert page.violations == []


def test_portal_forms_and_the_print_sheet_work_without_a_csp_violation(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server.url}/public/")
    page.locator("#lookup-name").fill("王小明")
    page.locator("#lookup-id").fill(id_number())
    page.locator("#lookup-form button[type=submit]").click()
    expect(page.locator("#lookup-message")).not_to_be_empty()  # portal.js answered from the API

    page.goto(f"{live_server.url}/public/complaints/track/")
    page.locator("#track-number").fill("TS-NOT-THERE")
    page.locator("#track-form button[type=submit]").click()
    expect(page.locator("#track-message")).not_to_be_empty()

    page.goto(f"{live_server.url}/public/complaints/new/?region=430321100001")
    expect(page.locator("#complaint-form")).to_be_visible()
    page.goto(f"{live_server.url}/public/villages/430321100001/print/")
    assert page.violations == []


def test_the_api_docs_render_from_static_files_without_a_csp_violation(watched_page, live_server):
    page = watched_page
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("One-card subsidy system API")
    expect(page.locator(".opblock").first).to_be_visible()
    page.goto(f"{live_server.url}/admin/login/")
    expect(page.locator("#id_username")).to_be_visible()
    assert page.violations == []
