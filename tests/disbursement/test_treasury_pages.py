"""Treasury pages and read API: the monthly and daily warning tables, the county × month grid, a region's days,
the status API, the XLSX export — with counts hand-checked on a small built history, and jurisdiction at each
page and endpoint (county finance sees its county, a city supervisor its city's treasuries, 404 outside)."""

import calendar
import datetime
import io
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from disbursement.accounts.roles import Role
from disbursement.treasury.tables import month_shift
from tests.conftest import CHANGSHA_COUNTY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.treasury_builders import IDLE, LOW, NORMAL, WARNING, closing_rows, runs, treasury_history

SHAOSHAN = "430382000000"  # 韶山市, a county-level city of 湘潭市


def _recent_months() -> tuple[datetime.date, datetime.date]:
    """The latest two past months of 31 and 30 days (the forecast reads only the last twelve months)."""
    month = month_shift(timezone.localdate().replace(day=1), -2)
    def days(first):
        return calendar.monthrange(first.year, first.month)[1]

    while (days(month), days(month_shift(month, 1))) != (31, 30):
        month = month_shift(month, -1)
    return month, month_shift(month, 1)


MARCH, APRIL = _recent_months()  # named for the shape of their days: 31 and 30
YEAR, M = MARCH.year, f"{MARCH:%Y-%m}"

# 湘潭县 in "March", day by day (outflow 100 yuan a day, so level = closing / 3,000 yuan):
#   1–5 at 2,000 (normal); 6–19 falling 100 a day from 1,900 to 600: 1,900…1,500 normal (1,500 is exactly 0.5),
#   1,400…900 low (900 is exactly 0.3), 800…600 warning; 20–24 at 600 (warning); 25–31 at 2,000 (normal).
#   Red days 3 + 5 = 8, yellow days 6. April: 3,000 every day (idle).
XIANGTAN_MARCH = runs((5, NORMAL)) + list(range(190_000, 50_000, -10_000)) + runs((5, WARNING), (7, NORMAL))


@pytest.fixture
def history(db):
    assert len(XIANGTAN_MARCH) == 31
    treasury_history(
        closing_rows(XIANGTAN_COUNTY, MARCH, XIANGTAN_MARCH + runs((30, IDLE)))
        + closing_rows(SHAOSHAN, MARCH, runs((61, IDLE)))
        + closing_rows(XIANGTAN_CITY, MARCH, runs((31, LOW)))
        + closing_rows(CHANGSHA_COUNTY, MARCH, runs((31, WARNING))))


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    """Signing in is not what these tests are about; the fast hasher keeps a dozen sign-ins cheap."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class People(dict):
    """Users made on first use: a test pays only for the people it signs in as."""

    ROLES = {"city": (Role.SUPERVISOR, XIANGTAN_CITY), "finance": (Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
             "province": (Role.PROVINCE_ADMIN, "430000000000"), "clerk": (Role.TOWNSHIP_CLERK, YISUHE_TOWN)}

    def __init__(self, make_user):
        super().__init__()
        self.make_user = make_user

    def __missing__(self, key):
        self[key] = self.make_user(*self.ROLES[key])
        return self[key]


@pytest.fixture
def people(make_user):
    return People(make_user)


def _rows(response):
    return {row.code: row for row in response.context["table"].rows}


def test_the_monthly_table_sums_the_month_and_counts_red_and_yellow_days(page_client, people, history):
    response = page_client(people["city"]).get("/treasury/", {"month": M})
    assert response.status_code == 200
    rows = _rows(response)
    assert list(rows) == [XIANGTAN_CITY, XIANGTAN_COUNTY, SHAOSHAN]  # 长沙县 is another city's
    county = rows[XIANGTAN_COUNTY]
    assert (county.opening_fen, county.inflow_fen, county.outflow_fen, county.closing_fen) == (
        200_000, 310_000, 310_000, 200_000)
    assert (county.red_days, county.yellow_days, county.days) == (8, 6, 31)
    assert (county.level, county.band) == (Decimal("0.6667"), "normal")  # on March 31
    assert (rows[XIANGTAN_CITY].red_days, rows[XIANGTAN_CITY].yellow_days, rows[XIANGTAN_CITY].band) == (0, 31, "low")
    assert response.context["table"].band_counts == {"warning": 0, "low": 1, "normal": 1, "idle": 1}
    html = response.content.decode()
    assert 'data-red-days="8"' in html and "3,100.00" in html and "band-low" in html
    assert f'href="/treasury/regions/{XIANGTAN_COUNTY}/?month={M}"' in html


def test_the_monthly_table_defaults_to_the_latest_month_and_sorts_by_level(page_client, people, history):
    client = page_client(people["city"])
    latest = client.get("/treasury/")
    assert latest.context["table"].month == APRIL
    assert list(_rows(latest)) == [XIANGTAN_COUNTY, SHAOSHAN]  # the city has no April statements
    ascending = client.get("/treasury/", {"month": M, "sort": "level"}).context["table"].rows
    assert [r.code for r in ascending] == [XIANGTAN_CITY, XIANGTAN_COUNTY, SHAOSHAN]  # 0.4, 0.6667, 1.0
    descending = client.get("/treasury/", {"month": M, "sort": "-level"}).context["table"].rows
    assert [r.code for r in descending] == [SHAOSHAN, XIANGTAN_COUNTY, XIANGTAN_CITY]


def test_the_export_writes_the_filtered_table_with_numbers_formatted(page_client, people, history):
    response = page_client(people["city"]).get("/treasury/export/", {"month": M, "region": XIANGTAN_COUNTY})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=2))
    assert [row[0].value for row in rows] == [XIANGTAN_COUNTY]  # the region filter applies
    opening, inflow, outflow, closing = (cell.value for cell in rows[0][2:6])
    assert (opening, inflow, outflow, closing) == (2000, 3100, 3100, 2000)
    assert all(cell.number_format == "#,##0.00" for cell in rows[0][2:7])
    assert rows[0][7].value == pytest.approx(0.6667) and (rows[0][10].value, rows[0][11].value) == (8, 6)


def test_the_daily_table_shows_each_region_on_the_day(page_client, people, history):
    response = page_client(people["city"]).get("/treasury/daily/", {"date": f"{M}-20"})
    rows = _rows(response)
    assert list(rows) == [XIANGTAN_CITY, XIANGTAN_COUNTY, SHAOSHAN]
    county = rows[XIANGTAN_COUNTY]
    assert (county.opening_fen, county.closing_fen, county.level, county.band) == (
        60_000, 60_000, Decimal("0.2000"), "warning")
    assert "600.00" in response.content.decode()


def test_the_grid_counts_red_and_yellow_days_per_county_and_month(page_client, people, history):
    response = page_client(people["city"]).get("/treasury/grid/", {"year": str(YEAR)})
    grid = response.context["grid"]
    rows = {row.code: row for row in grid.rows}
    assert XIANGTAN_COUNTY in rows and SHAOSHAN in rows and CHANGSHA_COUNTY not in rows
    assert XIANGTAN_CITY not in rows  # counties only
    march, april = rows[XIANGTAN_COUNTY].cells[MARCH.month - 1], rows[XIANGTAN_COUNTY].cells[APRIL.month - 1]
    assert (march.red, march.yellow, march.worse) == (8, 6, "warning")
    assert (april.red, april.yellow, april.worse) == (0, 0, "")
    assert (rows[SHAOSHAN].red, rows[SHAOSHAN].yellow) == (0, 0)
    html = response.content.decode()
    assert f'data-month="{M}" data-red="8" data-yellow="6"' in html
    assert f'href="/treasury/regions/{XIANGTAN_COUNTY}/?month={M}"' in html


def test_a_regions_page_shows_its_days_and_the_history_chart(page_client, people, history):
    response = page_client(people["finance"]).get(f"/treasury/regions/{XIANGTAN_COUNTY}/", {"month": M})
    assert response.status_code == 200
    days = response.context["days"]
    assert len(days) == 31 and [d.band for d in days].count("warning") == 8
    chart = response.context["chart"]
    assert chart["series"][0]["data"][-1] == pytest.approx(0.6667)
    assert [line["yAxis"] for line in chart["series"][0]["markLine"]["data"]] == [0.3, 0.5, 0.8]
    assert 'id="treasury-history"' in response.content.decode()


def test_county_finance_sees_only_its_county(page_client, api_client, people, history):
    client = page_client(people["finance"])
    assert list(_rows(client.get("/treasury/", {"month": M}))) == [XIANGTAN_COUNTY]
    assert [row.code for row in client.get("/treasury/grid/").context["grid"].rows] == [XIANGTAN_COUNTY]
    for url in (f"/treasury/regions/{SHAOSHAN}/", f"/treasury/?region={SHAOSHAN}",
                f"/treasury/regions/{XIANGTAN_CITY}/", f"/treasury/export/?region={XIANGTAN_CITY}",
                f"/treasury/grid/?region={SHAOSHAN}"):
        assert client.get(url).status_code == 404, url
    api = api_client(people["finance"])
    status = api.get("/api/v1/treasury/status", {"date": f"{M}-31"}).json()
    assert [r["region"] for r in status["regions"]] == [XIANGTAN_COUNTY]
    today = api.get("/api/v1/treasury/status").json()["regions"]  # as of today: the latest statement
    assert [(r["region"], r["day"], r["band"]) for r in today] == [(XIANGTAN_COUNTY, f"{APRIL:%Y-%m}-30", "idle")]
    assert api.get("/api/v1/treasury/status", {"region": SHAOSHAN}).status_code == 404
    assert api.get(f"/api/v1/treasury/regions/{SHAOSHAN}/days").status_code == 404


@pytest.mark.parametrize("url", [
    f"/treasury/regions/{CHANGSHA_COUNTY}/", f"/treasury/?region={CHANGSHA_COUNTY}",
    f"/treasury/daily/?region={CHANGSHA_COUNTY}", f"/treasury/grid/?region={CHANGSHA_COUNTY}",
    f"/api/v1/treasury/status?region={CHANGSHA_COUNTY}", f"/api/v1/treasury/regions/{CHANGSHA_COUNTY}/days",
    f"/api/v1/treasury/grid?region={CHANGSHA_COUNTY}", "/treasury/regions/430321100000/",  # a township: no treasury
])
def test_a_city_supervisor_gets_404_outside_the_city(page_client, people, history, url):
    assert page_client(people["city"]).get(url).status_code == 404


def test_the_status_api_follows_the_treasury_status_contract(api_client, people, history):
    body = api_client(people["city"]).get("/api/v1/treasury/status", {"date": f"{M}-31"}).json()
    assert body["date"] == f"{M}-31"
    day = f"{M}-31"
    assert body["regions"] == [
        {"region": XIANGTAN_CITY, "day": day, "closing_yuan": "1200.00", "avg_monthly_outflow_yuan": "3000.00",
         "level": 0.4, "band": "low", "days_of_cover": 12.0},
        {"region": XIANGTAN_COUNTY, "day": day, "closing_yuan": "2000.00", "avg_monthly_outflow_yuan": "3000.00",
         "level": 0.6667, "band": "normal", "days_of_cover": 20.0},
        {"region": SHAOSHAN, "day": day, "closing_yuan": "3000.00", "avg_monthly_outflow_yuan": "3000.00",
         "level": 1.0, "band": "idle", "days_of_cover": 30.0},
    ]
    province = api_client(people["province"]).get("/api/v1/treasury/status", {"date": f"{M}-31"}).json()
    assert CHANGSHA_COUNTY in [r["region"] for r in province["regions"]]


def test_the_days_and_grid_api(api_client, people, history):
    api = api_client(people["city"])
    days = api.get(f"/api/v1/treasury/regions/{XIANGTAN_COUNTY}/days",
                   {"start": f"{M}-17", "end": f"{M}-19"}).json()
    assert days["count"] == 3
    assert [(d["day"], d["closing_yuan"], d["band"]) for d in days["items"]] == [
        (f"{M}-17", "800.00", "warning"), (f"{M}-18", "700.00", "warning"),
        (f"{M}-19", "600.00", "warning")]
    latest = api.get(f"/api/v1/treasury/regions/{XIANGTAN_COUNTY}/days").json()
    assert latest["count"] == 30  # April, the region's latest month
    grid = api.get("/api/v1/treasury/grid", {"year": str(YEAR), "region": XIANGTAN_COUNTY}).json()
    assert grid["year"] == YEAR and [c["region"] for c in grid["counties"]] == [XIANGTAN_COUNTY]
    assert grid["counties"][0]["months"][MARCH.month - 1] == {"month": M, "red_days": 8, "yellow_days": 6}


def test_roles_without_treasury_and_bad_filters_are_refused(page_client, api_client, people, history):
    clerk = page_client(people["clerk"])
    assert clerk.get("/treasury/").status_code == 302
    assert api_client(people["clerk"]).get("/api/v1/treasury/status").status_code == 403
    city = page_client(people["city"])
    assert city.get("/treasury/", {"month": "2026-13"}).status_code == 302
    assert city.get("/treasury/regions/not-a-code/").status_code == 404
    api = api_client(people["city"])
    bad = api.get("/api/v1/treasury/status", {"date": "yesterday"})
    assert bad.status_code == 422 and bad.json()["field"] == "date"
    assert api.get("/api/v1/treasury/grid", {"year": "20x6"}).json()["field"] == "year"
    reversed_range = api.get(f"/api/v1/treasury/regions/{XIANGTAN_COUNTY}/days",
                             {"start": f"{M}-20", "end": f"{M}-18"})
    assert reversed_range.status_code == 422 and reversed_range.json()["field"] == "end"


def test_the_forecast_page_and_api_show_the_counties_in_reach(page_client, api_client, people, history):
    response = page_client(people["city"]).get("/treasury/forecast/")
    counties = response.context["counties"]
    assert [c.code for c in counties] == [XIANGTAN_COUNTY, SHAOSHAN]  # 长沙县 is another city's
    county = counties[0].forecast
    assert county.latest_day == datetime.date(YEAR, APRIL.month, 30) and county.closing_fen == IDLE
    assert [row.label for row in county.rows] == [f"{month_shift(APRIL, k):%Y-%m}" for k in (1, 2, 3)]
    assert county.rows[0].opening_fen == IDLE
    html = response.content.decode()
    assert f'data-region="{XIANGTAN_COUNTY}" data-month="{month_shift(APRIL, 1):%Y-%m}"' in html
    assert 'id="transfer-form"' not in html
    body = api_client(people["finance"]).get("/api/v1/treasury/forecast").json()
    assert [c["region"] for c in body["items"]] == [XIANGTAN_COUNTY]
    assert body["items"][0]["months"][0]["opening_yuan"] == "3000.00"
    assert api_client(people["finance"]).get("/api/v1/treasury/forecast", {"region": SHAOSHAN}).status_code == 404


def test_the_province_schedules_a_transfer_from_the_forecast_page(page_client, people, history):
    from disbursement.treasury.models import ScheduledTransfer

    month = timezone.localdate().strftime("%Y-%m")
    form = {"region": XIANGTAN_COUNTY, "month": month, "amount": "5,000.00", "document": "湘财预〔2026〕1号"}
    province = page_client(people["province"])
    assert 'id="transfer-form"' in province.get("/treasury/forecast/").content.decode()
    assert province.post("/treasury/forecast/", {**form, "amount": "12.345"}).status_code == 302
    assert page_client(people["city"]).post("/treasury/forecast/", form).status_code == 302  # refused: a message
    assert not ScheduledTransfer.objects.exists()
    province.post("/treasury/forecast/", form)
    transfer = ScheduledTransfer.objects.get()
    assert (transfer.region_id, transfer.amount_fen, transfer.month.day) == (XIANGTAN_COUNTY, 500_000, 1)
