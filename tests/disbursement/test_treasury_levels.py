import datetime
import json
from decimal import Decimal

import pandas as pd
import pytest
from django.core.management import call_command

from disbursement.treasury.models import TreasuryBand, TreasuryLevel
from disbursement.treasury.selectors import band_for, latest_levels, treasury_settings
from disbursement.treasury.services import levels_frame, levels_recompute, statements_import
from tests.conftest import SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY
from tests.disbursement.treasury_builders import statement_csv, statement_rows

pytestmark = pytest.mark.django_db


def _levels(rows, **settings_changes):
    settings = treasury_settings()
    for name, value in settings_changes.items():
        setattr(settings, name, value)
    frame = pd.DataFrame(rows, columns=["region_id", "day", "outflow_fen", "closing_fen"])
    return levels_frame(frame, settings=settings).set_index(["region_id", "day"])


def test_the_level_on_hand_computed_days_with_short_history_and_a_month_without_outflow():
    levels = _levels([
        ("R1", "2025-12-31", 30000, 90000),
        ("R1", "2026-01-01", 0, 90000),
        ("R1", "2026-02-10", 0, 90000),  # February: no outflow at all
        ("R1", "2026-03-01", 60000, 60000),
    ])
    # One day of history: daily 300.00, monthly 9,000.00; 900.00 covers 0.1 month, 3 days.
    first = levels.loc[("R1", "2025-12-31")]
    assert (first.avg_monthly_outflow_fen, first.level, first.days_of_cover, first.band) == (
        900000, "0.1000", "3.0", "warning")
    # Two days: 30000 / 2 = 15000 a day, 450000 a month; level 0.2, 6 days.
    second = levels.loc[("R1", "2026-01-01")]
    assert (second.avg_monthly_outflow_fen, second.level, second.days_of_cover) == (450000, "0.2000", "6.0")
    # The zero-outflow day lowers the average: 30000 / 3 days = 10000 a day.
    third = levels.loc[("R1", "2026-02-10")]
    assert (third.avg_monthly_outflow_fen, third.level, third.days_of_cover) == (300000, "0.3000", "9.0")
    # 90000 / 4 days = 22500 a day, 675000 a month; 60000 / 675000 = 0.08888… → 0.0889; 60000 / 22500 = 2.67 → 2.7.
    fourth = levels.loc[("R1", "2026-03-01")]
    assert (fourth.avg_monthly_outflow_fen, fourth.level, fourth.days_of_cover) == (675000, "0.0889", "2.7")


def test_the_window_starts_on_the_first_of_the_month_window_months_back():
    levels = _levels([
        ("R1", "2026-01-31", 1_000_000, 0),
        ("R1", "2026-02-01", 700, 0),
        ("R1", "2027-01-15", 0, 0),
        ("R1", "2027-01-16", 100, 3000),
    ])
    # 12 months back from January 2027 starts 2026-02-01: (700 + 0 + 100) / 3 days = 266.67 a day;
    # × 30 = 8000 exactly; 3000 / 8000 = 0.375; 3000 / (800/3) = 11.25 → 11.3 (half up).
    last = levels.loc[("R1", "2027-01-16")]
    assert (last.avg_monthly_outflow_fen, last.level, last.days_of_cover, last.band) == (8000, "0.3750", "11.3",
                                                                                        "low")
    one_month = _levels([("R1", "2026-01-31", 1_000_000, 0), ("R1", "2026-02-01", 700, 2100)], window_months=1)
    assert one_month.loc[("R1", "2026-02-01")].avg_monthly_outflow_fen == 21000


def test_the_monthly_average_rounds_half_up_to_the_fen():
    levels = _levels([("R1", f"2026-01-0{day}", 100 if day == 1 else 0, 1000) for day in range(1, 8)])
    # 100 fen over 7 days × 30 = 428.57 → 429; 1000 / 429 = 2.33100… → 2.3310; 1000 × 7 / 100 = 70 days.
    seventh = levels.loc[("R1", "2026-01-07")]
    assert (seventh.avg_monthly_outflow_fen, seventh.level, seventh.days_of_cover) == (429, "2.3310", "70.0")


@pytest.mark.parametrize(("closing", "level", "band"), [
    (899_700, "0.2999", "warning"),
    (900_000, "0.3000", "low"),
    (1_499_700, "0.4999", "low"),
    (1_500_000, "0.5000", "normal"),
    (2_400_000, "0.8000", "normal"),
    (2_400_300, "0.8001", "idle"),
])
def test_each_band_boundary(closing, level, band):
    # 100,000 fen a day is 3,000,000 a month.
    row = _levels([("R1", "2026-01-01", 100_000, closing)]).loc[("R1", "2026-01-01")]
    assert (row.level, row.band) == (level, band)
    assert band_for(Decimal(level), treasury_settings()) == band


def test_without_outflow_cash_is_idle_and_an_empty_treasury_is_a_warning():
    levels = _levels([("R1", "2026-01-01", 0, 5), ("R2", "2026-01-01", 0, 0)])
    assert pd.isna(levels.loc[("R1", "2026-01-01")].level) and levels.loc[("R1", "2026-01-01")].band == "idle"
    assert levels.loc[("R2", "2026-01-01")].band == "warning"
    assert pd.isna(levels.loc[("R2", "2026-01-01")].days_of_cover)
    settings = treasury_settings()
    assert band_for(None, settings, closing_fen=5) == TreasuryBand.IDLE
    assert band_for(None, settings, closing_fen=0) == TreasuryBand.WARNING


def test_thresholds_are_settings():
    settings = treasury_settings()
    settings.warning_below = Decimal("0.2")
    settings.save()
    levels_recompute()  # nothing stored: nothing written, no error
    row = _levels([("R1", "2026-01-01", 100_000, 900_000)], warning_below=Decimal("0.2")).loc[("R1", "2026-01-01")]
    assert row.band == "low"
    row = _levels([("R1", "2026-01-01", 100_000, 600_000)], warning_below=Decimal("0.2")).loc[("R1", "2026-01-01")]
    assert row.band == "low"
    row = _levels([("R1", "2026-01-01", 100_000, 590_000)], warning_below=Decimal("0.2")).loc[("R1", "2026-01-01")]
    assert row.band == "warning"


def _import(rows):
    result = statements_import(actor=None, content=statement_csv(rows), file_name="t.csv")
    assert result.status == "accepted", result.errors
    return result


def test_an_import_stores_the_levels_of_its_regions_and_recompute_rewrites_them():
    start = datetime.date(2026, 1, 1)
    _import(statement_rows(XIANGTAN_COUNTY, start, 3, opening=1000, inflow=0, outflow=100)
            + statement_rows(SHAOSHAN_CITY, start, 3, opening=1000, inflow=100, outflow=0))
    # 湘潭县: 100 yuan a day, 3,000 a month; the third day closes at 700 → 0.2333, 7.0 days.
    level = TreasuryLevel.objects.get(region_id=XIANGTAN_COUNTY, day=datetime.date(2026, 1, 3))
    assert (level.closing_fen, level.avg_monthly_outflow_fen, level.level, level.days_of_cover, level.band) == (
        70000, 300000, Decimal("0.2333"), Decimal("7.0"), "warning")
    assert TreasuryLevel.objects.get(region_id=SHAOSHAN_CITY, day=datetime.date(2026, 1, 3)).band == "idle"
    assert latest_levels([XIANGTAN_COUNTY])[XIANGTAN_COUNTY].day == datetime.date(2026, 1, 3)
    TreasuryLevel.objects.all().delete()
    assert levels_recompute([XIANGTAN_COUNTY]) == 3
    assert set(TreasuryLevel.objects.values_list("region_id", flat=True)) == {XIANGTAN_COUNTY}
    assert levels_recompute() == 6
    # An import of later days recomputes from its first day on and leaves earlier levels in place.
    first = TreasuryLevel.objects.get(region_id=XIANGTAN_COUNTY, day=start).pk
    _import(statement_rows(XIANGTAN_COUNTY, datetime.date(2026, 1, 4), 1, opening=700, inflow=0, outflow=100))
    assert TreasuryLevel.objects.get(region_id=XIANGTAN_COUNTY, day=start).pk == first
    assert TreasuryLevel.objects.filter(region_id=XIANGTAN_COUNTY).count() == 4


def test_treasury_status_prints_the_contract_json(capsys):
    start = datetime.date(2026, 1, 1)
    _import(statement_rows(XIANGTAN_COUNTY, start, 3, opening=1000, inflow=0, outflow=100)
            + statement_rows(SHAOSHAN_CITY, start, 2, opening=1000, inflow=100, outflow=0)
            + statement_rows("430100000000", start, 1))
    call_command("treasury_status", "--date", "2026-01-02", "--region", XIANGTAN_CITY, "--json")
    status = json.loads(capsys.readouterr().out)
    assert status["date"] == "2026-01-02"
    assert [row["region"] for row in status["regions"]] == [XIANGTAN_COUNTY, SHAOSHAN_CITY]
    county = status["regions"][0]
    assert county == {"region": XIANGTAN_COUNTY, "day": "2026-01-02", "closing_yuan": "800.00",
                      "avg_monthly_outflow_yuan": "3000.00", "level": 0.2667, "band": "warning",
                      "days_of_cover": 8.0}
    assert status["regions"][1]["level"] is None and status["regions"][1]["band"] == "idle"
    call_command("treasury_status", "--date", "2026-01-02", "--json")
    assert len(json.loads(capsys.readouterr().out)["regions"]) == 3


def test_the_demo_ends_in_every_band_and_adds_nothing_when_run_again(capsys):
    planted = ["430321000000", "430382000000", "430381000000", "430302000000"]
    call_command("demo_treasury", "--seed", "2026", "--years", "1", "--regions", ",".join(planted))
    bands = {code: level.band for code, level in latest_levels(planted).items()}
    assert bands == {"430321000000": "warning", "430382000000": "idle", "430381000000": "low",
                     "430302000000": "normal"}
    # A year of every day, breakdowns included, ending yesterday.
    from django.utils import timezone

    from disbursement.treasury.models import TreasuryStatement

    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    county = TreasuryStatement.objects.filter(region_id=XIANGTAN_COUNTY)
    assert county.latest("day").day == yesterday
    assert county.count() in (365, 366)
    assert not county.filter(outflow_wages_fen__isnull=True).exists()
    capsys.readouterr()
    call_command("demo_treasury", "--seed", "2026", "--years", "1", "--regions", ",".join(planted))
    assert "nothing added" in capsys.readouterr().out
    assert county.count() in (365, 366)


def test_the_province_administrator_changes_the_thresholds_and_every_level_follows(make_user, page_client):
    from disbursement.accounts.roles import Role

    _import(statement_rows(XIANGTAN_COUNTY, datetime.date(2026, 1, 1), 3, opening=1000, inflow=0, outflow=100))
    day = datetime.date(2026, 1, 3)
    assert TreasuryLevel.objects.get(region_id=XIANGTAN_COUNTY, day=day).band == "warning"  # level 0.2333
    client = page_client(make_user(Role.PROVINCE_ADMIN, "430000000000"))
    assert client.get("/admin/disbursement/treasurysettings/").status_code == 200
    response = client.post("/admin/disbursement/treasurysettings/1/change/", {
        "warning_below": "0.2", "low_below": "0.5", "idle_above": "0.8", "window_months": "12", "idle_days": "30",
        "forecast_months": "3"})
    assert response.status_code == 302
    assert treasury_settings().warning_below == Decimal("0.2")
    assert TreasuryLevel.objects.get(region_id=XIANGTAN_COUNTY, day=day).band == "low"


def test_a_bulk_write_rebuilds_the_indexes_and_constraints_it_dropped(monkeypatch):
    from django.db import IntegrityError, connection, transaction

    from disbursement.treasury import services
    from disbursement.treasury.models import TreasuryStatement

    def shape(table):
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s ORDER BY 1", [table])
            return cursor.fetchall()

    before = {table: shape(table) for table in ("disbursement_treasurylevel", "disbursement_treasurystatement")}
    monkeypatch.setattr(services, "BULK_REBUILD_ROWS", 1)
    _import(statement_rows(XIANGTAN_COUNTY, datetime.date(2026, 1, 1), 3))
    assert levels_recompute() == 3
    assert {table: shape(table) for table in before} == before
    stored = TreasuryStatement.objects.first()
    with pytest.raises(IntegrityError), transaction.atomic():
        TreasuryStatement.objects.create(region_id=stored.region_id, day=stored.day, opening_fen=0, inflow_fen=0,
                                         outflow_fen=0, closing_fen=0, imported_at=stored.imported_at)
