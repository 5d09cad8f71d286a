"""The amount, land, assets, fund and trend rules, each run straight on a small history: a case that fires and a
near miss that does not."""

from datetime import date

import pytest
from django.utils import timezone

import disbursement.risk.rules  # noqa: F401  (registers the rules)
from disbursement.alerts.models import Alert, AlertSubject
from disbursement.alerts.services import alerts_upsert
from disbursement.budget.models import LedgerEntry
from disbursement.budget.services import indicator_issue
from disbursement.payments.models import BankFile, PaymentStatus
from disbursement.registry.models import Card, CardStatus, EnterpriseRole
from disbursement.risk.base import RULES, Scope
from disbursement.rosters.models import RosterApproval, RosterStatus
from tests.disbursement import risk_builders_more as b

pytestmark = pytest.mark.django_db

ONCE_500 = "0604"  # 困难群众春节慰问金: 500.00 yuan per household, once
ELDERLY_80 = "0801"  # 高龄津贴（80—89周岁）: 50.00 yuan a month
PER_CASE = "0601"  # 临时救助金（急难型）: set case by case
FARMLAND = "0101"  # 耕地地力保护补贴: 105.00 yuan per mu, needs a land contract
DIBAO = "0404"  # 农村最低生活保障金（A类）: monthly, set case by case


def run(code: str, scope: Scope | None = None, **overrides):
    rule = RULES[code]
    return list(rule.findings(thresholds={**rule.defaults, **overrides}, scope=scope or Scope()))


def stored(code: str, findings) -> list[Alert]:
    """Upsert the findings as the scan does and read the alerts back: every subject, region and fact stores."""
    outcome = alerts_upsert(source="risk", rule=code, severity=RULES[code].severity, findings=findings)
    alerts = list(Alert.objects.filter(pk__in=outcome.alert_ids).order_by("pk"))
    assert len(alerts) == len(findings)
    by_key = {tuple(sorted((s.kind, s.ref) for s in f.subjects)): f for f in findings}
    for alert in alerts:
        finding = by_key[tuple(sorted(alert.subjects.values_list("kind", "ref")))]
        assert alert.evidence == finding.facts and alert.region_id == finding.region_code
        assert alert.amount_fen == finding.amount_fen and alert.summary == finding.summary
    return alerts


def line_ids(findings) -> set[int]:
    return {int(s.ref) for f in findings for s in f.subjects if s.kind == "line"}


# A1, A2 — against the item's fixed standard

def test_a1_fires_on_a_line_above_quantity_times_the_current_standard_and_stores_as_an_alert():
    roster = b.roster(item=ONCE_500, period="2026")
    above = b.line(roster, b.person(), amount_fen=60_000)
    b.line(roster, b.person(), amount_fen=50_000)
    findings = run("A1", Scope(roster_id=roster.pk))
    assert line_ids(findings) == {above.pk}
    finding = findings[0]
    assert finding.amount_fen == 10_000 and finding.region_code == b.VILLAGE
    assert finding.facts["expected_fen"] == 50_000 and "超出 100.00 元" in finding.summary

    outcome = alerts_upsert(source="risk", rule="A1", severity=RULES["A1"].severity, findings=findings)
    again = alerts_upsert(source="risk", rule="A1", severity=RULES["A1"].severity, findings=run("A1"))
    assert again.alert_ids == outcome.alert_ids and again.created_ids == []
    alert = Alert.objects.get(pk=outcome.alert_ids[0])
    assert alert.region_id == b.VILLAGE and alert.severity == "high" and alert.amount_fen == 10_000
    assert alert.evidence["standard_fen"] == 50_000 and alert.roster_id == roster.pk
    subject = AlertSubject.objects.get(alert=alert)
    assert (subject.kind, subject.ref, subject.detail) == ("line", str(above.pk), {"roster_id": roster.pk, "row": 2})


def test_a1_a2_leave_a_line_paid_exactly_at_the_standard_alone():
    roster = b.roster(item=ONCE_500, period="2026")
    b.line(roster, b.person(), amount_fen=50_000)
    assert run("A1") == [] and run("A2") == []


def test_a_region_scan_sees_only_lines_of_its_subtree():
    b.line(b.roster(item=ONCE_500, period="2026"), b.person(), amount_fen=60_000)
    assert len(run("A1", Scope(region_code=b.TOWN))) == 1
    assert run("A1", Scope(region_code=b.OTHER_TOWN)) == []


def test_a2_fires_on_a_line_below_the_fixed_standard_but_not_on_per_case_items():
    roster = b.roster(item=ONCE_500, period="2026")
    short = b.line(roster, b.person(), amount_fen=40_000)
    b.line(b.roster(item=PER_CASE, period="2026"), b.person(), amount_fen=100)
    findings = run("A2")
    stored("A2", findings)
    assert line_ids(findings) == {short.pk} and findings[0].amount_fen == 10_000


def test_a2_with_from_period_leaves_periods_paid_under_an_earlier_standard_alone():
    b.line(b.roster(item=ONCE_500, period="2025"), b.person(), amount_fen=40_000)
    assert run("A2", from_period="2026") == []
    assert len(run("A2")) == 1


# A3 — age on the period's last day

def test_a3_fires_below_and_above_the_age_band_on_the_periods_last_day_and_spares_its_edges():
    roster = b.roster(item=ELDERLY_80, period="2026-03")
    young = b.line(roster, b.person(birth=date(1946, 4, 1)), amount_fen=5_000)  # 79 on 2026-03-31
    b.line(roster, b.person(birth=date(1946, 3, 31)), amount_fen=5_000)  # 80 that very day
    b.line(roster, b.person(birth=date(1936, 4, 1)), amount_fen=5_000)  # still 89
    old = b.line(roster, b.person(birth=date(1936, 3, 31)), amount_fen=5_000)  # 90
    findings = run("A3", Scope(roster_id=roster.pk))
    stored("A3", findings)
    assert line_ids(findings) == {young.pk, old.pk}
    by_line = {int(f.subjects[0].ref): f for f in findings}
    assert by_line[young.pk].facts["age"] == 79 and by_line[old.pk].facts["age"] == 90
    assert "2026-03-31" in by_line[young.pk].summary


# A4, A5 — invented amounts

def _per_case_payments(amounts, village=b.VILLAGE, period="2026"):
    roster = b.roster(item=PER_CASE, period=period)
    for amount in amounts:
        b.payment(b.line(roster, b.person(village=village, card=True), amount_fen=amount))
    return roster


def test_a4_fires_when_a_villages_per_case_amounts_are_nearly_all_round_hundreds():
    roster = _per_case_payments([30_000] * 19 + [31_250])
    findings = run("A4")
    stored("A4", findings)
    assert len(findings) == 1
    assert {(s.kind, s.ref) for s in findings[0].subjects} == {("region", b.VILLAGE), ("roster", str(roster.pk))}
    assert findings[0].facts["round_hundreds"] == 19 and findings[0].facts["payments"] == 20


def test_a4_stays_quiet_below_the_share_or_the_count():
    _per_case_payments([30_000] * 17 + [31_250] * 3)  # 85 %
    _per_case_payments([30_000] * 19, village="430321100004")  # all round, 19 payments
    assert run("A4") == []


BENFORD_90 = [27, 16, 11, 9, 7, 6, 5, 5, 4]  # 90 first digits in Benford's proportions


def test_a5_fires_on_a_county_whose_first_digits_are_all_fives():
    _per_case_payments([5 * 10 ** (2 + i % 4) + i for i in range(90)])  # 5.00 to 5,000.89 yuan
    findings = run("A5", min_payments=90)
    stored("A5", findings)
    assert [f.region_code for f in findings] == [b.COUNTY]
    assert findings[0].facts["first_digit_share"]["5"] == 1.0 and findings[0].facts["year"] == "2026"


def test_a5_stays_quiet_when_first_digits_follow_benford_or_payments_are_too_few():
    amounts = [digit * 10 ** (2 + i % 4) + i % 10 for digit, count in enumerate(BENFORD_90, start=1)
               for i in range(count)]
    _per_case_payments(amounts)
    assert run("A5", min_payments=90) == []
    assert run("A5") == []  # 90 payments are below the default 500


def test_a5_does_not_judge_amounts_within_one_order_of_magnitude():
    _per_case_payments([50_000 + 97 * i for i in range(90)])  # all fives, but all between 500 and 600 yuan
    assert run("A5", min_payments=90) == []


# L1, L2, L3 — farmland against the land contracts

def test_l1_fires_on_an_area_above_the_contracts_and_not_on_one_within_them():
    roster = b.roster(item=FARMLAND, period="2026")
    over, within = b.person(), b.person()
    b.land_contract(over, area_milli_mu=3_000)
    b.land_contract(over, area_milli_mu=2_000)
    b.land_contract(within, area_milli_mu=5_000)
    flagged = b.line(roster, over, quantity_milli=8_000, rate_fen=10_500, amount_fen=84_000)
    b.line(roster, within, quantity_milli=5_000, rate_fen=10_500, amount_fen=52_500)
    findings = run("L1", Scope(roster_id=roster.pk))
    stored("L1", findings)
    assert line_ids(findings) == {flagged.pk}
    assert findings[0].facts["contracted_mu"] == "5" and findings[0].facts["excess_mu"] == "3"
    assert findings[0].amount_fen == 31_500


def test_l2_fires_on_a_payee_without_land_only_where_the_register_covers_the_village():
    roster = b.roster(item=FARMLAND, period="2026")
    holder, landless = b.person(), b.person()
    b.land_contract(holder, area_milli_mu=5_000)
    b.line(roster, holder, quantity_milli=5_000, rate_fen=10_500, amount_fen=52_500)
    flagged = b.line(roster, landless, quantity_milli=4_000, rate_fen=10_500, amount_fen=42_000)
    uncovered = b.person(village="430321100004")  # no contract of that village was ever imported
    b.line(roster, uncovered, quantity_milli=4_000, rate_fen=10_500, amount_fen=42_000)
    findings = run("L2", Scope(roster_id=roster.pk))
    stored("L2", findings)
    assert line_ids(findings) == {flagged.pk}
    assert findings[0].amount_fen == 42_000


def test_l2_counts_a_covered_region_from_the_imported_files_scope():
    roster = b.roster(item=FARMLAND, period="2026")
    b.land_contract(b.person(card=False), area_milli_mu=1_000, scope=b.TOWN)
    flagged = b.line(roster, b.person(village="430321100004"), quantity_milli=1_000, rate_fen=10_500,
                     amount_fen=10_500)
    assert line_ids(run("L2")) == {flagged.pk}


def test_l3_fires_when_a_villages_subsidised_area_exceeds_its_contracted_land():
    roster = b.roster(item=FARMLAND, period="2026")
    one, two = b.person(), b.person()
    b.land_contract(one, area_milli_mu=5_000)
    b.land_contract(two, area_milli_mu=5_000)
    b.line(roster, one, quantity_milli=6_000, rate_fen=10_500, amount_fen=63_000)
    b.line(roster, two, quantity_milli=6_000, rate_fen=10_500, amount_fen=63_000)
    findings = run("L3")
    stored("L3", findings)
    assert len(findings) == 1 and findings[0].region_code == b.VILLAGE
    assert findings[0].facts["subsidised_mu"] == "12" and findings[0].facts["contracted_mu"] == "10"
    assert findings[0].amount_fen == 21_000


def test_l3_stays_quiet_when_the_village_area_fits_its_land():
    roster = b.roster(item=FARMLAND, period="2026")
    one, two = b.person(), b.person()
    b.land_contract(one, area_milli_mu=5_000)
    b.land_contract(two, area_milli_mu=5_000)
    b.line(roster, one, quantity_milli=6_000, rate_fen=10_500, amount_fen=63_000)
    b.line(roster, two, quantity_milli=4_000, rate_fen=10_500, amount_fen=42_000)
    assert run("L3") == []


# E1, E2, E3 — assets and moves

def test_e1_fires_on_a_household_members_car_registered_by_the_periods_end():
    home = b.household()
    payee = b.person(household=home)
    spouse = b.person(household=home, name="李四", card=False)
    b.vehicle(spouse, registered_on=date(2026, 3, 31))
    roster = b.roster(item=DIBAO, period="2026-03")
    flagged = b.line(roster, payee, amount_fen=40_000)
    findings = run("E1", Scope(roster_id=roster.pk))
    stored("E1", findings)
    assert line_ids(findings) == {flagged.pk}
    assert findings[0].facts["records"][0]["member"] == "家庭成员 李*" and "李四" not in findings[0].summary


def test_e1_ignores_a_car_registered_after_the_period_and_a_motorcycle():
    home = b.household()
    payee = b.person(household=home)
    b.vehicle(payee, registered_on=date(2026, 4, 1))
    b.vehicle(b.person(household=home, card=False), registered_on=date(2020, 1, 1), vehicle_type="普通二轮摩托车")
    b.line(b.roster(item=DIBAO, period="2026-03"), payee, amount_fen=40_000)
    b.line(b.roster(item=ONCE_500, period="2026"), b.person(), amount_fen=50_000)
    assert run("E1") == []


def test_e2_fires_on_a_shareholder_in_the_household_but_not_on_a_sole_trader():
    home = b.household()
    payee = b.person(household=home)
    b.enterprise(b.person(household=home, card=False), role=EnterpriseRole.SHAREHOLDER)
    roster = b.roster(item=DIBAO, period="2026-03")
    flagged = b.line(roster, payee, amount_fen=40_000)
    stall = b.person()
    b.enterprise(stall, role=EnterpriseRole.SOLE_TRADER, name="某某小卖部")
    b.line(roster, stall, amount_fen=40_000)
    findings = run("E2", Scope(roster_id=roster.pk))
    stored("E2", findings)
    assert line_ids(findings) == {flagged.pk} and findings[0].facts["records"][0]["role"] == "股东"
    assert len(run("E2", include_sole_traders=True)) == 2


def test_e3_fires_when_the_payee_left_the_township_before_the_period_began():
    gone, late, back = b.person(), b.person(), b.person()
    b.move(gone, from_code=b.VILLAGE, to_code=b.OTHER_VILLAGE, moved_on=date(2026, 2, 10))
    b.move(late, from_code=b.VILLAGE, to_code=b.OTHER_VILLAGE, moved_on=date(2026, 3, 5))
    b.move(back, from_code=b.VILLAGE, to_code=b.OTHER_VILLAGE, moved_on=date(2026, 1, 5))
    b.move(back, from_code=b.OTHER_VILLAGE, to_code=b.VILLAGE, moved_on=date(2026, 2, 5))
    roster = b.roster(item=DIBAO, period="2026-03")
    flagged = b.line(roster, gone, amount_fen=40_000)
    b.line(roster, late, amount_fen=40_000)
    b.line(roster, back, amount_fen=40_000)
    findings = run("E3", Scope(roster_id=roster.pk))
    stored("E3", findings)
    assert line_ids(findings) == {flagged.pk}
    assert findings[0].facts["moved_on"] == "2026-02-10" and findings[0].facts["period_start"] == "2026-03-01"


# F1 – F4 — money on its way

def test_f1_fires_on_an_indicator_idle_for_months_and_on_a_roster_approved_but_never_sent():
    idle = indicator_issue(actor=None, document_number="湘财社〔2026〕7号", item_code=ONCE_500,
                           county_code=b.COUNTY, fiscal_year=2026, funding_level="provincial", amount_fen=1_000_000)
    LedgerEntry.objects.filter(indicator=idle).update(created_at=b.days_ago(100))
    indicator_issue(actor=None, document_number="湘财社〔2026〕8号", item_code=ONCE_500, county_code=b.COUNTY,
                    fiscal_year=2026, funding_level="provincial", amount_fen=1_000_000)  # issued today
    stalled = b.roster(item=ONCE_500, period="2026", status=RosterStatus.FINANCE_APPROVED)
    fresh = b.roster(item=ONCE_500, period="2026", status=RosterStatus.FINANCE_APPROVED)
    for roster, days in ((stalled, 10), (fresh, 3)):
        approval = RosterApproval.objects.create(roster=roster, action="finance_approve",
                                                 from_status=RosterStatus.DEPARTMENT_APPROVED,
                                                 to_status=RosterStatus.FINANCE_APPROVED)
        RosterApproval.objects.filter(pk=approval.pk).update(at=b.days_ago(days))
    findings = run("F1")
    stored("F1", findings)
    assert {(s.kind, s.ref) for f in findings for s in f.subjects} == {("indicator", str(idle.pk)),
                                                                       ("roster", str(stalled.pk))}
    by_kind = {f.subjects[0].kind: f for f in findings}
    assert by_kind["indicator"].amount_fen == 1_000_000 and by_kind["indicator"].region_code == b.COUNTY
    assert "超过 7 天仍未发送银行" in by_kind["roster"].summary


def test_f2_fires_when_an_answered_files_payments_no_longer_add_up_to_what_it_sent():
    roster = b.roster(item=ONCE_500, period="2026", status=RosterStatus.SENT)
    broken = b.bank_file(roster, records=2, total_fen=100_000)
    b.payment(b.line(roster, b.person(), amount_fen=50_000), status=PaymentStatus.PAID, bank_file=broken)
    b.payment(b.line(roster, b.person(), amount_fen=50_000), status=PaymentStatus.SENT, bank_file=broken)
    whole = b.bank_file(roster, records=2, total_fen=100_000, bank="中国工商银行")
    b.payment(b.line(roster, b.person(), amount_fen=50_000), status=PaymentStatus.PAID, bank_file=whole)
    b.payment(b.line(roster, b.person(), amount_fen=50_000), status=PaymentStatus.REISSUED, bank_file=whole)
    findings = run("F2")
    stored("F2", findings)
    assert [f.subjects[0].ref for f in findings] == [str(broken.pk)]
    assert findings[0].facts["answered_fen"] == 50_000 and findings[0].amount_fen == 50_000


def test_f3_fires_on_a_failure_left_for_a_month_not_on_a_recent_or_reissued_one():
    roster = b.roster(item=ONCE_500, period="2026", status=RosterStatus.PARTLY_FAILED)
    old = b.payment(b.line(roster, b.person(), amount_fen=50_000), status=PaymentStatus.FAILED,
                    settled_at=b.days_ago(40))
    b.payment(b.line(roster, b.person(), amount_fen=50_000), status=PaymentStatus.FAILED, settled_at=b.days_ago(10))
    b.payment(b.line(roster, b.person(), amount_fen=50_000), status=PaymentStatus.REISSUED, settled_at=b.days_ago(40))
    findings = run("F3")
    stored("F3", findings)
    assert [(s.kind, s.ref, s.detail["reference"]) for f in findings for s in f.subjects] == [
        ("payment", str(old.pk), old.reference)]


def test_f4_fires_on_a_payment_filed_after_its_card_was_replaced_not_before():
    roster = b.roster(item=ONCE_500, period="2026", status=RosterStatus.SENT)
    payee = b.person()
    old_card = b.active_card(payee)
    late_line, early_line = b.line(roster, payee, amount_fen=50_000), b.line(
        b.roster(item=ONCE_500, period="2025"), payee, amount_fen=50_000)
    Card.objects.filter(pk=old_card.pk).update(status=CardStatus.CLOSED, created_at=b.days_ago(400))
    new_card = b.card_of(payee)
    Card.objects.filter(pk=new_card.pk).update(created_at=b.days_ago(30))
    late_file = b.bank_file(roster, records=1, total_fen=50_000)
    early_file = b.bank_file(early_line.roster, records=1, total_fen=50_000)
    BankFile.objects.filter(pk=early_file.pk).update(created_at=b.days_ago(200))
    late = b.payment(late_line, card=old_card, bank_file=late_file)
    b.payment(early_line, card=old_card, bank_file=early_file)
    findings = run("F4")
    stored("F4", findings)
    assert {(s.kind, s.ref) for f in findings for s in f.subjects} == {("payment", str(late.pk)),
                                                                       ("card", str(old_card.pk))}
    assert findings[0].facts["card_closed_on"] == timezone.localtime(b.days_ago(30)).date().isoformat()


# T1, T2, T3 — trends

def _village_history(last_total_lines: int):
    for period in ("2026-01", "2026-02", "2026-03"):
        b.line(b.roster(item=DIBAO, period=period), b.person(), amount_fen=50_000)
    roster = b.roster(item=DIBAO, period="2026-04")
    for _ in range(last_total_lines):
        b.line(roster, b.person(), amount_fen=60_000)
    return roster


def test_t1_fires_when_a_villages_total_jumps_above_three_times_its_own_median():
    roster = _village_history(3)  # 1,800 yuan against a median of 500
    findings = run("T1")
    stored("T1", findings)
    assert len(findings) == 1 and findings[0].period == "2026-04"
    assert {(s.kind, s.ref) for s in findings[0].subjects} == {("region", b.VILLAGE), ("roster", str(roster.pk))}
    assert findings[0].facts["own_median_fen"] == 50_000 and findings[0].amount_fen == 130_000


def test_t1_stays_quiet_below_three_times_the_median():
    _village_history(2)  # 1,200 yuan against 500
    assert run("T1") == []


def _township_period(own_lines: int):
    roster = b.roster(item=DIBAO, period="2026-01")
    for village in b.VILLAGES[1:4]:
        b.line(roster, b.person(village=village), amount_fen=50_000)
    for _ in range(own_lines):
        b.line(roster, b.person(), amount_fen=50_000)
    return roster


def test_t1_fires_on_a_village_above_three_times_its_township_villages_median():
    _township_period(4)  # 2,000 yuan where the township's villages take 500
    findings = run("T1")
    stored("T1", findings)
    assert [f.region_code for f in findings] == [b.VILLAGE]
    assert findings[0].facts["township_median_fen"] == 50_000 and findings[0].facts["township_villages"] == 4


def test_t1_stays_quiet_at_three_times_the_township_median():
    _township_period(3)
    assert run("T1") == []


def _roster_of(people, period):
    roster = b.roster(item=DIBAO, period=period)
    for who in people:
        b.line(roster, who, amount_fen=40_000)
    return roster


def test_t2_fires_on_a_roster_mostly_of_first_time_payees_and_not_on_a_usual_one():
    regulars = [b.person() for _ in range(20)]
    for period in ("2026-01", "2026-02", "2026-03"):
        _roster_of(regulars, period)
    surge = _roster_of(regulars[:5] + [b.person() for _ in range(15)], "2026-04")
    usual = _roster_of(regulars[:16] + [b.person() for _ in range(4)], "2026-05")
    findings = run("T2", Scope(roster_id=surge.pk))
    stored("T2", findings)
    assert [f.subjects[0].ref for f in findings] == [str(surge.pk)]
    assert findings[0].facts["first_time"] == 15 and findings[0].facts["item_norm"] == 0.1
    assert run("T2", Scope(roster_id=usual.pk)) == []
    assert [f.subjects[0].ref for f in run("T2")] == [str(surge.pk)]


def test_t3_fires_on_thirty_new_cards_at_one_bank_in_one_day_not_on_twenty_nine_or_on_old_cards():
    b.roster(item=DIBAO, period="2026-01")  # the township's first roster: every card is new then
    newcomers = [b.person(bank="中国邮政储蓄银行") for _ in range(30)]
    burst = _roster_of(newcomers, "2026-02")
    _roster_of([b.person() for _ in range(29)], "2026-03")
    _roster_of(newcomers, "2026-04")  # the same payees again: their cards are no longer new
    findings = run("T3")
    stored("T3", findings)
    assert [f.subjects[0].ref for f in findings] == [str(burst.pk)]
    assert findings[0].facts["bursts"][0]["cards"] == 30
