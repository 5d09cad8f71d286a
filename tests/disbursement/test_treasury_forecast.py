"""The 三保 forecast on constructed counties (figures worked out by hand below), committed rosters, scheduled
transfers, and the outlook county finance sees when it approves a roster."""

import datetime
from calendar import monthrange

import pytest
from django.urls import reverse
from django.utils import timezone

from disbursement.accounts.roles import Role
from disbursement.audit.models import AuditEvent
from disbursement.catalog.models import Category
from disbursement.errors import PermissionDenied, ValidationFailed
from disbursement.rosters.models import RosterStatus
from disbursement.rosters.workflow import roster_act
from disbursement.treasury.forecast import approval_outlook, forecasts, treasury_forecast
from disbursement.treasury.transfers import scheduled_transfer_add
from tests.builders import accepted_roster, issue, through_department
from tests.conftest import CHANGSHA_COUNTY, SHAOSHAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.treasury_alert_builders import levels_write, month_start, statements_write

pytestmark = pytest.mark.django_db


def days_in(month: datetime.date) -> int:
    return monthrange(month.year, month.month)[1]


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
        "admin": make_user(Role.PROVINCE_ADMIN, "430000000000"),
    }


@pytest.fixture
def county():
    """湘潭县 for 13 whole months up to the end of last month: 120.00 yuan in and out every day (20.00 of it our
    subsidy line), except the month a year before this one, when nothing came in. Opening 8,000.00 yuan."""
    this_month = month_start(timezone.localdate())
    first, dry = month_start(this_month, -13), month_start(this_month, -12)
    days = (this_month - first).days
    flows = [(0 if month_start(first + datetime.timedelta(days=d)) == dry else 12_000, 12_000, 2_000)
             for d in range(days)]
    closing = statements_write(XIANGTAN_COUNTY, first, flows, opening=800_000)
    assert closing == 800_000 - 12_000 * days_in(dry)
    return {"this_month": this_month, "dry": dry, "closing": closing}


def test_forecast_rows_come_from_last_year_recurring_outflow_and_the_running_balance(county):
    forecast = treasury_forecast(XIANGTAN_COUNTY)
    this_month, dry = county["this_month"], county["dry"]
    assert forecast.latest_day == this_month - datetime.timedelta(days=1)
    assert [row.month for row in forecast.rows] == [this_month, month_start(this_month, 1), month_start(this_month, 2)]
    first, second = forecast.rows[0], forecast.rows[1]
    # The same month last year brought nothing in and paid 100.00 yuan a day outside our subsidies.
    assert (first.basis, first.days, first.opening_fen) == ("last_year", days_in(this_month), county["closing"])
    assert (first.expected_inflow_fen, first.recurring_outflow_fen) == (0, 10_000 * days_in(dry))
    assert first.closing_fen == 800_000 - 22_000 * days_in(dry)  # 118,000 or 140,000 fen: no shortfall
    assert first.gap_fen == 0 and forecast.first_shortfall is None
    # Next month: last year's 120.00 in and 100.00 recurring a day; it opens where this month closes.
    last_year = month_start(this_month, -11)
    assert second.opening_fen == first.closing_fen
    assert (second.expected_inflow_fen, second.recurring_outflow_fen) == (12_000 * days_in(last_year),
                                                                           10_000 * days_in(last_year))
    assert second.closing_fen == first.closing_fen + 2_000 * days_in(last_year)


def test_committed_roster_counts_as_basic_livelihood_and_opens_a_shortfall(county, people):
    issue(1_000_000)
    roster = through_department(accepted_roster(3), people)  # 3 × 500.00 yuan, item 0604 (category 06: 三保)
    assert treasury_forecast(XIANGTAN_COUNTY).rows[0].committed_basic_fen == 0  # not approved yet: not committed
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    first = treasury_forecast(XIANGTAN_COUNTY).rows[0]
    assert (first.committed_basic_fen, first.committed_other_fen) == (150_000, 0)
    available = county["closing"] + 0 - 0 - 10_000 * days_in(county["dry"])
    assert first.gap_fen == 150_000 - available > 0  # 32,000 fen after a 31-day dry month, 10,000 after 30
    assert first.closing_fen == -first.gap_fen
    forecast = treasury_forecast(XIANGTAN_COUNTY)
    assert forecast.first_shortfall.month == county["this_month"]
    assert forecast.rows[1].committed_basic_fen == 0  # committed money leaves in the first month only

    # Not 三保: the same money leaves, before the (now empty) 三保 share, so the shortfall stays the same.
    gap = first.gap_fen
    Category.objects.filter(code="06").update(basic_livelihood=False)
    first = treasury_forecast(XIANGTAN_COUNTY).rows[0]
    assert (first.committed_basic_fen, first.committed_other_fen, first.gap_fen) == (0, 150_000, gap)


def test_scheduled_transfer_counts_in_its_month_and_is_audited(county, people):
    next_month = month_start(county["this_month"], 1)
    transfer = scheduled_transfer_add(actor=people["admin"], region_code=XIANGTAN_COUNTY,
                                      month=next_month + datetime.timedelta(days=9), amount_fen=1_000_000,
                                      document="湘财预〔2026〕12号")
    assert transfer.month == next_month
    rows = treasury_forecast(XIANGTAN_COUNTY).rows
    assert (rows[0].scheduled_fen, rows[1].scheduled_fen) == (0, 1_000_000)
    assert rows[1].expected_inflow_fen == 12_000 * days_in(month_start(county["this_month"], -11)) + 1_000_000
    assert AuditEvent.objects.filter(action="treasury.transfer_scheduled", object_id=str(transfer.pk)).exists()


def test_scheduled_transfer_is_the_provinces_and_checked(people, make_user):
    this_month = month_start(timezone.localdate())
    with pytest.raises(PermissionDenied):
        scheduled_transfer_add(actor=people["finance"], region_code=XIANGTAN_COUNTY, month=this_month,
                               amount_fen=100, document="x")
    city_supervisor = make_user(Role.SUPERVISOR, "430300000000")
    with pytest.raises(PermissionDenied):
        scheduled_transfer_add(actor=city_supervisor, region_code=XIANGTAN_COUNTY, month=this_month,
                               amount_fen=100, document="x")
    bad = [({"region_code": YISUHE_TOWN}, "region"), ({"month": month_start(this_month, -1)}, "month"),
           ({"amount_fen": 0}, "amount"), ({"amount_fen": 10**15}, "amount"), ({"document": "  "}, "document")]
    for change, field in bad:
        arguments = {"region_code": XIANGTAN_COUNTY, "month": this_month, "amount_fen": 100, "document": "x",
                     **change}
        with pytest.raises(ValidationFailed) as refused:
            scheduled_transfer_add(actor=people["admin"], **arguments)
        assert refused.value.field == field


def test_trailing_average_when_last_year_is_missing_and_our_payments_stand_in_for_the_breakdown():
    """韶山市 has 40 days of statements without a breakdown: 50.00 yuan in, 90.00 out a day, and no payment of
    ours settled, so all 90.00 is recurring. Each month is the daily average × its days."""
    this_month = month_start(timezone.localdate())
    statements_write(SHAOSHAN_CITY, this_month - datetime.timedelta(days=40), [(5_000, 9_000, None)] * 40,
                     opening=1_000_000)
    rows = treasury_forecast(SHAOSHAN_CITY).rows
    assert [row.basis for row in rows] == ["trailing"] * 3
    for row in rows:
        assert (row.expected_inflow_fen, row.recurring_outflow_fen) == (5_000 * days_in(row.month),
                                                                         9_000 * days_in(row.month))
    assert rows[0].opening_fen == 1_000_000 - 4_000 * 40


def test_first_month_covers_only_the_days_after_the_latest_statement():
    """Statements up to the 10th of last month: its first row is the remaining days of that month."""
    last_month = month_start(timezone.localdate(), -1)
    tenth = last_month + datetime.timedelta(days=9)
    statements_write(CHANGSHA_COUNTY, tenth - datetime.timedelta(days=59), [(5_000, 5_000, 0)] * 60, opening=10_000)
    forecast = forecasts([CHANGSHA_COUNTY, SHAOSHAN_CITY])
    first = forecast[CHANGSHA_COUNTY].rows[0]
    assert (first.month, first.days) == (last_month, days_in(last_month) - 10)
    assert first.expected_inflow_fen == first.recurring_outflow_fen == 5_000 * (days_in(last_month) - 10)
    assert forecast[SHAOSHAN_CITY].rows == [] and forecast[SHAOSHAN_CITY].latest_day is None


def test_outlook_warns_when_the_roster_would_push_the_county_into_warning_and_approval_still_succeeds(
        people, page_client):
    """Latest level 0.40 on a 10,000.00 yuan monthly average (4,000.00 yuan closing); the roster's 1,500.00 leaves
    2,500.00: level 0.25, below 0.30."""
    levels_write(XIANGTAN_COUNTY, timezone.localdate() - datetime.timedelta(days=3), "NLL", average=1_000_000)
    issue(1_000_000)
    roster = through_department(accepted_roster(3), people)
    outlook = approval_outlook(roster)
    assert (outlook.band, str(outlook.level), outlook.closing_fen) == ("low", "0.4000", 400_000)
    assert (str(outlook.level_after), outlook.band_after, outlook.warns) == ("0.2500", "warning", True)

    client = page_client(people["finance"])
    page = client.get(reverse("roster-detail", args=[roster.pk])).content.decode()
    assert 'id="treasury-outlook" data-band="low" data-warns="1"' in page
    assert 'id="treasury-outlook-warning"' in page and 'data-level="0.2500"' in page
    response = client.post(reverse("roster-act", args=[roster.pk]), {"action": "finance_approve"})
    assert response.status_code == 302
    roster.refresh_from_db()
    assert roster.status == RosterStatus.FINANCE_APPROVED
    # Past the finance step the page no longer shows the outlook.
    assert 'id="treasury-outlook"' not in client.get(reverse("roster-detail", args=[roster.pk])).content.decode()


def test_outlook_without_warning_and_only_for_finance(people, page_client):
    levels_write(XIANGTAN_COUNTY, timezone.localdate() - datetime.timedelta(days=2), "II", average=1_000_000)
    issue(1_000_000)
    roster = through_department(accepted_roster(3), people)
    page = page_client(people["finance"]).get(reverse("roster-detail", args=[roster.pk])).content.decode()
    assert 'data-band="idle" data-warns="0"' in page and 'id="treasury-outlook-warning"' not in page
    clerk_page = page_client(people["clerk"]).get(reverse("roster-detail", args=[roster.pk])).content.decode()
    assert 'id="treasury-outlook"' not in clerk_page


def test_outlook_is_none_without_statements(people):
    issue(1_000_000)
    assert approval_outlook(through_department(accepted_roster(1), people)) is None


def test_forecast_of_a_county_without_statements_is_empty():
    assert treasury_forecast(CHANGSHA_COUNTY).rows == []


def test_transfer_api_schedules_for_the_province_and_refuses_others(people, api_client):
    month = month_start(timezone.localdate(), 1).strftime("%Y-%m")
    body = {"region": XIANGTAN_COUNTY, "month": month, "amount_yuan": "50000.00", "document": "湘财预〔2026〕7号"}
    created = api_client(people["admin"]).post("/api/v1/treasury/transfers", body, content_type="application/json")
    assert created.status_code == 201, created.content
    assert {k: created.json()[k] for k in ("region", "month", "amount_yuan")} == {
        "region": XIANGTAN_COUNTY, "month": month, "amount_yuan": "50000.00"}
    assert treasury_forecast(XIANGTAN_COUNTY).rows == []  # no statements yet, but the transfer is stored
    refused = api_client(people["finance"]).post("/api/v1/treasury/transfers", body, content_type="application/json")
    assert refused.status_code == 403
    for change in ({"amount_yuan": "1.234"}, {"amount_yuan": "abc"}, {"month": "2026-13"}, {"region": "43"},
                   {"region": YISUHE_TOWN}, {"document": ""}):
        answer = api_client(people["admin"]).post("/api/v1/treasury/transfers", {**body, **change},
                                                  content_type="application/json")
        assert answer.status_code == 422, (change, answer.content)


def test_finance_approval_answer_carries_the_treasury_outlook(people, api_client):
    levels_write(XIANGTAN_COUNTY, timezone.localdate() - datetime.timedelta(days=3), "NLL", average=1_000_000)
    issue(1_000_000)
    roster = through_department(accepted_roster(3), people)
    client = api_client(people["finance"])
    before = client.get(f"/api/v1/rosters/{roster.pk}/workflow").json()["treasury_outlook"]
    assert (before["band"], before["level_after"], before["band_after"], before["warns"]) == (
        "low", "0.2500", "warning", True)
    answer = client.post(f"/api/v1/rosters/{roster.pk}/actions", {"action": "finance_approve"},
                         content_type="application/json")
    assert answer.status_code == 200 and answer.json()["status"] == "finance_approved"
    assert answer.json()["treasury_outlook"]["warns"] is True
    clerk_view = api_client(people["clerk"]).get(f"/api/v1/rosters/{roster.pk}/workflow").json()
    assert clerk_view["treasury_outlook"] is None
