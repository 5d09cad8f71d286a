import re

import pytest

from disbursement.accounts.roles import Role
from tests.browser.conftest import sign_in
from tests.conftest import YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

pytestmark = pytest.mark.browser


@pytest.fixture
def celery_worker_thread():
    from celery.contrib.testing.worker import start_worker

    from backend.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30) as worker:
        yield worker


def test_a_clerk_uploads_a_roster_watches_it_checked_and_fixes_a_bad_one(phone_page, live_server, make_user,
                                                                          celery_worker_thread, tmp_path):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    page = phone_page
    sign_in(page, live_server, clerk.username)
    rows = [roster_row(han_name("周", i, "华"), id_number(), card_number(), "430321100001") for i in range(20)]
    bad = [list(row) for row in rows]
    bad[3][8] = "499.00"
    bad_file = tmp_path / "清册-有错.csv"
    bad_file.write_bytes(roster_csv(bad, "gbk"))
    good_file = tmp_path / "清册.csv"
    good_file.write_bytes(roster_csv(rows))

    for path, expect_ok in ((bad_file, False), (good_file, True)):
        page.get_by_role("navigation").get_by_role("link", name="发放清册").click()
        page.get_by_role("link", name="上传清册").click()
        page.get_by_label("补贴项目").select_option("0604")
        page.get_by_label("期间").fill("2026")
        page.get_by_label("清册文件（CSV 或 XLSX）").set_input_files(str(path))
        page.get_by_role("button", name="上传并校验").click()
        page.wait_for_url(re.compile(r"/imports/\d+/$"))
        status = page.locator("#job-status")
        status.wait_for()
        page.wait_for_function(
            "() => ['accepted','rejected','failed'].includes(document.querySelector('#job-status').dataset.status)",
            timeout=60_000,
        )
        if expect_ok:
            assert status.inner_text() == "已接收"
            page.get_by_role("link", name=re.compile("清册 \\d+，共 20 行")).click()
            assert "10,000.00" in page.locator("main").inner_text()
            assert "周*华" in page.locator("main").inner_text()
        else:
            assert status.inner_text() == "已退回"
            table = page.locator("#errors").inner_text()
            assert "4" in table and "金额不等于数量 × 标准" in table
            with page.expect_download() as download:
                page.locator("#report-link").click()
            assert download.value.suggested_filename.endswith("-errors.xlsx")
    html = page.content()
    for row in rows:
        assert row[1] not in html and row[2] not in html
