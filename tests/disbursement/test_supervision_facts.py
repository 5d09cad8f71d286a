"""The supervisor's figures against hand-computed values (tests/disbursement/supervision_builders.py)."""

import pytest

from disbursement.accounts.roles import Role
from disbursement.errors import NotFound
from disbursement.supervision import measures, selectors
from tests.conftest import QINGXI_TOWN, SHAOSHAN_CITY, TANJIASHAN_TOWN, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.supervision_builders import V_QINGXI_1, V_YISUHE_1, V_YISUHE_4, small_world


@pytest.fixture
def world(db):
    return small_world()


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
    assert len(keys) == 1 and len(next(iter(keys))) == 7


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


def test_treasury_band_is_empty_without_levels(world, city_supervisor):
    rows = measures.county_measure(user=city_supervisor, region_code=XIANGTAN_CITY, measure="treasury_band",
                                   year=2026)
    assert rows and all(row.value is None for row in rows)


def test_overview_figures_of_a_city(world, city_supervisor):
    view = selectors.overview(user=city_supervisor, year=2026)
    figures = {key: figure.value for key, figure in view.figures.items()}
    assert figures["paid_fen"] == 150_000 and figures["payments"] == 5
    assert figures["households"] == 4 and figures["persons"] == 5
    assert figures["failed"] == 2 and figures["reissued"] == 1
    assert figures["returned"] == 1 and figures["returned_fen"] == 15_000
    assert view.alerts_by_severity == {"high": 1, "medium": 0, "low": 0}
    assert view.figures["failed"].url == "/payments/?status=failed"
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


def test_a_county_user_sees_its_own_county(world, make_user):
    user = make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY)
    view = selectors.overview(user=user, year=2026)
    assert view.figures["paid_fen"].value == 50_000 and view.region_code == SHAOSHAN_CITY
    assert [r.code for r in selectors.children(user=user, region_code=SHAOSHAN_CITY, year=2026)
            if r.paid_fen] == [QINGXI_TOWN]
    assert selectors.village_rosters(user=user, village_code=V_QINGXI_1, year=2026)[0]["amount_fen"] == 50_000
