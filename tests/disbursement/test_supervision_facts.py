"""The supervisor's figures against hand-computed values (tests/disbursement/supervision_builders.py)."""

import pytest

from disbursement.accounts.roles import Role
from disbursement.errors import NotFound
from disbursement.supervision import measures, selectors
from disbursement.supervision.services import facts_refresh
from tests.conftest import QINGXI_TOWN, SHAOSHAN_CITY, TANJIASHAN_TOWN, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.supervision_builders import V_QINGXI_1, V_YISUHE_1, V_YISUHE_4, small_world


@pytest.fixture
def world(db):
    made = small_world()
    facts_refresh()
    return made


@pytest.fixture
def city_supervisor(make_user):
    return make_user(Role.SUPERVISOR, XIANGTAN_CITY)


def by_code(rows):
    return {row.code: row for row in rows}


def test_paid_per_household_and_per_person(world, city_supervisor):
    rows = by_code(measures.county_measure(user=city_supervisor, region_code=XIANGTAN_CITY,
                                           measure="paid_per_household", year=2026))
    assert rows[XIANGTAN_COUNTY].value == pytest.approx(100_000 / 3 / 100)
    assert rows[XIANGTAN_COUNTY].display.startswith("333.33")
    assert rows[SHAOSHAN_CITY].value == pytest.approx(500.0)
    per_person = by_code(measures.county_measure(user=city_supervisor, region_code=XIANGTAN_CITY,
                                                 measure="paid_per_person", year=2026))
    assert per_person[XIANGTAN_COUNTY].value == pytest.approx(200.0)
    assert per_person[SHAOSHAN_CITY].value == pytest.approx(250.0)
    assert per_person["430302000000"].value is None  # a county of the city where nobody lives on the register
    keys = {tuple(row.figures) for row in per_person.values()}
    assert len(keys) == 1 and len(next(iter(keys))) == 8


def test_change_against_the_previous_year(world, city_supervisor):
    rows = by_code(measures.county_measure(user=city_supervisor, region_code=XIANGTAN_CITY,
                                           measure="change_vs_previous_year", year=2026))
    assert rows[XIANGTAN_COUNTY].value == pytest.approx(0.25)
    assert rows[XIANGTAN_COUNTY].display == "+25.0%"
    assert rows[SHAOSHAN_CITY].value is None  # nothing paid in 2025


def test_open_alerts_per_ten_thousand_payments(world, city_supervisor):
    rows = by_code(measures.county_measure(user=city_supervisor, region_code=XIANGTAN_CITY,
                                           measure="alerts_per_10k", year=2026))
    assert rows[XIANGTAN_COUNTY].value == pytest.approx(2500.0)  # 1 open alert × 10,000 ÷ 4 paid payments
    assert rows[SHAOSHAN_CITY].value == pytest.approx(0.0)


def test_treasury_band_is_the_latest_level_of_each_county(world, city_supervisor):
    import datetime

    from disbursement.treasury.services import statements_import
    from tests.disbursement.treasury_builders import statement_csv, statement_rows

    january = datetime.date(2026, 1, 1)
    rows = [*statement_rows(XIANGTAN_COUNTY, january, 31, opening=6_200, inflow=1_000, outflow=1_000),
            *statement_rows(SHAOSHAN_CITY, january, 31, opening=1_000_000, inflow=1_000, outflow=1_000)]
    statements_import(actor=None, content=statement_csv(rows), file_name="t.csv")
    rows = by_code(measures.county_measure(user=city_supervisor, region_code=XIANGTAN_CITY, measure="treasury_band",
                                           year=2026))
    # 6,200 yuan closing ÷ 30,000 yuan average monthly outflow (1,000 a day, a month counted as 30 days) = 0.2067.
    assert rows[XIANGTAN_COUNTY].band == "warning" and rows[XIANGTAN_COUNTY].value == pytest.approx(0.2067)
    assert rows[SHAOSHAN_CITY].band == "idle"  # 1,000,000 ÷ 30,000 ≈ 33.3
    assert rows["430302000000"].value is None and rows["430302000000"].band is None
    assert selectors.overview(user=city_supervisor, year=2026).bands == {"warning": 1, "idle": 1}


def test_overview_figures_of_a_city(world, city_supervisor):
    view = selectors.overview(user=city_supervisor, year=2026)
    figures = {key: figure.value for key, figure in view.figures.items()}
    assert figures["paid_fen"] == 150_000 and figures["payments"] == 5
    assert figures["households"] == 4 and figures["persons"] == 5
    assert figures["failed"] == 2 and figures["reissued"] == 1
    assert figures["returned"] == 1 and figures["returned_fen"] == 15_000
    assert view.alerts_by_severity == {"high": 1, "medium": 0, "low": 0}
    assert figures["stopped"] == 1 and figures["stopped_fen"] == 70_000
    assert view.as_of is not None
    assert view.figures["failed"].url == f"/payments/?status=failed&region={XIANGTAN_CITY}&year=2026"
    assert view.figures["alerts_high"].url.startswith("/alerts/?")


def test_overview_narrowed_to_an_item_without_payments(world, city_supervisor):
    view = selectors.overview(user=city_supervisor, year=2026, item="0604")
    assert view.figures["paid_fen"].value == 0
    assert view.alerts_by_severity["high"] == 1  # the alert is about 0604


def test_children_at_each_level(world, city_supervisor):
    counties = by_code(selectors.children(user=city_supervisor, region_code=XIANGTAN_CITY, year=2026))
    assert counties[XIANGTAN_COUNTY].paid_fen == 100_000 and counties[XIANGTAN_COUNTY].open_alerts == 1
    townships = by_code(selectors.children(user=city_supervisor, region_code=XIANGTAN_COUNTY, year=2026))
    assert townships[YISUHE_TOWN].paid_fen == 60_000 and townships[YISUHE_TOWN].households == 2
    assert townships[TANJIASHAN_TOWN].returned_fen == 15_000
    villages = by_code(selectors.children(user=city_supervisor, region_code=YISUHE_TOWN, year=2026))
    assert villages[V_YISUHE_1].paid_fen == 30_000 and villages[V_YISUHE_1].persons == 2
    assert villages[V_YISUHE_4].failed == 1 and villages[V_YISUHE_4].reissued == 1
    assert villages[V_YISUHE_4].payments == 1


def test_by_item_by_month_rosters_and_alerts(world, city_supervisor):
    assert selectors.by_item(user=city_supervisor, region_code=XIANGTAN_COUNTY, year=2026) == [
        ("0401", "城市最低生活保障金（A类）", 100_000, 4)]
    assert selectors.by_month(user=city_supervisor, region_code=XIANGTAN_CITY, year=2026) == [
        ("2026-03", 100_000, 4), ("2026-04", 50_000, 1)]
    rosters = selectors.village_rosters(user=city_supervisor, village_code=V_YISUHE_1, year=2026)
    assert [(r["roster"], r["lines"], r["amount_fen"]) for r in rosters] == [(world["rosters"]["yisuhe"].pk, 2,
                                                                               30_000)]
    alerts = selectors.open_alerts(user=city_supervisor, region_code=YISUHE_TOWN)
    assert [a.pk for a in alerts] == [world["open_alert"]]


@pytest.mark.parametrize("region", [XIANGTAN_COUNTY, XIANGTAN_CITY, YISUHE_TOWN, V_YISUHE_1, "430000000000"])
def test_a_county_user_reaches_nothing_outside_the_county(world, make_user, region):
    user = make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY)
    with pytest.raises(NotFound):
        selectors.children(user=user, region_code=region, year=2026)
    with pytest.raises(NotFound):
        selectors.open_alerts(user=user, region_code=region)
    with pytest.raises(NotFound):
        measures.county_measure(user=user, region_code=region, measure="paid_per_person", year=2026)


@pytest.mark.parametrize("year", ["20x6", 1999, "99999999999999999999"])
def test_a_bad_year_or_item_is_refused_with_the_field_named(world, city_supervisor, year):
    from disbursement.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        selectors.children(user=city_supervisor, region_code=XIANGTAN_CITY, year=year)
    assert refused.value.field == "year"
    with pytest.raises(ValidationFailed) as refused:
        selectors.overview(user=city_supervisor, year=2026, item="9999'--")
    assert refused.value.field == "item"


def test_a_county_user_sees_its_own_county(world, make_user):
    user = make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY)
    view = selectors.overview(user=user, year=2026)
    assert view.figures["paid_fen"].value == 50_000 and view.region_code == SHAOSHAN_CITY
    assert [r.code for r in selectors.children(user=user, region_code=SHAOSHAN_CITY, year=2026)
            if r.paid_fen] == [QINGXI_TOWN]
    rosters = selectors.village_rosters(user=user, village_code=V_QINGXI_1, year=2026)
    assert [(r["period"], r["amount_fen"]) for r in rosters] == [("2026-05", 70_000), ("2026-03", 50_000)]


def test_figures_stay_as_of_the_last_refresh_and_a_refresh_twice_changes_nothing(world, city_supervisor):
    from disbursement.payments.models import Payment, PaymentStatus
    from disbursement.supervision.models import PaymentFact, ReachFact

    before = selectors.overview(user=city_supervisor, year=2026)
    Payment.objects.filter(roster=world["rosters"]["qingxi"]).update(status=PaymentStatus.FAILED)
    assert selectors.overview(user=city_supervisor, year=2026).figures["paid_fen"].value == 150_000
    facts_refresh(county_codes=[SHAOSHAN_CITY], years=[2026])
    after = selectors.overview(user=city_supervisor, year=2026)
    assert after.figures["paid_fen"].value == 100_000 and after.figures["failed"].value == 3
    assert after.as_of >= before.as_of
    counts = (PaymentFact.objects.count(), ReachFact.objects.count())
    facts_refresh(county_codes=[SHAOSHAN_CITY], years=[2026])
    facts_refresh(county_codes=[SHAOSHAN_CITY])
    assert (PaymentFact.objects.count(), ReachFact.objects.count()) == counts
    assert selectors.overview(user=city_supervisor, year=2026).figures["paid_fen"].value == 100_000


def test_the_command_rebuilds_and_refuses_a_bad_county(db, city_supervisor):
    from django.core.management import CommandError, call_command

    small_world()
    assert selectors.overview(user=city_supervisor, year=2026).figures["paid_fen"].value == 0
    call_command("refresh_supervision_facts", "--county", XIANGTAN_COUNTY, "--year", "2026", stdout=None)
    assert selectors.overview(user=city_supervisor, year=2026).figures["paid_fen"].value == 100_000
    with pytest.raises(CommandError):
        call_command("refresh_supervision_facts", "--county", YISUHE_TOWN)


@pytest.mark.django_db(transaction=True)
def test_a_reconciled_return_file_refreshes_the_county_through_the_real_worker(reference_in_transactional_db,
                                                                              make_user, settings):
    import time
    from datetime import date

    from celery.contrib.testing.worker import start_worker

    from backend.celery import app
    from disbursement.banking.services import bank_files_generate, return_file_import
    from disbursement.banking.simulator import bank_simulate
    from disbursement.rosters.workflow import roster_act
    from tests.builders import accepted_roster, issue, through_department

    settings.SUPERVISION_REFRESH_DELAY = 0
    people = {"clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
              "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
              "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)}
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    issue(10_000_000)
    roster = through_department(accepted_roster(4), people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    year = int(roster.period[:4])
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
        answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0, seed=1, processed=date.today())
        return_file_import(actor=people["finance"], data=answer)
        deadline = time.monotonic() + 30
        while (selectors.overview(user=supervisor, year=year).figures["payments"].value < 4
               and time.monotonic() < deadline):
            time.sleep(0.2)
    view = selectors.overview(user=supervisor, year=year)
    assert view.figures["payments"].value == 4 and view.figures["paid_fen"].value == 200_000
    assert view.as_of is not None
