import re

import pytest
from playwright.sync_api import expect

from disbursement.accounts.roles import Role
from disbursement.alerts.models import Alert, AlertStatus
from disbursement.alerts.services import alerts_upsert
from tests.browser.conftest import sign_in
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.alert_builders import payment_finding, raise_alert, roster_with_payments

pytestmark = pytest.mark.browser


def action_form(page, action: str):
    # Located by the action it posts, not by its label: the page works the same in either language.
    return page.locator(f"form:has(input[name=action][value={action}])")


def test_a_supervisor_works_an_alert_on_a_real_payment_from_the_queue_to_closure(desk_page, live_server, make_user):
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_COUNTY)
    _roster, payments = roster_with_payments(
        clerk=make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        department=make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        finance=make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    payment = payments[0]
    alert_id = alerts_upsert(source="risk", rule="D1", severity="high",
                             findings=[payment_finding(payment)]).alert_ids[0]
    other = raise_alert(ref="99", rule="K6", severity="medium")

    page = desk_page
    sign_in(page, live_server, supervisor.username)
    page.goto(f"{live_server.url}/alerts/")
    expect(page.locator(f"#alert-queue a[href='/alerts/{other}/']").first).to_be_visible()
    page.locator("#alert-filters select[name=severity]").select_option("high")
    page.locator("#alert-filters button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"severity=high"))
    expect(page.locator(f"#alert-queue a[href='/alerts/{other}/']")).to_have_count(0)
    page.locator(f"#alert-queue a[href='/alerts/{alert_id}/']").first.click()

    expect(page.locator("#alert-evidence")).to_contain_text("民政殡葬")
    expect(page.locator(f"#alert-subjects a[href='/payments/{payment.reference}/']").first).to_be_visible()

    action_form(page, "verify").locator("button").click()
    confirm = action_form(page, "confirm")
    confirm.locator("input[name=finding]").fill("死亡后仍领取慰问金，属实")
    confirm.locator("button").click()
    rectify = action_form(page, "rectify")
    rectify.locator("input[value=recovery_order]").check()
    rectify.locator("input[name=recovery_due_yuan]").fill("500.00")
    rectify.locator("button").click()
    recover = action_form(page, "recover")
    recover.locator("input[name=amount_yuan]").fill("500")
    recover.locator("button").click()
    expect(page.locator("#alert-recovered")).to_have_text("500.00")
    action_form(page, "close").locator("button").click()
    expect(action_form(page, "close")).to_have_count(0)

    alert = Alert.objects.get(pk=alert_id)
    assert (alert.status, alert.recovered_fen, alert.recovery_due_fen) == (AlertStatus.CLOSED, 50_000, 50_000)
    page.locator(f"#alert-subjects a[href='/payments/{payment.reference}/']").first.click()
    expect(page.locator("h1")).to_contain_text(payment.reference)
