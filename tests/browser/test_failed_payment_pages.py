"""A township clerk handles failed payments and corrects a name by clicking, in the real browser."""

import pytest
from playwright.sync_api import expect

from disbursement import pii
from disbursement.accounts.roles import Role
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.models import Person
from tests.browser.conftest import sign_in
from tests.builders import failed_payments
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number

pytestmark = pytest.mark.browser


def test_a_clerk_registers_the_corrected_card_and_reissues_from_the_roster_page(desk_page, live_server, make_user):
    people = {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }
    lost, frozen = failed_payments(people, ["R06", "R03"])
    page = desk_page
    sign_in(page, live_server, people["clerk"].username)
    page.goto(f"{live_server.url}/rosters/{lost.roster_id}/")
    expect(page.locator(f"#failed-{frozen.pk} input[name=card_number]")).to_have_count(0)
    new_number = card_number(bin_="621700")
    page.locator(f"#failed-{lost.pk} input[name=card_number]").fill(new_number)
    page.locator(f"#failed-{lost.pk} button[value=reissue]").click()
    expect(page.locator(f"#failed-{lost.pk}")).to_have_count(0)
    assert new_number not in page.content()
    again = Payment.objects.get(previous=lost)
    assert again.status == PaymentStatus.PENDING and pii.decrypt(again.card.number_cipher) == new_number
    page.locator(f"#failed-{frozen.pk} button[value=reissue]").click()
    expect(page.locator(f"#failed-{frozen.pk}")).to_have_count(0)
    assert Payment.objects.get(previous=frozen).card_id == frozen.card_id


def test_a_clerk_corrects_a_name_on_the_person_page(desk_page, live_server, make_user):
    people = {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }
    [failed] = failed_payments(people, ["R02"])
    page = desk_page
    sign_in(page, live_server, people["clerk"].username)
    page.goto(f"{live_server.url}/rosters/{failed.roster_id}/")
    page.locator(f"#failed-{failed.pk} a[href='/registry/persons/{failed.person_id}/']").click()
    page.locator("#rename input[name=name]").fill("阿依古丽•买买提")
    page.locator("#rename input[name=reason]").fill("核对身份证")
    page.locator("#rename button").click()
    expect(page.locator("h1")).to_have_text("阿依古丽·买买提")
    assert Person.objects.get(pk=failed.person_id).name == "阿依古丽·买买提"
