"""The supervisor's desk pages through the HTTP client: jurisdiction at every level of the drill-down and on the
fund flow (404 outside), the figures of a small paid year, the XLSX export, a village's roster lines ending at
the payment trace, and the fund flow's amounts against a hand-computed case."""

import io
import re

import pytest
from openpyxl import load_workbook

from disbursement.accounts.roles import Role
from disbursement.budget.verification import ledger_findings
from disbursement.supervision.flow import fund_flow
from tests.builders import ITEM
from tests.conftest import (
    CHANGSHA_CITY,
    CHANGSHA_COUNTY,
    SHAOSHAN_CITY,
    XIANGTAN_CITY,
    XIANGTAN_COUNTY,
    YISUHE_TOWN,
)
from tests.disbursement.desk_builders import VILLAGE, desk_people, desk_year

pytestmark = pytest.mark.django_db
PROVINCE = "430000000000"
YEAR = 2026


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    """Users are made by the handful per test; the real hasher's rounds would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def year(make_user):
    built = desk_year(desk_people(make_user))
    yield built
    assert ledger_findings() == []


def data_values(html: str, element_id: str) -> dict[str, int]:
    """{data-stage or data-link: data-value} of a flow table's rows."""
    table = html.split(f'id="{element_id}"', 1)[1].split("</table>", 1)[0]
    return {key: int(value) for key, value in re.findall(r'data-(?:stage|link)="([\w-]+)".*?data-value="(-?\d+)"',
                                                           table, flags=re.S)}


# Fund flow --------------------------------------------------------------------------------------------------------

def test_the_flow_adds_up_to_the_hand_computed_year(year, make_user):
    city = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    flow = fund_flow(user=city, indicator_id=year["indicator"].pk)
    amounts = {key: stage.amount_fen for key, stage in flow.stages.items()}
    assert amounts == {"issued": 1_000_000, "unreserved": 800_000, "reserved": 200_000, "paid": 100_000,
                       "failed": 100_000, "reissued": 50_000, "returned": 50_000, "awaiting": 0,
                       "unsettled": 50_000, "no_payment": 0}
    links = {(link.source, link.target): link.amount_fen for link in flow.links if link.amount_fen}
    assert links == {("issued", "reserved"): 200_000, ("issued", "unreserved"): 800_000,
                     ("reserved", "paid"): 100_000, ("reserved", "failed"): 100_000,
                     ("failed", "reissued"): 50_000, ("failed", "returned"): 50_000,
                     ("reissued", "unsettled"): 50_000}
    # Every stage passes on what it receives.
    for key in ("reserved", "failed", "reissued"):
        assert sum(v for (s, _t), v in links.items() if s == key) == amounts[key]
    assert flow.stages["failed"].count == 2 and flow.stages["paid"].count == 2


def test_the_flow_page_by_indicator_and_by_item_and_county_shows_the_same_amounts(year, make_user, page_client):
    client = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    by_indicator = client.get(f"/supervision/flow/?indicator={year['indicator'].pk}")
    by_item = client.get(f"/supervision/flow/?item={ITEM}&county={XIANGTAN_COUNTY}&year={YEAR}")
    by_county = client.get(f"/supervision/flow/?county={XIANGTAN_COUNTY}&year={YEAR}")
    assert by_indicator.status_code == by_item.status_code == by_county.status_code == 200
    stages = data_values(by_indicator.content.decode(), "flow-stages")
    assert stages == data_values(by_item.content.decode(), "flow-stages")
    assert stages == data_values(by_county.content.decode(), "flow-stages")
    assert stages["issued"] == 1_000_000 and stages["paid"] == 100_000 and stages["returned"] == 50_000
    links = data_values(by_indicator.content.decode(), "flow-links")
    assert links == {"issued-reserved": 200_000, "issued-unreserved": 800_000, "reserved-paid": 100_000,
                     "reserved-failed": 100_000, "failed-reissued": 50_000, "failed-returned": 50_000,
                     "reissued-unsettled": 50_000}
    html = by_indicator.content.decode()
    assert 'id="chart-flow"' in html and "10,000.00" in html and "/payments/?status=returned" in html


def test_the_flow_outside_the_jurisdiction_is_not_found(year, make_user, page_client):
    queries = [f"indicator={year['indicator'].pk}", f"item={ITEM}&county={XIANGTAN_COUNTY}&year={YEAR}",
               f"county={XIANGTAN_COUNTY}"]
    for user in (make_user(Role.SUPERVISOR, CHANGSHA_CITY), make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY)):
        client = page_client(user)
        for query in queries:
            assert client.get("/supervision/flow/?" + query).status_code == 404, (user.role, query)


@pytest.mark.parametrize("query", [
    "", "indicator=abc", "indicator=99999999", "indicator=" + "9" * 40, f"item={ITEM}&county=43&year=2026",
    f"item={ITEM}&county={YISUHE_TOWN}&year=2026", f"item={ITEM}&county={XIANGTAN_COUNTY}&year=<script>",
])
def test_hostile_flow_queries_answer_404_never_500(make_user, page_client, query):
    client = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    assert client.get("/supervision/flow/?" + query).status_code in (200, 404)


def test_the_flow_without_a_choice_offers_the_counties_in_reach(make_user, page_client):
    html = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY)).get("/supervision/flow/").content.decode()
    assert 'id="flow-choose"' in html and f'value="{XIANGTAN_COUNTY}"' in html
    assert f'value="{CHANGSHA_COUNTY}"' not in html


# Drill-down -------------------------------------------------------------------------------------------------------

LEVELS = [PROVINCE, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN, VILLAGE]


def test_every_level_of_the_drill_down_answers_only_inside_the_jurisdiction(year, make_user, page_client):
    roster = year["roster"].pk
    for role, home, reach in [(Role.PROVINCE_ADMIN, PROVINCE, 0), (Role.SUPERVISOR, XIANGTAN_CITY, 1),
                              (Role.SUPERVISOR, XIANGTAN_COUNTY, 2), (Role.COUNTY_FINANCE, XIANGTAN_COUNTY, 2)]:
        client = page_client(make_user(role, home))
        for depth, code in enumerate(LEVELS):
            expected = 200 if depth >= reach else 404
            assert client.get(f"/supervision/regions/{code}/").status_code == expected, (role, home, code)
        assert client.get(f"/supervision/regions/{VILLAGE}/rosters/{roster}/").status_code == 200
        if reach:
            assert client.get(f"/supervision/regions/{CHANGSHA_COUNTY}/").status_code == 404
            assert client.get(f"/supervision/regions/{CHANGSHA_CITY}/").status_code == 404


def test_another_countys_supervisor_reaches_none_of_it(year, make_user, page_client):
    client = page_client(make_user(Role.SUPERVISOR, SHAOSHAN_CITY))
    for code in LEVELS[1:]:
        assert client.get(f"/supervision/regions/{code}/").status_code == 404
    assert client.get(f"/supervision/regions/{VILLAGE}/rosters/{year['roster'].pk}/").status_code == 404
    assert client.get(f"/supervision/regions/{SHAOSHAN_CITY}/").status_code == 200


@pytest.mark.parametrize("code", ["x", "4303", "430300000000000", "999999999999", "43030000000a"])
def test_malformed_or_unknown_region_codes_are_not_found(make_user, page_client, code):
    client = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    assert client.get(f"/supervision/regions/{code}/").status_code == 404


def test_a_roster_under_a_village_it_has_no_lines_in_is_not_found(year, make_user, page_client):
    client = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    other_village = VILLAGE[:-1] + "2"
    assert client.get(f"/supervision/regions/{other_village}/rosters/{year['roster'].pk}/").status_code == 404
    assert client.get(f"/supervision/regions/{YISUHE_TOWN}/rosters/{year['roster'].pk}/").status_code == 404


def test_roles_outside_the_desk_are_refused(make_user, page_client):
    clerk = page_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    assert clerk.get("/supervision/").status_code == 403
    assert clerk.get(f"/supervision/regions/{YISUHE_TOWN}/").status_code == 403


def test_breadcrumbs_link_only_the_regions_in_reach(year, make_user, page_client):
    html = page_client(make_user(Role.SUPERVISOR, XIANGTAN_COUNTY)).get(
        f"/supervision/regions/{VILLAGE}/").content.decode()
    path = html.split('id="desk-path"', 1)[1].split("</ol>", 1)[0]
    assert f"/supervision/regions/{XIANGTAN_COUNTY}/" in path and f"/supervision/regions/{YISUHE_TOWN}/" in path
    assert f"/supervision/regions/{PROVINCE}/" not in path and f"/supervision/regions/{XIANGTAN_CITY}/" not in path
    assert "湖南省" in path and "湘潭市" in path  # shown as text


def test_the_county_table_shows_the_years_figures_by_township(year, make_user, page_client):
    html = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY)).get(
        f"/supervision/regions/{XIANGTAN_COUNTY}/?year={YEAR}").content.decode()
    row = html.split(f'data-code="{YISUHE_TOWN}"', 1)[1].split("</tr>", 1)[0]
    values = [int(v) for v in re.findall(r'data-value="(\d+)"', row)]
    # paid fen, payments, households, persons, failed, re-issued, returned, returned fen, open alerts
    assert values == [100_000, 2, 2, 2, 2, 1, 1, 50_000, 0]
    assert "1,000.00" in row and 'class="num"' in row
    assert "data-sort" in html and "js/tables" in html


def test_the_children_table_exports_to_xlsx_with_money_formatted(year, make_user, page_client):
    response = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY)).get(
        f"/supervision/regions/{XIANGTAN_COUNTY}/?year={YEAR}&export=xlsx")
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=False))
    town = next(r for r in rows if r[0].value == YISUHE_TOWN)
    assert town[1].value == "易俗河镇"
    assert float(town[2].value) == 1000.0 and town[2].number_format == "#,##0.00"
    assert float(town[9].value) == 500.0 and town[9].number_format == "#,##0.00"
    assert town[3].value == 2
    total = rows[-1]
    assert float(total[2].value) == 1000.0 and total[2].number_format == "#,##0.00"


def test_the_village_lists_its_rosters_and_their_lines_end_at_the_payment_trace(year, make_user, page_client):
    client = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    village = client.get(f"/supervision/regions/{VILLAGE}/?year={YEAR}").content.decode()
    lines_url = f"/supervision/regions/{VILLAGE}/rosters/{year['roster'].pk}/"
    assert lines_url in village and 'id="desk-children"' not in village
    html = client.get(lines_url).content.decode()
    payments = year["payments"]
    for payment in payments.values():
        assert payment.payee_name not in html  # names masked
    assert f"/payments/{year['reissue'].reference}/" in html  # the re-issue stands for its line now
    assert f"/payments/{year['failed_returned'].reference}/" in html
    assert html.count('href="/payments/P') == 4
    assert client.get(f"/payments/{year['reissue'].reference}/").status_code == 200


# Overview and home ------------------------------------------------------------------------------------------------

def test_the_overview_shows_the_years_headline_figures_with_their_lists(year, make_user, page_client):
    html = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY)).get(f"/supervision/?year={YEAR}").content.decode()
    figures = dict(re.findall(r'id="figure-(\w+)" data-value="(-?\d+)"', html))
    assert figures["paid_fen"] == "100000" and figures["payments"] == "2" and figures["households"] == "2"
    assert figures["failed"] == "2" and figures["reissued"] == "1" and figures["returned_fen"] == "50000"
    assert "1,000.00" in html and f'href="/payments/?status=failed&amp;region={XIANGTAN_CITY}&amp;year={YEAR}"' in html
    assert f"/supervision/regions/{XIANGTAN_CITY}/" in html and "/supervision/map/" in html


def test_other_jurisdictions_see_none_of_the_years_money(year, make_user, page_client):
    html = page_client(make_user(Role.SUPERVISOR, CHANGSHA_CITY)).get(f"/supervision/?year={YEAR}").content.decode()
    figures = dict(re.findall(r'id="figure-(\w+)" data-value="(-?\d+)"', html))
    assert figures["paid_fen"] == "0" and figures["failed"] == "0"


def test_supervisors_land_on_the_desk_and_county_finance_finds_it_on_the_workbench(make_user, page_client):
    supervisor = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    landing = supervisor.get("/")
    assert landing.status_code == 302 and landing["Location"] == "/supervision/"
    assert supervisor.get("/?workbench=1").status_code == 200
    finance = page_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)).get("/").content.decode()
    assert 'id="home-supervision"' in finance and 'href="/supervision/"' in finance
