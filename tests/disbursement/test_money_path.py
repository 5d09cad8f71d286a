"""Budget indicators, the roster workflow and its reservation, on PostgreSQL with real concurrency.
`verify_ledger` runs after every test here."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from disbursement.accounts.roles import Role
from disbursement.budget.models import LedgerEntry, Movement
from disbursement.budget.selectors import indicators_with_balances
from disbursement.budget.services import indicator_adjust
from disbursement.budget.verification import ledger_findings
from disbursement.errors import Conflict, PermissionDenied, ValidationFailed
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.rosters.models import RosterApproval, RosterStatus
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from tests.builders import ITEM, V1, accepted_roster, issue, publicity_passed, race_messages, through_department  # noqa: F401
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import roster_csv, roster_row


@pytest.fixture(autouse=True)
def ledger_holds():
    yield
    assert ledger_findings() == []


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }


def balances(indicator):
    row = indicators_with_balances().get(pk=indicator.pk)
    return {s: getattr(row, f"{s}_fen") for s in ("issued", "available", "reserved", "paid", "returned")}


@pytest.mark.django_db
def test_a_roster_walks_publicity_and_three_approvals_and_reserves_its_total(people):
    indicator = issue(1_000_000)
    roster = accepted_roster(3)
    today = timezone.localdate()
    publicised = roster_act(actor=people["clerk"], roster_id=roster.pk, action="start_publicity")
    assert publicised.status == RosterStatus.PUBLICITY
    assert publicised.publicity_end == today + timedelta(days=5)  # five full days after the publishing day
    with pytest.raises(Conflict, match="publicity runs until"):
        roster_act(actor=people["clerk"], roster_id=roster.pk, action="township_approve")
    roster_act(actor=people["clerk"], roster_id=roster.pk, action="township_approve",
               now=timezone.now() + timedelta(days=6))
    roster_act(actor=people["department"], roster_id=roster.pk, action="department_approve")
    approved = roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    assert approved.status == RosterStatus.FINANCE_APPROVED
    assert balances(indicator) == {"issued": 1_000_000, "available": 850_000, "reserved": 150_000, "paid": 0,
                                   "returned": 0}
    payments = Payment.objects.filter(roster=roster).order_by("reference")
    assert payments.count() == 3 and {p.status for p in payments} == {PaymentStatus.PENDING}
    assert all("*" in p.card_masked and p.payee_name.startswith("孙") for p in payments)
    steps = list(RosterApproval.objects.filter(roster=roster).values_list("action", "actor_id"))
    assert steps == [("start_publicity", people["clerk"].pk), ("township_approve", people["clerk"].pk),
                     ("department_approve", people["department"].pk), ("finance_approve", people["finance"].pk)]


@pytest.mark.django_db
def test_approving_twice_reserves_once(people):
    indicator = issue(1_000_000)
    roster = through_department(accepted_roster(2), people)
    for _ in range(2):
        roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    assert LedgerEntry.objects.filter(movement=Movement.RESERVE).count() == 1
    assert Payment.objects.filter(roster=roster).count() == 2
    assert balances(indicator)["reserved"] == 100_000


@pytest.mark.django_db
def test_no_budget_no_payment(people):
    indicator = issue(100_000)  # 1,000.00 yuan for a 1,500.00 yuan roster
    roster = through_department(accepted_roster(3), people)
    with pytest.raises(Conflict, match="lack 500.00 yuan"):
        roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    roster.refresh_from_db()
    assert roster.status == RosterStatus.DEPARTMENT_APPROVED
    assert balances(indicator)["reserved"] == 0 and not Payment.objects.exists()
    issue(50_000, number="湘财社〔2026〕2号")  # a second indicator tops it up; a line is never split
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    per_indicator = {}
    for payment in Payment.objects.select_related("indicator"):
        per_indicator[payment.indicator.document_number] = per_indicator.get(payment.indicator.document_number, 0) + 1
    assert per_indicator == {"湘财社〔2026〕1号": 2, "湘财社〔2026〕2号": 1}


@pytest.mark.django_db
def test_only_the_right_role_department_and_county_may_act(people, make_user):
    issue(1_000_000)
    roster = accepted_roster(1)
    with pytest.raises(PermissionDenied):
        roster_act(actor=people["finance"], roster_id=roster.pk, action="start_publicity")
    publicity_passed(roster, people["clerk"])
    roster_act(actor=people["clerk"], roster_id=roster.pk, action="township_approve")
    agriculture = make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="agriculture")
    with pytest.raises(PermissionDenied, match="another department"):
        roster_act(actor=agriculture, roster_id=roster.pk, action="department_approve")
    elsewhere = make_user(Role.COUNTY_DEPARTMENT, "430382000000", department="civil_affairs")
    from disbursement.errors import NotFound

    with pytest.raises(NotFound):
        roster_act(actor=elsewhere, roster_id=roster.pk, action="department_approve")


@pytest.mark.django_db
def test_returning_an_approved_roster_releases_its_budget_and_frees_its_people(people):
    indicator = issue(1_000_000)
    roster = through_department(accepted_roster(2), people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    with pytest.raises(ValidationFailed):
        roster_act(actor=people["finance"], roster_id=roster.pk, action="reject", reason=" ")
    returned = roster_act(actor=people["finance"], roster_id=roster.pk, action="reject", reason="标准有误")
    assert returned.status == RosterStatus.REJECTED and returned.rejected_reason == "标准有误"
    assert balances(indicator) == {"issued": 1_000_000, "available": 1_000_000, "reserved": 0, "paid": 0,
                                   "returned": 0}
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.CANCELLED}
    # The same people can be put on a corrected roster.
    lines = roster.lines.select_related("person", "card")
    from disbursement import pii

    rows = [roster_row(line.person.name, pii.decrypt(line.person.id_cipher), pii.decrypt(line.card.number_cipher),
                       V1, remark="更正") for line in lines]
    job = roster_import_submit(actor=None, content=roster_csv(rows), file_name="fixed.csv", item_code=ITEM,
                               township_code=YISUHE_TOWN, period="2026", enqueue=False)
    assert import_job_execute(job_id=job.pk).status == "accepted"


@pytest.mark.django_db
def test_indicator_adjustments_never_go_below_what_is_committed(people):
    indicator = issue(200_000)
    roster = through_department(accepted_roster(3), people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    with pytest.raises(Conflict):
        indicator_adjust(actor=people["finance"], indicator_id=indicator.pk, delta_fen=-60_000, reason="调减")
    indicator_adjust(actor=people["finance"], indicator_id=indicator.pk, delta_fen=-50_000, reason="调减")
    indicator_adjust(actor=people["finance"], indicator_id=indicator.pk, delta_fen=30_000, reason="追加")
    assert balances(indicator) == {"issued": 180_000, "available": 30_000, "reserved": 150_000, "paid": 0,
                                   "returned": 0}
    with pytest.raises(Conflict):
        issue(1, number=indicator.document_number)


@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_for_the_last_yuan_one_wins(reference_in_transactional_db, people):
    indicator = issue(150_000)  # enough for exactly one of two 1,500.00 yuan rosters
    first = through_department(accepted_roster(3), people)
    second = through_department(accepted_roster(3), people)
    outcomes = race_messages([
        lambda r=roster: roster_act(actor=people["finance"], roster_id=r.pk, action="finance_approve")
        for roster in (first, second)
    ])
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"]
    assert balances(indicator) == {"issued": 150_000, "available": 0, "reserved": 150_000, "paid": 0, "returned": 0}
    assert Payment.objects.count() == 3


@pytest.mark.django_db(transaction=True)
def test_the_same_approval_sent_twice_at_once_reserves_once(reference_in_transactional_db, people):
    indicator = issue(1_000_000)
    roster = through_department(accepted_roster(3), people)
    outcomes = race_messages([
        lambda: roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
        for _ in range(2)
    ])
    assert outcomes == ["ok", "ok"]
    assert LedgerEntry.objects.filter(movement=Movement.RESERVE).count() == 1
    assert Payment.objects.count() == 3
    assert balances(indicator)["reserved"] == 150_000


@pytest.mark.django_db
def test_verify_ledger_names_a_broken_invariant(people, capsys):
    issue(1_000_000)
    roster = through_department(accepted_roster(2), people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    call_command("verify_ledger")
    assert "ledger ok" in capsys.readouterr().out
    Payment.objects.filter(roster=roster).update(amount_fen=1)
    with pytest.raises(SystemExit) as exited:
        call_command("verify_ledger")
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert f"roster {roster.pk}" in err and "ledger reserved 100000 fen but payments 2 fen" in err
    assert "amount differs from its roster line" in err
    Payment.objects.filter(roster=roster).update(amount_fen=50_000)


@pytest.mark.django_db
def test_the_workflow_through_the_api_and_the_indicator_balances(people, api_client):
    finance = api_client(people["finance"])
    created = finance.post("/api/v1/indicators", {
        "document_number": "湘财社〔2026〕9号", "item": ITEM, "county": XIANGTAN_COUNTY, "fiscal_year": 2026,
        "funding_level": "provincial", "amount_yuan": "10000.00"}, content_type="application/json")
    assert created.status_code == 201, created.content
    assert created.json()["available_yuan"] == "10000.00"
    roster = accepted_roster(2)
    clerk = api_client(people["clerk"])
    state = clerk.get(f"/api/v1/rosters/{roster.pk}/workflow").json()
    assert state["next_actions"] == ["start_publicity", "reject"]
    started = clerk.post(f"/api/v1/rosters/{roster.pk}/actions", {"action": "start_publicity"},
                         content_type="application/json")
    assert started.json()["status"] == "publicity"
    # The window is owed in full; here the service is asked once it has passed (its clock, not the API's).
    roster_act(actor=people["clerk"], roster_id=roster.pk, action="township_approve",
               now=timezone.now() + timedelta(days=6))
    # The clerk cannot take the department's step; the error says why.
    refused = clerk.post(f"/api/v1/rosters/{roster.pk}/actions", {"action": "department_approve"},
                         content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "forbidden"
    api_client(people["department"]).post(f"/api/v1/rosters/{roster.pk}/actions", {"action": "department_approve"},
                                          content_type="application/json")
    approved = finance.post(f"/api/v1/rosters/{roster.pk}/actions", {"action": "finance_approve"},
                            content_type="application/json").json()
    assert approved["status"] == "finance_approved"
    assert [a["action"] for a in approved["history"]] == [
        "start_publicity", "township_approve", "department_approve", "finance_approve"]
    indicator = finance.get("/api/v1/indicators").json()["items"][0]
    assert (indicator["available_yuan"], indicator["reserved_yuan"]) == ("9000.00", "1000.00")
    lowered = finance.post(f"/api/v1/indicators/{indicator['id']}/adjustments",
                           {"delta_yuan": "-9000.01", "reason": "调减"}, content_type="application/json")
    assert lowered.status_code == 409


@pytest.mark.django_db
def test_the_roster_page_offers_only_the_users_next_step(people, page_client):
    issue(1_000_000)
    roster = accepted_roster(1)
    clerk_page = page_client(people["clerk"]).get(f"/rosters/{roster.pk}/").content.decode()
    assert 'value="start_publicity"' in clerk_page and 'value="finance_approve"' not in clerk_page
    finance_page = page_client(people["finance"]).get(f"/rosters/{roster.pk}/").content.decode()
    assert 'id="workflow"' not in finance_page
    response = page_client(people["clerk"]).post(f"/rosters/{roster.pk}/act/", {"action": "start_publicity"},
                                                 follow=True)
    assert "公示中" in response.content.decode()


@pytest.mark.django_db
def test_an_indicator_amount_of_a_trillion_yuan_or_more_is_refused_not_overflowed(people, api_client):
    response = api_client(people["finance"]).post("/api/v1/indicators", {
        "document_number": "湘财社〔2026〕huge号", "item": ITEM, "county": XIANGTAN_COUNTY, "fiscal_year": 2026,
        "funding_level": "provincial", "amount_yuan": "1e30"}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "amount_yuan"
