"""Budget pages: issuing an indicator, one indicator's ledger and its adjustment, and the roster page's way
from a shortfall to the prefilled issue form — through the pages, with the services' permissions and errors."""

import re
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client

from disbursement.accounts.roles import Role
from disbursement.audit.models import AuditEvent
from disbursement.budget.models import Indicator, LedgerEntry, Movement
from disbursement.budget.selectors import indicators_with_balances
from disbursement.rosters.models import RosterStatus
from tests.builders import ITEM, accepted_roster, issue, through_department
from tests.conftest import CHANGSHA_COUNTY, XIANGTAN_COUNTY, YISUHE_TOWN

HUNAN = "430000000000"

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def finance(make_user):
    return make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)


def issue_form(**changes) -> dict:
    return {"document_number": "湘财社〔2026〕7号", "item": ITEM, "county": XIANGTAN_COUNTY, "fiscal_year": "2026",
            "funding_level": "provincial", "amount": "12,345.67", **changes}


def field_errors(response) -> set[str]:
    """The form fields that carry an error on the page (each error names its field)."""
    return set(re.findall(r'class="errors" data-field="(\w+)"', response.content.decode()))


def test_clerk_and_supervisor_are_refused_the_issue_form(make_user):
    for user in (make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN), make_user(Role.SUPERVISOR, XIANGTAN_COUNTY)):
        client = client_for(user)
        assert client.get("/budget/issue/").status_code == 403
        assert client.post("/budget/issue/", issue_form()).status_code == 403
        assert 'id="issue-indicator"' not in client.get("/budget/").content.decode()
    assert not Indicator.objects.exists()


def test_finance_issues_an_indicator_through_the_form_and_the_ledger_and_audit_hold_it(finance):
    client = client_for(finance)
    response = client.post("/budget/issue/", issue_form())
    indicator = Indicator.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/budget/{indicator.pk}/"
    entry = LedgerEntry.objects.get(indicator=indicator)
    assert (entry.movement, entry.amount_fen, entry.actor) == (Movement.ISSUE, 1_234_567, finance)
    assert AuditEvent.objects.filter(action="indicator.issue", actor=finance).count() == 1
    detail = client.get(f"/budget/{indicator.pk}/").content.decode()
    assert "12,345.67" in detail and 'data-movement="issue"' in detail


def test_issuing_the_same_document_twice_says_so_and_writes_once(finance):
    client = client_for(finance)
    client.post("/budget/issue/", issue_form())
    again = client.post("/budget/issue/", issue_form())
    assert again.status_code == 200
    assert field_errors(again) == {"document_number"}
    assert 'id="existing-indicator"' in again.content.decode()
    assert Indicator.objects.count() == 1 and LedgerEntry.objects.count() == 1


def test_bad_input_is_named_per_field_and_nothing_is_written(finance):
    client = client_for(finance)
    cases = [
        ({"amount": "12.345"}, {"amount"}),
        ({"amount": "-5"}, {"amount"}),
        ({"amount": "一万"}, {"amount"}),
        ({"item": "9999"}, {"item"}),
        ({"county": CHANGSHA_COUNTY}, {"county"}),  # not in finance's choices: another county
        ({"fiscal_year": "1999"}, {"fiscal_year"}),
        ({"funding_level": "village"}, {"funding_level"}),
        ({"document_number": "x"}, {"document_number"}),
    ]
    for changes, fields in cases:
        response = client.post("/budget/issue/", issue_form(**changes))
        assert response.status_code == 200, changes
        assert field_errors(response) == fields, changes
    assert not Indicator.objects.exists()


def test_other_county_sees_404_and_province_admin_issues_anywhere(make_user):
    indicator = issue(500_000)
    other = client_for(make_user(Role.COUNTY_FINANCE, CHANGSHA_COUNTY))
    assert other.get(f"/budget/{indicator.pk}/").status_code == 404
    assert other.post(f"/budget/{indicator.pk}/", {"direction": "raise", "amount": "1", "reason": "追加"}
                      ).status_code == 404
    admin = client_for(make_user(Role.PROVINCE_ADMIN, HUNAN))
    response = admin.post("/budget/issue/", issue_form(document_number="湘财社〔2026〕8号", county=CHANGSHA_COUNTY))
    assert response.status_code == 302
    assert Indicator.objects.get(document_number="湘财社〔2026〕8号").county_id == CHANGSHA_COUNTY


def test_adjusting_raises_and_lowers_through_the_service_and_refuses_below_committed(finance, make_user):
    indicator = issue(200_000)
    client = client_for(finance)
    assert client.post(f"/budget/{indicator.pk}/",
                       {"direction": "raise", "amount": "500", "reason": "追加文件"}).status_code == 302
    assert client.post(f"/budget/{indicator.pk}/",
                       {"direction": "lower", "amount": "200.50", "reason": "调减文件"}).status_code == 302
    movements = list(LedgerEntry.objects.filter(indicator=indicator).values_list("movement", "amount_fen"))
    assert movements == [(Movement.ISSUE, 200_000), (Movement.ADJUST_UP, 50_000), (Movement.ADJUST_DOWN, 20_050)]
    assert AuditEvent.objects.filter(action="indicator.adjust", actor=finance).count() == 2
    too_much = client.post(f"/budget/{indicator.pk}/", {"direction": "lower", "amount": "5000", "reason": "调减"})
    assert too_much.status_code == 200 and field_errors(too_much) == {"amount"}
    no_reason = client.post(f"/budget/{indicator.pk}/", {"direction": "raise", "amount": "1", "reason": ""})
    assert field_errors(no_reason) == {"reason"}
    assert indicators_with_balances().get(pk=indicator.pk).issued_fen == 229_950
    supervisor = client_for(make_user(Role.SUPERVISOR, XIANGTAN_COUNTY))
    assert 'id="indicator-adjust"' not in supervisor.get(f"/budget/{indicator.pk}/").content.decode()
    assert supervisor.post(f"/budget/{indicator.pk}/",
                           {"direction": "raise", "amount": "1", "reason": "x"}).status_code == 403
    # A township clerk does not reach the county's indicators at all.
    clerk = client_for(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    assert clerk.get(f"/budget/{indicator.pk}/").status_code == 404


def test_roster_short_of_money_links_to_the_prefilled_issue_form_and_the_indicator_lists_it(finance, make_user):
    people = {"clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
              "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
              "finance": finance}
    indicator = issue(100_000)  # 1,000.00 yuan for three lines of 500.00: one line, 500.00 yuan, is short
    roster = through_department(accepted_roster(3), people)
    client = client_for(finance)
    page = client.get(f"/rosters/{roster.pk}/").content.decode()
    assert 'data-fen="50000"' in page
    link = re.search(r'id="issue-missing" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    query = parse_qs(urlparse(link).query)
    assert query == {"item": [ITEM], "county": [XIANGTAN_COUNTY], "year": ["2026"], "amount": ["500.00"],
                     "next": [f"/rosters/{roster.pk}/"]}
    form = client.get(link).content.decode()
    assert 'value="500.00"' in form and f'value="{ITEM}" selected' in form
    response = client.post("/budget/issue/", issue_form(document_number="湘财社〔2026〕9号", amount="500.00",
                                                         next=f"/rosters/{roster.pk}/"))
    assert response["Location"] == f"/rosters/{roster.pk}/"
    assert 'id="budget-shortfall"' not in client.get(f"/rosters/{roster.pk}/").content.decode()
    client.post(f"/rosters/{roster.pk}/act/", {"action": "finance_approve"})
    roster.refresh_from_db()
    assert roster.status == RosterStatus.FINANCE_APPROVED
    funds = client.get(f"/budget/{indicator.pk}/").content.decode()
    assert f'href="/rosters/{roster.pk}/"' in funds and 'data-movement="reserve"' in funds
    # The department sees the roster but issues nothing: no link.
    dept_page = client_for(people["department"]).get(f"/rosters/{roster.pk}/").content.decode()
    assert 'id="issue-missing"' not in dept_page
