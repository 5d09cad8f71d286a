"""The pre-payment hold (事前拦截): a line with an open high-severity alert gets no money until the alert is
dismissed or the line is voided; and the "stopped before payment" figures. verify_ledger runs after every test.

Alerts are raised with alerts_upsert as a scan would; dismissing one sets Alert.status directly (the lifecycle
services are built in another branch)."""

from datetime import date

import pytest

from disbursement.accounts.roles import Role
from disbursement.alerts.models import AlertStatus, Severity
from disbursement.audit.models import AuditEvent
from disbursement.banking import formats
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.budget.models import LedgerEntry, Movement
from disbursement.budget.selectors import indicators_with_balances
from disbursement.budget.verification import ledger_findings
from disbursement.errors import Conflict, PermissionDenied, ValidationFailed
from disbursement.payments.holds import lines_held, payment_hold_void
from disbursement.payments.models import BankFile, Payment, PaymentStatus
from disbursement.payments.selectors import payments_stopped
from disbursement.rosters.models import RosterStatus
from disbursement.rosters.workflow import roster_act
from tests.conftest import QINGXI_TOWN, SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.hold_builders import (
    alert_status_set,
    budget_issue,
    line_alert_raise,
    race,
    roster_accepted,
    roster_line,
    roster_through_department,
)

pytestmark = pytest.mark.django_db


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


def finance_approve(people, roster):
    return roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")


def statuses(roster) -> dict[int, str]:
    return dict(Payment.objects.filter(roster=roster).exclude(status=PaymentStatus.REISSUED)
                .values_list("line__row_number", "status"))


def file_references(bank_file) -> list[str]:
    _header, rows = formats.payment_file_parse(bank_file.payment_file_bytes())
    return list(rows["reference"])


def all_paid(people, bank_file):
    answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=0, seed=1, processed=date.today())
    return return_file_import(actor=people["finance"], data=answer)


def reserved_fen(indicator) -> int:
    return indicators_with_balances().get(pk=indicator.pk).reserved_fen


def test_a_line_with_an_open_high_alert_is_held_at_approval_and_left_out_of_the_bank_file(people):
    indicator = budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(3), people)
    alert = line_alert_raise(roster_line(roster, 2))
    finance_approve(people, roster)
    assert statuses(roster) == {1: PaymentStatus.PENDING, 2: PaymentStatus.HELD, 3: PaymentStatus.PENDING}
    assert reserved_fen(indicator) == 150_000  # the held line's money stays reserved, not paid, not released
    [bank_file] = bank_files_generate(actor=people["finance"], roster_id=roster.pk)
    held = Payment.objects.get(roster=roster, status=PaymentStatus.HELD)
    assert bank_file.record_count == 2 and held.reference not in file_references(bank_file)
    all_paid(people, bank_file)
    roster.refresh_from_db()
    assert roster.status == RosterStatus.SENT  # a held line is still owed: the roster is not settled
    assert reserved_fen(indicator) == 50_000
    assert lines_held(roster_id=roster.pk) == {held.line_id}
    assert alert.status == AlertStatus.NEW


def test_the_approver_sees_which_lines_are_held_and_why(people, api_client, page_client):
    budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(3), people)
    alert = line_alert_raise(roster_line(roster, 3), summary="死亡后仍在册：孙2 2025-11-14 死亡（民政殡葬）")
    response = api_client(people["finance"]).post(f"/api/v1/rosters/{roster.pk}/actions",
                                                  {"action": "finance_approve"}, content_type="application/json")
    assert response.status_code == 200
    [held] = response.json()["held_lines"]
    assert (held["row"], held["alert_id"], held["rule"], held["amount_yuan"]) == (3, alert.pk, "D1", "500.00")
    assert held["summary"].startswith("死亡后仍在册") and held["alert_url"] == f"/alerts/{alert.pk}/"
    page = page_client(people["finance"]).get(f"/rosters/{roster.pk}/").content.decode()
    assert 'id="held-lines"' in page and f'href="/alerts/{alert.pk}/"' in page and "死亡后仍在册" in page


def test_medium_and_dismissed_alerts_hold_nothing(people):
    budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(3), people)
    line_alert_raise(roster_line(roster, 1), rule="C1", severity=Severity.MEDIUM)
    dismissed = line_alert_raise(roster_line(roster, 2))
    alert_status_set(dismissed, AlertStatus.DISMISSED)
    finance_approve(people, roster)
    assert set(statuses(roster).values()) == {PaymentStatus.PENDING}


def test_dismissing_the_alert_sends_the_held_line_in_a_follow_up_file(people):
    indicator = budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(3), people)
    alert = line_alert_raise(roster_line(roster, 2))
    finance_approve(people, roster)
    [first] = bank_files_generate(actor=people["finance"], roster_id=roster.pk)
    all_paid(people, first)
    assert bank_files_generate(actor=people["finance"], roster_id=roster.pk) == []  # still held: nothing to send
    alert_status_set(alert, AlertStatus.DISMISSED)
    [follow_up] = bank_files_generate(actor=people["finance"], roster_id=roster.pk)
    released = Payment.objects.get(line=roster_line(roster, 2))
    assert (follow_up.sequence, follow_up.record_count) == (2, 1)
    assert AuditEvent.objects.filter(action="roster.holds", detail__released=1).count() == 1
    assert file_references(follow_up) == [released.reference] and released.status == PaymentStatus.SENT
    all_paid(people, follow_up)
    roster.refresh_from_db()
    assert roster.status == RosterStatus.SETTLED
    assert reserved_fen(indicator) == 0
    assert payments_stopped(actor=people["finance"])["lines"] == 0  # released after dismissal: not stopped


def test_a_line_that_gained_an_alert_after_approval_is_held_at_bank_file_generation(people):
    budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(3), people)
    finance_approve(people, roster)
    alert = line_alert_raise(roster_line(roster, 1))
    [bank_file] = bank_files_generate(actor=people["finance"], roster_id=roster.pk)
    assert statuses(roster)[1] == PaymentStatus.HELD and bank_file.record_count == 2
    all_paid(people, bank_file)
    # Confirmed as irregular: still open, still held.
    alert_status_set(alert, AlertStatus.CONFIRMED)
    assert bank_files_generate(actor=people["finance"], roster_id=roster.pk) == []
    assert statuses(roster)[1] == PaymentStatus.HELD


def test_voiding_a_held_line_releases_its_money_and_settles_the_roster(people):
    indicator = budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(3), people)
    line_alert_raise(roster_line(roster, 2))
    finance_approve(people, roster)
    [bank_file] = bank_files_generate(actor=people["finance"], roster_id=roster.pk)
    all_paid(people, bank_file)
    held = Payment.objects.get(roster=roster, status=PaymentStatus.HELD)
    with pytest.raises(ValidationFailed):
        payment_hold_void(actor=people["clerk"], payment_id=held.pk, reason=" ")
    for _ in range(2):  # voiding twice releases once
        voided = payment_hold_void(actor=people["clerk"], payment_id=held.pk, reason="核实：本人已死亡")
    assert voided.status == PaymentStatus.CANCELLED and roster_line(roster, 2).is_void
    assert LedgerEntry.objects.filter(movement=Movement.RELEASE, reference=held.reference).count() == 1
    balances = indicators_with_balances().get(pk=indicator.pk)
    assert (balances.reserved_fen, balances.paid_fen, balances.available_fen) == (0, 100_000, 900_000)
    roster.refresh_from_db()
    assert roster.status == RosterStatus.SETTLED
    assert BankFile.objects.filter(roster=roster).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_voids_of_one_held_line_at_once_release_its_money_once(reference_in_transactional_db, people):
    indicator = budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(2), people)
    line_alert_raise(roster_line(roster, 1))
    finance_approve(people, roster)
    held = Payment.objects.get(roster=roster, status=PaymentStatus.HELD)
    outcomes = race([lambda actor=actor: payment_hold_void(actor=actor, payment_id=held.pk, reason="核实属实")
                     for actor in (people["clerk"], people["finance"])])
    assert outcomes == ["ok", "ok"]
    assert LedgerEntry.objects.filter(movement=Movement.RELEASE).count() == 1
    assert reserved_fen(indicator) == 50_000


@pytest.mark.django_db(transaction=True)
def test_generating_files_twice_at_once_after_a_dismissal_sends_the_released_line_once(
        reference_in_transactional_db, people):
    budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(2), people)
    alert = line_alert_raise(roster_line(roster, 1))
    finance_approve(people, roster)
    bank_files_generate(actor=people["finance"], roster_id=roster.pk)
    alert_status_set(alert, AlertStatus.DISMISSED)
    outcomes = race([lambda: bank_files_generate(actor=people["finance"], roster_id=roster.pk) for _ in range(2)])
    assert outcomes == ["ok", "ok"]
    assert sorted(BankFile.objects.filter(roster=roster).values_list("sequence", "record_count")) == [(1, 1), (2, 1)]


def test_only_a_held_payment_in_reach_may_be_voided_by_clerk_or_finance(people, make_user):
    budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(2), people)
    line_alert_raise(roster_line(roster, 1))
    finance_approve(people, roster)
    held = Payment.objects.get(roster=roster, status=PaymentStatus.HELD)
    pending = Payment.objects.get(roster=roster, status=PaymentStatus.PENDING)
    with pytest.raises(PermissionDenied):
        payment_hold_void(actor=make_user(Role.SUPERVISOR, XIANGTAN_COUNTY), payment_id=held.pk, reason="x")
    with pytest.raises(Conflict):
        payment_hold_void(actor=people["finance"], payment_id=pending.pk, reason="x")
    response_page = payment_hold_void(actor=people["finance"], payment_id=held.pk, reason="核实属实")
    assert response_page.status == PaymentStatus.CANCELLED


def test_returning_an_approved_roster_cancels_its_held_payments_too(people):
    indicator = budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(3), people)
    line_alert_raise(roster_line(roster, 2))
    finance_approve(people, roster)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="reject", reason="重新核实")
    assert set(statuses(roster).values()) == {PaymentStatus.CANCELLED}
    assert reserved_fen(indicator) == 0


def test_voiding_through_the_api_answers_4xx_for_a_payment_not_held(people, api_client):
    budget_issue(1_000_000)
    roster = roster_through_department(roster_accepted(2), people)
    line_alert_raise(roster_line(roster, 2))
    finance_approve(people, roster)
    client = api_client(people["clerk"])
    pending = Payment.objects.get(roster=roster, status=PaymentStatus.PENDING)
    refused = client.post(f"/api/v1/payments/{pending.pk}/void", {"reason": "x"}, content_type="application/json")
    assert refused.status_code == 409 and refused.json()["code"]
    held = Payment.objects.get(roster=roster, status=PaymentStatus.HELD)
    voided = client.post(f"/api/v1/payments/{held.pk}/void", {"reason": "本人已死亡"}, content_type="application/json")
    assert voided.status_code == 200 and voided.json()["status"] == PaymentStatus.CANCELLED


@pytest.fixture
def two_counties(people, make_user):
    """Yisuhe (湘潭县) holds three lines under D1 (one later voided) and one under K1 as well; Qingxi (韶山市)
    holds one line under D1."""
    budget_issue(10_000_000)
    roster = roster_through_department(roster_accepted(5), people)
    for row in (1, 2, 3):
        line_alert_raise(roster_line(roster, row))
    line_alert_raise(roster_line(roster, 3), rule="K1", summary="一卡多人")
    line_alert_raise(roster_line(roster, 5), rule="C1", severity=Severity.MEDIUM)
    finance_approve(people, roster)
    voided = Payment.objects.get(line=roster_line(roster, 1))
    payment_hold_void(actor=people["finance"], payment_id=voided.pk, reason="核实属实")
    shaoshan = {"clerk": make_user(Role.TOWNSHIP_CLERK, QINGXI_TOWN),
                "department": make_user(Role.COUNTY_DEPARTMENT, SHAOSHAN_CITY, department="civil_affairs"),
                "finance": make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY)}
    budget_issue(10_000_000, county=SHAOSHAN_CITY, number="韶财社〔2026〕1号")
    other = roster_through_department(roster_accepted(2, township=QINGXI_TOWN, village="430382100001"), shaoshan)
    line_alert_raise(roster_line(other, 2))
    finance_approve(shaoshan, other)
    return roster, other


def test_stopped_before_payment_counts_held_and_voided_lines_per_county_and_rule(two_counties, make_user):
    report = payments_stopped(actor=make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    assert [(r["county"], r["rule"], r["lines"], r["amount_fen"]) for r in report["rows"]] == [
        (XIANGTAN_COUNTY, "D1", 3, 150_000), (XIANGTAN_COUNTY, "K1", 1, 50_000), (SHAOSHAN_CITY, "D1", 1, 50_000)]
    assert [(c["county"], c["lines"], c["amount_fen"]) for c in report["counties"]] == [
        (XIANGTAN_COUNTY, 3, 150_000), (SHAOSHAN_CITY, 1, 50_000)]
    assert (report["lines"], report["amount_fen"]) == (4, 200_000)


def test_stopped_before_payment_is_scoped_by_jurisdiction(two_counties, make_user, api_client, page_client):
    county = api_client(make_user(Role.SUPERVISOR, XIANGTAN_COUNTY)).get("/api/v1/risk/stopped")
    assert county.status_code == 200
    body = county.json()
    assert (body["lines"], body["amount_yuan"]) == (3, "1500.00")
    assert {r["county"] for r in body["rows"]} == {XIANGTAN_COUNTY}
    elsewhere = api_client(make_user(Role.SUPERVISOR, "430100000000")).get("/api/v1/risk/stopped").json()
    assert elsewhere["lines"] == 0 and elsewhere["rows"] == []
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    page = page_client(supervisor).get("/risk/stopped/").content.decode()
    assert "韶山市" in page and "湘潭县" in page and "2,000.00" in page and "1,500.00" in page
    home = page_client(supervisor).get("/?workbench=1").content.decode()
    assert 'id="stopped-figure"' in home and "2,000.00" in home
