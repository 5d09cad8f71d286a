"""Treasury alerts: one per region and episode (updated while the county stays in the band, closed by the
system when it leaves, a new one on re-entry), idle spells, the 三保 gap, reconciliation against our own
payments, and who is told."""

import datetime

import pytest
from django.utils import timezone

from disbursement.accounts.roles import Role
from disbursement.alerts.models import Alert, AlertEvent, AlertStatus, InboxEntry
from disbursement.alerts.services import alert_dismiss
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.notifications.models import Notice
from disbursement.rosters.workflow import roster_act
from disbursement.treasury.alerting import treasury_alerts_refresh
from disbursement.treasury.models import TreasurySettings
from disbursement.treasury.tasks import treasury_refresh_alerts
from disbursement.treasury.transfers import scheduled_transfer_add
from tests.builders import accepted_roster, issue, through_department
from tests.conftest import SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.treasury_alert_builders import levels_write, month_start, statements_write

pytestmark = pytest.mark.django_db

D0 = timezone.localdate() - datetime.timedelta(days=40)


def day(n: int) -> datetime.date:
    return D0 + datetime.timedelta(days=n)


def alerts(rule: str, region: str = XIANGTAN_COUNTY):
    return list(Alert.objects.filter(source="treasury", rule=rule, region_id=region).order_by("id"))


def test_one_alert_per_episode_updated_while_staying_closed_on_leaving_new_on_reentry():
    levels_write(XIANGTAN_COUNTY, D0, "NNWWW")
    first = treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(4))
    [alert] = alerts("TR1")
    assert first.created_ids == [alert.id] and (alert.status, alert.severity) == (AlertStatus.NEW, "high")
    assert alert.evidence["since"] == day(2).isoformat() and alert.evidence["day"] == day(4).isoformat()
    assert alert.evidence["text"].startswith(f"{day(2).isoformat()} 起库款预警（保障水平 < 0.30），")
    assert "期末库款 6,000.00 元，月均流出 30,000.00 元" in alert.evidence["text"]
    assert alert.summary.startswith("库款预警：湘潭县 ")

    again = treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(4))  # the same facts: nothing changes
    assert (again.created_ids, again.reopened_ids, again.resolved_ids) == ([], [], [])

    levels_write(XIANGTAN_COUNTY, day(5), "W")
    treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(5))
    [alert] = alerts("TR1")  # still in the band: the same alert, with the day's figures
    assert alert.evidence["day"] == day(5).isoformat() and alert.evidence["days"] == 4

    levels_write(XIANGTAN_COUNTY, day(6), "N")
    left = treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(6))
    [alert] = alerts("TR1")
    assert left.resolved_ids == [alert.id] and alert.status == AlertStatus.CLOSED and alert.closed_at
    event = AlertEvent.objects.get(alert=alert, action="resolved")
    assert event.note.startswith(f"{day(6).isoformat()} 离开库款预警区间") and event.actor is None

    levels_write(XIANGTAN_COUNTY, day(7), "WW")
    treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(8))
    old, new = alerts("TR1")
    assert old.status == AlertStatus.CLOSED and new.status == AlertStatus.NEW
    assert new.evidence["since"] == day(7).isoformat()


def test_history_imported_at_once_raises_only_the_current_episode():
    levels_write(XIANGTAN_COUNTY, D0, "WWNNLLLWWNLL")
    treasury_alerts_refresh(as_of=day(11))
    assert alerts("TR1") == []
    [low] = alerts("TR2")
    assert (low.severity, low.evidence["since"]) == ("medium", day(10).isoformat())


def test_moving_from_warning_to_low_closes_one_and_raises_the_other():
    levels_write(XIANGTAN_COUNTY, D0, "WW")
    treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(1))
    levels_write(XIANGTAN_COUNTY, day(2), "L")
    treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(2))
    [warning], [low] = alerts("TR1"), alerts("TR2")
    assert warning.status == AlertStatus.CLOSED and low.status == AlertStatus.NEW
    assert "库款偏低" in AlertEvent.objects.get(alert=warning, action="resolved").note


def test_idle_alert_after_the_set_number_of_consecutive_days():
    TreasurySettings.objects.update_or_create(pk=1, defaults={"idle_days": 5})
    levels_write(XIANGTAN_COUNTY, D0, "NIIII")
    treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(4))
    assert alerts("TR3") == []  # four idle days
    levels_write(XIANGTAN_COUNTY, day(5), "I")
    treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(5))
    [idle] = alerts("TR3")
    assert (idle.severity, idle.evidence["since"], idle.evidence["days"]) == ("low", day(1).isoformat(), 5)
    assert "已连续闲置 5 天（≥ 5 天）" in idle.evidence["text"] and idle.amount_fen == 3_600_000


def test_a_dismissed_episode_stays_dismissed_while_it_lasts(make_user):
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    levels_write(XIANGTAN_COUNTY, D0, "WW")
    treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(1))
    [alert] = alerts("TR1")
    alert_dismiss(actor=supervisor, alert_id=alert.id, reason="已安排调度资金")
    levels_write(XIANGTAN_COUNTY, day(2), "W")
    outcome = treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(2))
    [alert] = alerts("TR1")
    assert alert.status == AlertStatus.DISMISSED and outcome.reopened_ids == []


def test_county_finance_and_supervisors_above_are_told_and_another_county_is_not(make_user):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY, email="cz@example.org")
    city = make_user(Role.SUPERVISOR, XIANGTAN_CITY, email="jj@example.org")
    elsewhere = make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY, email="ss@example.org")
    levels_write(XIANGTAN_COUNTY, D0, "NW")
    treasury_refresh_alerts.apply(args=[[XIANGTAN_COUNTY]]).get()  # the task, as the import queues it
    [alert] = alerts("TR1")
    told = set(InboxEntry.objects.filter(alert=alert).values_list("user_id", flat=True))
    assert {finance.pk, city.pk} <= told and elsewhere.pk not in told
    # High severity: the outbox too.
    assert set(Notice.objects.filter(kind="alert").values_list("user_id", flat=True)) >= {finance.pk, city.pk}
    assert not Notice.objects.filter(user=elsewhere).exists()


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
        "admin": make_user(Role.PROVINCE_ADMIN, "430000000000"),
    }


def paid_today(people, rows: int = 3):
    """A roster of `rows` × 500.00 yuan through the bank today, every payment paid."""
    issue(1_000_000)
    roster = through_department(accepted_roster(rows), people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    for bank_file in bank_files_generate(actor=None, roster_id=roster.pk):
        return_file_import(actor=None, data=bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0, seed=1,
                                                          processed=timezone.localdate()))
    return roster


def test_statement_that_disagrees_with_our_settled_payments_is_a_reconciliation_alert(people):
    paid_today(people)  # 1,500.00 yuan settled today
    today = timezone.localdate()
    statements_write(XIANGTAN_COUNTY, today - datetime.timedelta(days=1),
                     [(0, 0, 0), (1_000_000, 140_000, 140_000)], opening=5_000_000)
    statements_write(SHAOSHAN_CITY, today, [(0, 140_000, 140_000)], opening=5_000_000)  # pays nothing of ours
    treasury_alerts_refresh([XIANGTAN_COUNTY, SHAOSHAN_CITY], as_of=today)
    [alert] = alerts("TR5")
    assert (alert.severity, alert.amount_fen, alert.period) == ("medium", 10_000, today.strftime("%Y-%m"))
    # The day before our first settled payment is not compared.
    assert alert.evidence["days"] == [{"day": today.isoformat(), "statement_yuan": "1,400.00",
                                       "ours_yuan": "1,500.00"}]
    assert alerts("TR5", SHAOSHAN_CITY) == []


def test_statement_that_matches_our_payments_raises_nothing(people):
    paid_today(people)
    today = timezone.localdate()
    statements_write(XIANGTAN_COUNTY, today, [(1_000_000, 150_000, 150_000)], opening=5_000_000)
    treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=today)
    assert alerts("TR5") == []


def test_forecast_gap_raises_a_high_alert_and_a_transfer_closes_it(people):
    """40 days paying 1,000.00 yuan a day with nothing coming in, 5,000.00 left: this month runs short."""
    this_month = month_start(timezone.localdate())
    statements_write(XIANGTAN_COUNTY, this_month - datetime.timedelta(days=40), [(0, 100_000, 0)] * 40,
                     opening=4_500_000)
    treasury_alerts_refresh([XIANGTAN_COUNTY])
    [gap] = alerts("TR4")
    assert (gap.severity, gap.period, gap.evidence["month"]) == ("high", this_month.strftime("%Y-%m"),
                                                                this_month.strftime("%Y-%m"))
    assert gap.amount_fen > 0 and gap.summary.startswith(f"三保缺口：湘潭县 预计 {this_month:%Y-%m} 缺口 ")
    scheduled_transfer_add(actor=people["admin"], region_code=XIANGTAN_COUNTY, month=this_month,
                           amount_fen=gap.amount_fen, document="湘财预〔2026〕3号")
    outcome = treasury_alerts_refresh([XIANGTAN_COUNTY])
    # The transfer covers this month; next month runs short again: a new episode, the old one closed.
    old, new = alerts("TR4")
    assert old.id == gap.id and old.status == AlertStatus.CLOSED and outcome.resolved_ids == [old.id]
    note = AlertEvent.objects.get(alert=old, action="resolved").note
    assert note.endswith(f"预测不再显示 {this_month:%Y-%m} 三保缺口")
    assert (new.status, new.period) == (AlertStatus.NEW, month_start(this_month, 1).strftime("%Y-%m"))


def test_existing_alert_keys_are_unchanged_without_an_episode():
    from disbursement.alerts.services import alert_key
    from disbursement.risk.base import Subject

    subjects = [Subject(kind="region", ref=XIANGTAN_COUNTY)]
    assert alert_key(source="risk", rule="D1", subjects=subjects) == alert_key(source="risk", rule="D1",
                                                                               subjects=subjects, episode="")
    assert alert_key(source="treasury", rule="TR1", subjects=subjects, episode="2026-11-20") != alert_key(
        source="treasury", rule="TR1", subjects=subjects, episode="2026-11-21")


def test_statements_imported_through_the_treasury_import_raise_the_warning(make_user):
    """The real path: a statement file, its levels recomputed by the import, then the task the import queues.
    5,000.00 yuan on hand and 1,000.00 paid out a day: level 5,000 ÷ 30,000 = 0.1667, warning from day one."""
    from disbursement.treasury.services import statements_import
    from disbursement.treasury.tasks import treasury_refresh_alerts
    from tests.disbursement.treasury_builders import statement_csv, statement_rows

    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    first = timezone.localdate() - datetime.timedelta(days=30)
    rows = statement_rows(XIANGTAN_COUNTY, first, 30, opening=5_000, inflow=1_000, outflow=1_000)
    result = statements_import(actor=finance, content=statement_csv(rows), file_name="statements.csv")
    assert result.status == "accepted", result.as_json()
    treasury_refresh_alerts.apply(args=[[XIANGTAN_COUNTY]]).get()
    [alert] = alerts("TR1")
    assert alert.evidence["since"] == first.isoformat() and alert.evidence["level"] == "0.1667"
    assert InboxEntry.objects.filter(alert=alert, user=finance).exists()


def test_treasury_alert_page_shows_the_evidence_to_the_city_and_hides_it_from_another_county(make_user,
                                                                                           page_client):
    levels_write(XIANGTAN_COUNTY, D0, "NW")
    treasury_alerts_refresh([XIANGTAN_COUNTY], as_of=day(1))
    [alert] = alerts("TR1")
    page = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY)).get(f"/alerts/{alert.id}/")
    assert page.status_code == 200 and "期末库款 6,000.00 元" in page.content.decode()
    assert page_client(make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY)).get(f"/alerts/{alert.id}/").status_code == 404
