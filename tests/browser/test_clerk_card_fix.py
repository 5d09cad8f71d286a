"""A township clerk fixes a failed payment's card and re-issues it, from the roster's failed payments, in the real
browser (CSP watched): the corrected card's masked number is what the page then shows."""

import pytest
from playwright.sync_api import expect

from disbursement import pii
from disbursement.accounts.roles import Role
from disbursement.payments.models import Payment, PaymentStatus
from tests.browser.conftest import sign_in
from tests.builders import failed_payments
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number

pytestmark = pytest.mark.browser


def test_a_clerk_fixes_the_card_of_a_failed_payment_and_sees_it_reissued(watched_page, live_server, make_user):
    people = {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }
    [closed] = failed_payments(people, ["R01"])
    page = watched_page
    sign_in(page, live_server, people["clerk"].username)
    page.goto(f"{live_server.url}/rosters/{closed.roster_id}/")
    page.locator(f"#failed-{closed.pk} a.card-fix-link").click()
    page.wait_for_url(f"{live_server.url}/payments/{closed.pk}/card/")
    expect(page.locator("#result-code")).to_have_attribute("data-code", "R01")
    expect(page.locator("#failed-card")).to_have_text(closed.card_masked)
    page.locator("#card-fix input[name=card_number]").fill("6228480000000000001")  # check digit wrong
    page.locator("#card-fix button[type=submit]").click()
    expect(page.locator("#error-card_number")).to_be_visible()
    assert not Payment.objects.filter(previous=closed).exists()
    new_number = card_number(bin_="621700")
    page.locator("#card-fix input[name=card_number]").fill(new_number)
    page.locator("#card-fix input[name=bank]").fill("中国建设银行")
    page.locator("#card-fix button[type=submit]").click()
    expect(page.locator("#reissue-card")).to_have_text(pii.mask_card(new_number))
    expect(page.locator("#payment-status")).to_have_attribute("data-status", PaymentStatus.REISSUED)
    assert new_number not in page.content()
    again = Payment.objects.get(previous=closed)
    assert again.status == PaymentStatus.PENDING and again.bank == "中国建设银行"
    # The person page shows the new card active and the re-issue among the payments.
    page.locator("#failed-payment a[href^='/registry/persons/']").click()
    expect(page.locator(f"#payment-{again.pk}")).to_have_attribute("data-status", PaymentStatus.PENDING)
    expect(page.locator("#person-card")).to_have_text(pii.mask_card(new_number))
    assert page.violations == []
