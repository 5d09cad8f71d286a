"""The staff lists filter, paginate and export with the filters applied: payments, failed payments, rosters and
complaints. Each filter narrows; the XLSX holds the filtered rows, amounts as formatted numbers and times as dates;
jurisdiction holds; a bad filter value is a 400 with a message, never a 500 or unfiltered rows."""

import io
import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone, translation
from openpyxl import load_workbook

from disbursement.accounts.roles import Role
from disbursement.banking.codes import REASONS
from disbursement.complaints.services import complaint_submit
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from tests.builders import ITEM, accepted_roster, roster_returned
from tests.conftest import QINGXI_TOWN, SHAOSHAN_CITY, TANJIASHAN_TOWN, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

pytestmark = pytest.mark.django_db

V1 = "430321100001"  # 吴家巷社区居委会, 易俗河镇
V4 = "430321100004"  # 富豪阁社区居委会, 易俗河镇
ABC, CCB = "中国农业银行", "中国建设银行"


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
        "supervisor": make_user(Role.SUPERVISOR, XIANGTAN_CITY),
    }


@pytest.fixture
def payments(people):
    """Four payments of one roster: R06 in V1, paid in V1 (another bank), R03 in V4, paid in V4."""
    return roster_returned(people, [(V1, ABC, "R06"), (V1, CCB, None), (V4, ABC, "R03"), (V4, ABC, None)])


def shown(client, user, url) -> set[str]:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return set(re.findall(r'data-reference="([^"]+)"', response.content.decode()))


def workbook(response):
    assert response.status_code == 200 and response["Content-Type"].startswith(
        "application/vnd.openxmlformats"), response.content[:300]
    return load_workbook(io.BytesIO(response.content)).active


def refs(payments, *positions) -> set[str]:
    return {payments[i].reference for i in positions}


def test_each_payment_filter_narrows_within_the_jurisdiction(client, people, payments, make_user):
    supervisor = people["supervisor"]
    assert shown(client, supervisor, "/payments/") == refs(payments, 0, 1, 2, 3)
    cases = {
        "status=failed": (0, 2), "status=paid": (1, 3), "reason=R06": (0,), f"village={V4}": (2, 3),
        f"region={V1}": (0, 1), f"region={YISUHE_TOWN}": (0, 1, 2, 3), f"region={TANJIASHAN_TOWN}": (),
        f"bank={CCB}": (1,), "item=0604": (0, 1, 2, 3), "item=0101": (), "period=2026": (0, 1, 2, 3),
        "period=2025": (), "year=2026": (0, 1, 2, 3), "year=2025": (),
        f"status=failed&region={XIANGTAN_CITY}&year=2026": (0, 2),
    }
    for query, positions in cases.items():
        assert shown(client, supervisor, f"/payments/?{query}") == refs(payments, *positions), query
    # The supervisor's desk links to the list with its region and year, and the list answers them.
    client.force_login(people["supervisor"])
    html = client.get("/supervision/?year=2026").content.decode()
    link = re.search(r'href="(/payments/\?[^"]*status=failed[^"]*)"', html).group(1).replace("&amp;", "&")
    assert f"region={XIANGTAN_CITY}" in link and "year=2026" in link
    assert shown(client, people["supervisor"], link) == refs(payments, 0, 2)
    # Jurisdiction: another township's clerk sees none of them and may not filter by this township.
    other_clerk = make_user(Role.TOWNSHIP_CLERK, TANJIASHAN_TOWN)
    assert shown(client, other_clerk, "/payments/") == set()
    assert shown(client, other_clerk, "/payments/failed/") == set()
    response = client.get(f"/payments/?region={YISUHE_TOWN}")
    assert response.status_code == 400 and 'id="filter-error"' in response.content.decode()
    shaoshan = make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY)
    client.force_login(shaoshan)
    assert len(list(workbook(client.get("/payments/?export=xlsx")).iter_rows())) == 1


def test_payment_exports_hold_the_filtered_rows_with_money_as_numbers(client, people, payments):
    client.force_login(people["supervisor"])
    sheet = workbook(client.get(f"/payments/?status=failed&village={V4}&export=xlsx"))
    rows = list(sheet.iter_rows(values_only=False))
    assert len(rows) == 2
    # Columns: reference, item, period, township, village, payee, card, bank, amount, status, bank result,
    # attempt, created, settled; headers in the page's language (Chinese by default).
    row = rows[1]
    assert rows[0][0].value != "Reference" and row[0].value == payments[2].reference
    assert row[8].value == 500 and row[8].number_format == "#,##0.00"
    assert isinstance(row[12].value, datetime) and row[12].number_format == "yyyy-mm-dd hh:mm"
    assert row[4].value == "富豪阁社区居委会" and row[7].value == ABC and row[10].value.startswith("R03 ")
    name = payments[2].payee_name
    assert all(name not in str(cell.value) for cell in row) and "*" in row[5].value and "*" in row[6].value
    # The failed list: failures only, by their own filters, exported with what to do next.
    clerk = people["clerk"]
    assert shown(client, clerk, "/payments/failed/") == refs(payments, 0, 2)
    assert shown(client, clerk, "/payments/failed/?reason=R03") == refs(payments, 2)
    assert shown(client, clerk, f"/payments/failed/?roster={payments[0].roster_id}&village={V1}") == refs(payments, 0)
    # The status of the failed list is fixed: a status in the link does not widen it.
    assert shown(client, clerk, "/payments/failed/?status=paid") == refs(payments, 0, 2)
    client.force_login(clerk)
    sheet = workbook(client.get("/payments/failed/?export=xlsx"))
    rows = list(sheet.iter_rows(values_only=True))
    with translation.override("zh-hans"):
        assert len(rows) == 3 and len(rows[0]) == 15 and {row[11] for row in rows[1:]} == {
            str(REASONS[code].action) for code in ("R06", "R03")}  # in the request's language
    assert {row[0] for row in rows[1:]} == refs(payments, 0, 2)


BAD_PAYMENT_FILTERS = [
    "status=bogus", "reason=R42", "region=12345", "region=abc", "village=430321100000", "year=19", "year=abcd",
    "period=2026X", "item=ZZZZ", "roster=x", "bank=" + "b" * 61, "status=failed&export=xlsx&year=1999",
]


def test_a_bad_payment_filter_is_a_400_with_a_message(client, make_user):
    client.force_login(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    for url in ("/payments/", "/payments/failed/"):
        for query in BAD_PAYMENT_FILTERS:
            response = client.get(f"{url}?{query}")
            assert response.status_code == 400, (url, query)
            html = response.content.decode()
            assert 'id="filter-error"' in html and 'data-reference="' not in html and 'id="list-export"' not in html


def township_roster(township: str, village: str, period: str = "2026"):
    content = roster_csv([roster_row(han_name("李", i), id_number(), card_number(), village) for i in range(2)])
    job = roster_import_submit(actor=None, content=content, file_name="t.csv", item_code=ITEM,
                               township_code=township, period=period, enqueue=False)
    return import_job_execute(job_id=job.pk).roster


def roster_ids(client, user, url) -> set[int]:
    client.force_login(user)
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return {int(pk) for pk in re.findall(r'data-roster="(\d+)"', response.content.decode())}


def test_rosters_filter_by_item_period_status_and_township_and_export(client, people):
    yisuhe, later = accepted_roster(2), accepted_roster(2, period="2027")
    roster_act(actor=people["clerk"], roster_id=later.pk, action="start_publicity")
    tanjiashan = township_roster(TANJIASHAN_TOWN, "430321102006")
    finance = people["finance"]
    everything = {yisuhe.pk, later.pk, tanjiashan.pk}
    cases = {"": everything, f"item={ITEM}": everything, "item=0101": set(), "period=2027": {later.pk},
             "status=publicity": {later.pk}, "status=validated": {yisuhe.pk, tanjiashan.pk},
             f"township={TANJIASHAN_TOWN}": {tanjiashan.pk}, f"region={YISUHE_TOWN}": {yisuhe.pk, later.pk},
             f"region={XIANGTAN_COUNTY}": everything}
    for query, expected in cases.items():
        assert roster_ids(client, finance, f"/rosters/?{query}") == expected, query
    assert roster_ids(client, people["clerk"], "/rosters/") == {yisuhe.pk, later.pk}
    client.force_login(finance)
    sheet = workbook(client.get(f"/rosters/?region={YISUHE_TOWN}&period=2026&export=xlsx"))
    rows = list(sheet.iter_rows())
    assert len(rows) == 2 and rows[1][0].value == yisuhe.pk and rows[1][2].value == "易俗河镇"
    assert rows[1][5].value == 1000 and rows[1][5].number_format == "#,##0.00"
    assert rows[1][7].number_format == "yyyy-mm-dd"
    assert rows[1][7].value.date() == timezone.localtime(yisuhe.created_at).date()
    assert 'class="num">1,000.00</td>' in client.get("/rosters/").content.decode()


def test_a_bad_roster_filter_is_a_400_with_a_message(client, make_user):
    client.force_login(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    for query in ("status=bogus", "item=ZZZZ", "period=26", f"township={XIANGTAN_COUNTY}", f"township={QINGXI_TOWN}",
                  "region=4303"):
        response = client.get(f"/rosters/?{query}&export=xlsx")
        assert response.status_code == 400 and 'id="filter-error"' in response.content.decode(), query


def test_complaints_filter_by_status_kind_region_and_dates_and_export(client, people):
    yisuhe = complaint_submit(kind="complaint", subject="慰问金没有收到", region_code=V1, contact_name="王小明",
                              contact_phone="13800138000")
    tanjiashan = complaint_submit(kind="complaint", subject="名单有误", region_code="430321102006")
    supervisor = people["supervisor"]
    client.force_login(people["finance"])
    client.post("/complaints/", {"complaint": tanjiashan.pk, "answer": "已核实更正"})
    today = timezone.localdate()

    def listed(query):
        client.force_login(supervisor)
        response = client.get(f"/complaints/?{query}")
        assert response.status_code == 200, response.content[:300]
        return {int(pk) for pk in re.findall(r'data-complaint="(\d+)"', response.content.decode())}

    both = {yisuhe.pk, tanjiashan.pk}
    cases = {"": both, "status=received": {yisuhe.pk}, "status=answered": {tanjiashan.pk}, "kind=objection": set(),
             "kind=complaint": both, f"region={YISUHE_TOWN}": {yisuhe.pk}, f"region={V4}": set(),
             f"since={today}&until={today}": both, f"since={today + timedelta(days=1)}": set(),
             f"until={today - timedelta(days=1)}": set()}
    for query, expected in cases.items():
        assert listed(query) == expected, query
    sheet = workbook(client.get(f"/complaints/?region={YISUHE_TOWN}&export=xlsx"))
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == yisuhe.pk and rows[1][5] == "慰问金没有收到"
    assert "王小明" not in rows[1] and "13800138000" not in rows[1] and "*" in rows[1][6] and "*" in rows[1][7]
    assert isinstance(rows[1][4], datetime)
    for query in ("status=nope", "kind=x", "since=2026-02-30", "region=430121000000"):
        response = client.get(f"/complaints/?{query}")
        assert response.status_code == 400 and 'id="filter-error"' in response.content.decode(), query
