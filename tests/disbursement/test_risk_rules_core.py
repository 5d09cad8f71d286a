"""The rules of the death, payroll, cadre, card, identity and duplicate families: each fires on its case and
stays quiet on the nearest miss."""

from datetime import date

import pytest

from disbursement.accounts.roles import Role
from disbursement.payments.models import PaymentStatus
from disbursement.risk.base import RULES, Scope
from disbursement.risk.models import RuleSetting
from disbursement.risk.services import rule_thresholds
from disbursement.rosters.models import RosterStatus
from tests.conftest import TANJIASHAN_TOWN, YISUHE_TOWN
from tests.disbursement import risk_builders as b

pytestmark = pytest.mark.django_db


def fired(code: str, scope: Scope | None = None):
    return list(RULES[code].findings(thresholds=rule_thresholds(code), scope=scope or Scope()))


def subjects(finding, kind: str) -> set[str]:
    return {s.ref for s in finding.subjects if s.kind == kind}


# D1 — paid after death

def test_d1_fires_on_a_payment_settled_after_the_registered_death():
    dead = b.person("李四")
    line, paid = b.paid_line(b.roster(), dead, settled_on=date(2026, 3, 10))
    b.death(dead, date(2026, 3, 1))
    [finding] = fired("D1")
    assert subjects(finding, "payment") == {str(paid.pk)}
    assert finding.facts["paid_on"] == "2026-03-10" and finding.facts["died_on"] == "2026-03-01"
    assert finding.summary == "死亡后仍发放：2026-03-10 发放，死亡登记 2026-03-01（民政殡葬）"
    assert finding.amount_fen == paid.amount_fen and finding.region_code == b.YISUHE_VILLAGE
    payment_subject = next(s for s in finding.subjects if s.kind == "payment")
    assert payment_subject.detail == {"reference": paid.reference, "roster_id": line.roster_id, "row": line.row_number}


def test_d1_reads_the_registers_own_date_of_death_too_and_takes_the_earlier_date():
    dead = b.person("李四", deceased_on=date(2026, 2, 1))
    b.paid_line(b.roster(), dead, settled_on=date(2026, 3, 10))
    b.death(dead, date(2026, 2, 20))
    [finding] = fired("D1")
    assert finding.facts["died_on"] == "2026-02-01"


def test_d1_is_quiet_when_paid_on_the_day_of_death_or_within_the_grace_days():
    on_the_day, in_grace = b.person("王五"), b.person("赵六")
    b.paid_line(b.roster(), on_the_day, settled_on=date(2026, 3, 10))
    b.paid_line(b.roster(), in_grace, settled_on=date(2026, 3, 10))
    b.death(on_the_day, date(2026, 3, 10))
    b.death(in_grace, date(2026, 3, 5))
    RuleSetting.objects.create(code="D1", thresholds={"grace_days": 5})
    assert fired("D1") == []


def test_d1_ignores_a_failed_payment():
    dead = b.person("李四")
    line = b.line(b.roster(), dead)
    b.payment(line, status=PaymentStatus.FAILED)
    b.death(dead, date(2026, 1, 1))
    assert fired("D1") == []


# D2 — deceased still on a roster

def test_d2_fires_on_an_unpaid_line_of_a_dead_person():
    dead = b.person("李四")
    line = b.line(b.roster(status=RosterStatus.FINANCE_APPROVED), dead)
    b.death(dead, date(2026, 1, 20), source="公安户籍注销")
    [finding] = fired("D2")
    assert subjects(finding, "line") == {str(line.pk)}
    assert "2026-01-20（公安户籍注销）" in finding.summary


def test_d2_is_quiet_for_voided_lines_settled_rosters_and_the_living():
    dead, alive = b.person("李四"), b.person("王五")
    b.line(b.roster(status=RosterStatus.FINANCE_APPROVED), dead, is_void=True)
    b.paid_line(b.roster(status=RosterStatus.SETTLED, period="2026-02"), dead)
    b.line(b.roster(status=RosterStatus.FINANCE_APPROVED, period="2026-04"), alive)
    b.death(dead, date(2026, 1, 20))
    assert fired("D2") == []


# P1, P2 — payroll and pensions

def test_p1_fires_on_means_tested_aid_to_someone_on_the_payroll_that_period():
    clerk = b.person("钱七")
    line = b.line(b.roster("0401"), clerk)
    b.payroll(clerk, start=date(2020, 1, 1))
    [finding] = fired("P1")
    assert subjects(finding, "line") == {str(line.pk)} and finding.facts["employer"] == "县教育局"


def test_p1_is_quiet_once_the_payroll_ended_before_the_period_or_for_other_items():
    left, farmer = b.person("钱七"), b.person("孙八")
    b.line(b.roster("0401"), left)
    b.line(b.roster("0104", period="2026"), farmer, amount_fen=1000)
    b.payroll(left, start=date(2020, 1, 1), end=date(2026, 2, 28))
    b.payroll(farmer, start=date(2020, 1, 1))
    assert fired("P1") == []


def test_p2_fires_on_dibao_to_a_pensioner_above_the_setting_and_not_below():
    rich, poor = b.person("周九"), b.person("吴十")
    rich_line = b.line(b.roster("0401"), rich)
    b.line(b.roster("0401"), poor)
    b.pension(rich, 150_000)
    b.pension(poor, 90_000)
    [finding] = fired("P2")
    assert subjects(finding, "line") == {str(rich_line.pk)}
    assert finding.facts["monthly_pension_fen"] == 150_000


# C1–C4 — cadres, clerks, moves

def test_c1_fires_on_a_serving_cadre_receiving_a_village_review_item():
    chief = b.person("郑主任")
    line = b.line(b.roster("0401"), chief)
    b.cadre(chief, term_start=date(2021, 1, 1))
    [finding] = fired("C1")
    assert subjects(finding, "line") == {str(line.pk)} and finding.facts["post"] == "村委会主任"


def test_c1_is_quiet_for_a_cadre_whose_term_ended_before_the_period():
    former = b.person("郑主任")
    b.line(b.roster("0401"), former)
    b.cadre(former, term_start=date(2018, 1, 1), term_end=date(2025, 12, 31))
    assert fired("C1") == []


def test_c2_fires_on_a_cadres_household_member_and_not_on_a_neighbour():
    home, next_door = b.household(), b.household()
    chief = b.person("郑主任", home=home)
    wife, neighbour = b.person("王氏", home=home), b.person("李氏", home=next_door)
    wife_line = b.line(b.roster("0401"), wife)
    b.line(b.roster("0401"), neighbour)
    b.cadre(chief)
    [finding] = fired("C2")
    assert subjects(finding, "line") == {str(wife_line.pk)}
    assert subjects(finding, "person") == {str(wife.pk), str(chief.pk)}


def test_c3_fires_when_the_uploading_clerk_or_an_approvers_household_is_paid(make_user):
    clerk_self, approver_self = b.person("经办人"), b.person("审批人", home=b.household())
    approver_son = b.person("审批人之子", home=approver_self.household)
    clerk = b.linked(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN), clerk_self)
    approver = b.linked(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN), approver_self)
    roster = b.roster("0401", created_by=clerk, status=RosterStatus.TOWNSHIP_APPROVED)
    b.approval(roster, approver)
    own, son = b.line(roster, clerk_self), b.line(roster, approver_son)
    b.line(roster, b.person("村民"))
    found = {next(iter(subjects(f, "line"))): f for f in fired("C3")}
    assert set(found) == {str(own.pk), str(son.pk)}
    assert found[str(own.pk)].facts["relation"] == "本人" and found[str(son.pk)].facts["relation"] == "同户"


def test_c3_is_quiet_for_staff_not_linked_to_anyone_on_the_roster(make_user):
    clerk = b.linked(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN), b.person("经办人"))
    b.line(b.roster("0401", created_by=clerk), b.person("村民"))
    assert fired("C3") == []


def test_c4_fires_on_a_move_into_the_township_shortly_before_the_period_and_not_long_before():
    newcomer, settled = b.person("新来"), b.person("老住户")
    line = b.line(b.roster("0401", period="2026-03"), newcomer)
    b.line(b.roster("0401", period="2026-03"), settled)
    b.move(newcomer, moved_on=date(2026, 2, 1))
    b.move(settled, moved_on=date(2025, 6, 1))
    [finding] = fired("C4")
    assert subjects(finding, "line") == {str(line.pk)} and finding.facts["moved_on"] == "2026-02-01"


# K1, K2, K5, K6 — cards

def test_k1_fires_on_a_card_that_pays_someone_besides_its_owner_and_not_on_own_cards():
    owner, other, alone = b.person("甲"), b.person("乙"), b.person("丙")
    shared = b.card(owner)
    b.line(b.roster("0401"), owner, on_card=shared)
    second = b.line(b.roster("0402"), other, on_card=shared)
    b.line(b.roster("0401"), alone)
    [finding] = fired("K1")
    assert subjects(finding, "card") == {str(shared.pk)}
    assert subjects(finding, "line") == {str(second.pk)}
    assert subjects(finding, "person") == {str(owner.pk), str(other.pk)}
    assert finding.facts["owner_id_masked"] == owner.id_masked and finding.amount_fen == second.amount_fen


def test_k2_fires_on_three_cards_in_a_year_and_not_on_two():
    many, two = b.person("多卡"), b.person("两卡")
    for month, who in [("01", many), ("02", many), ("03", many), ("01", two), ("02", two)]:
        b.paid_line(b.roster("0401", period=f"2026-{month}"), who, on_card=b.card(who))
    [finding] = fired("K2")
    assert subjects(finding, "person") == {str(many.pk)} and finding.facts["cards"] == 3


def test_k5_fires_when_a_household_is_paid_for_more_people_than_it_has():
    home, small = b.household(), b.household()
    head, _wife = b.person("户主", home=home), b.person("妻", home=home)
    line = b.line(b.roster("0401"), head, quantity_milli=3000, amount_fen=150_000)
    other_head, _child = b.person("户主二", home=small), b.person("子", home=small)
    b.line(b.roster("0401"), other_head, quantity_milli=2000, amount_fen=100_000)
    [finding] = fired("K5")
    assert subjects(finding, "line") == {str(line.pk)}
    assert finding.facts["members"] == 2 and finding.facts["paid_for"] == 3
    assert finding.amount_fen == 50_000


def test_k6_fires_above_ten_standards_and_not_just_below():
    big, fair = b.person("大额"), b.person("正常")
    line = b.line(b.roster("0501"), big, amount_fen=850_001)
    b.line(b.roster("0501"), fair, amount_fen=850_000)
    [finding] = fired("K6")
    assert subjects(finding, "line") == {str(line.pk)} and finding.facts["standard_fen"] == 85_000


# I1, I2 — identity

def test_i1_fires_on_one_person_paid_under_two_names_and_not_under_one():
    renamed, steady = b.person("张三"), b.person("李四")
    b.payment(b.line(b.roster("0401", period="2026-01"), renamed), payee_name="张三")
    b.payment(b.line(b.roster("0401", period="2026-02"), renamed), payee_name="张叁")
    b.payment(b.line(b.roster("0401", period="2026-01"), steady))
    b.payment(b.line(b.roster("0401", period="2026-02"), steady))
    [finding] = fired("I1")
    assert subjects(finding, "person") == {str(renamed.pk)} and finding.facts["names"] == ["张三", "张叁"]


def test_i2_fires_on_same_name_birth_and_village_under_two_ids_and_not_on_another_birth_date():
    one, twin = b.person("王芳", born=date(1970, 1, 1)), b.person("王芳", born=date(1970, 1, 1))
    b.person("王芳", born=date(1971, 1, 1))
    [finding] = fired("I2")
    assert subjects(finding, "person") == {str(one.pk), str(twin.pk)}


def test_i2_in_a_roster_scope_looks_only_at_that_rosters_people():
    on_roster, twin = b.person("王芳", born=date(1970, 1, 1)), b.person("王芳", born=date(1970, 1, 1))
    b.person("李强", born=date(1980, 1, 1)), b.person("李强", born=date(1980, 1, 1))
    pending = b.roster("0401", status=RosterStatus.FINANCE_APPROVED)
    b.line(pending, on_roster)
    [finding] = fired("I2", Scope(roster_id=pending.pk))
    assert subjects(finding, "person") == {str(on_roster.pk), str(twin.pk)}


# U1–U4 — duplicates

def test_u1_fires_on_two_paid_payments_for_one_item_and_period():
    payee = b.person("重复")
    line, first = b.paid_line(b.roster("0401"), payee)
    second = b.payment(line)
    [finding] = fired("U1")
    assert subjects(finding, "payment") == {str(first.pk), str(second.pk)}
    assert finding.amount_fen == line.amount_fen


def test_u1_does_not_count_a_failed_payment_and_its_reissue():
    payee = b.person("补发")
    line = b.line(b.roster("0401"), payee)
    failed = b.payment(line, status=PaymentStatus.REISSUED)
    b.payment(line, previous=failed)
    assert fired("U1") == []


def test_u2_fires_on_one_person_item_and_period_in_two_townships():
    payee = b.person("两地")
    paid_elsewhere, _payment = b.paid_line(b.roster("0401", township=YISUHE_TOWN), payee, is_void=True)
    here = b.line(b.roster("0401", township=TANJIASHAN_TOWN, status=RosterStatus.FINANCE_APPROVED), payee,
                  village=b.TANJIASHAN_VILLAGE)
    [finding] = fired("U2")
    assert subjects(finding, "line") == {str(paid_elsewhere.pk), str(here.pk)}
    assert finding.region_code == "430321000000"


def test_u2_is_quiet_when_the_other_townships_line_was_voided_unpaid():
    payee = b.person("两地")
    b.line(b.roster("0401", township=YISUHE_TOWN), payee, is_void=True)
    b.line(b.roster("0401", township=TANJIASHAN_TOWN), payee, village=b.TANJIASHAN_VILLAGE)
    assert fired("U2") == []


def test_u3_fires_on_urban_and_rural_dibao_in_one_month_and_not_in_different_months():
    both, apart = b.person("并享"), b.person("先后")
    urban = b.line(b.roster("0401", period="2026-03"), both)
    rural = b.line(b.roster("0404", period="2026-03"), both)
    b.line(b.roster("0401", period="2026-03"), apart)
    b.line(b.roster("0404", period="2026-04"), apart)
    [finding] = fired("U3")
    assert subjects(finding, "line") == {str(urban.pk), str(rural.pk)}
    assert finding.facts["pair"] == "城市低保与农村低保"


def test_u4_fires_on_a_once_only_item_claimed_twice_but_not_on_the_yearly_festival_gift():
    twice, gifted = b.person("两次"), b.person("慰问")
    b.paid_line(b.roster("0512", period="2025"), twice, amount_fen=200_000)
    again = b.line(b.roster("0512", period="2026", status=RosterStatus.FINANCE_APPROVED), twice, amount_fen=200_000)
    b.paid_line(b.roster("0604", period="2025"), gifted)
    b.paid_line(b.roster("0604", period="2026"), gifted)
    [finding] = fired("U4")
    assert str(again.pk) in subjects(finding, "line") and finding.amount_fen == 200_000


def test_rules_in_a_roster_scope_judge_that_rosters_lines_against_the_whole_history():
    payee = b.person("并享")
    b.paid_line(b.roster("0401", period="2026-03"), payee)
    pending = b.roster("0404", period="2026-03", status=RosterStatus.FINANCE_APPROVED)
    line = b.line(pending, payee)
    [finding] = fired("U3", Scope(roster_id=pending.pk))
    assert str(line.pk) in subjects(finding, "line")
    assert fired("U3", Scope(roster_id=b.roster("0401", period="2026-05").pk)) == []
