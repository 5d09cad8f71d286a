"""Standards per region and date (catalog.standards): resolution, roster checks, changes, import, API, page."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command

import disbursement.risk.rules  # noqa: F401  (registers the rules)
from disbursement.accounts.roles import Role
from disbursement.audit.models import AuditEvent
from disbursement.catalog.models import Category, Item, Standard
from disbursement.catalog.standards import StandardInput, standard_create, standard_in_force
from disbursement.errors import Conflict, PermissionDenied, ValidationFailed
from disbursement.payments.models import Payment
from disbursement.risk.base import RULES, Scope
from disbursement.rosters.models import RosterLine
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from tests.builders import V1, accepted_roster, issue, race, through_department
from tests.conftest import QINGXI_TOWN, SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

pytestmark = pytest.mark.django_db

PROVINCE_CODE = "430000000000"
CLEANER = "0312"  # 河道保洁员补助: 800.00 yuan per person a month, no eligibility rule
ELDERLY = "0801"  # 高龄津贴（80—89周岁）: province 50.00, 湘潭县 100.00 (catalog.toml)


def set_standard(item, region, start, amount_fen, *, band="", end=None, actor=None, document="湘财社〔2026〕9号"):
    return standard_create(actor=actor, entry=StandardInput(item_code=item, region_code=region, valid_from=start,
                                                            valid_to=end, amount_fen=amount_fen, band=band,
                                                            document=document))


def import_roster(item, period, rows):
    content = roster_csv([roster_row(han_name("钱", i), id_no, card_number(), V1, rate=rate, amount=rate)
                          for i, (id_no, rate) in enumerate(rows)])
    job = roster_import_submit(actor=None, content=content, file_name="r.csv", item_code=item,
                               township_code=YISUHE_TOWN, period=period, enqueue=False)
    return import_job_execute(job_id=job.pk)


def test_a_township_in_a_county_with_its_own_standard_uses_it_and_a_neighbour_falls_back():
    on = date(2026, 11, 30)
    [own] = standard_in_force(ELDERLY, YISUHE_TOWN, on)
    assert (own.region_id, own.amount_fen) == (XIANGTAN_COUNTY, 10_000)
    [province] = standard_in_force(ELDERLY, QINGXI_TOWN, on)  # 韶山市 has none of its own
    assert (province.region_id, province.amount_fen) == (PROVINCE_CODE, 5_000)
    set_standard(ELDERLY, XIANGTAN_CITY, date(2026, 1, 1), 8_000)
    [city] = standard_in_force(ELDERLY, QINGXI_TOWN, on)  # 韶山市 is in 湘潭市: the city's now
    assert (city.region_id, city.amount_fen) == (XIANGTAN_CITY, 8_000)
    assert standard_in_force(ELDERLY, YISUHE_TOWN, on)[0].region_id == XIANGTAN_COUNTY  # the county still wins


def test_a_standard_changing_mid_year_checks_january_and_december_against_different_figures():
    set_standard(CLEANER, XIANGTAN_COUNTY, date(2026, 7, 1), 90_000)
    january = import_roster(CLEANER, "2026-01", [(id_number(), "800.00")])
    assert january.roster, january.errors
    december = import_roster(CLEANER, "2026-12", [(id_number(), "800.00")])
    assert december.roster is None
    [error] = [e for e in december.errors if e["field"] == "rate"]
    assert (error["row"], error["field"], error["code"]) == (1, "rate", "mismatch")
    # The refusal names the standard it used: region, effective date and amount (from data).
    assert "湘潭县" in error["message"] and "2026-07-01" in error["message"] and "900.00" in error["message"]
    assert import_roster(CLEANER, "2026-12", [(id_number(), "900.00")]).roster
    # The province's disability allowance changed on 2026-01-01 (catalog.toml): 80.00 before, 110.00 after.
    before = import_roster("0702", "2025-12", [(id_number(), "110.00")])
    [error] = [e for e in before.errors if e["field"] == "rate"]
    assert error["code"] == "mismatch" and "60.00" in error["message"] and "2023-01-01" in error["message"]


def test_age_bands_are_read_from_the_id_numbers_birth_date_on_the_periods_last_day():
    set_standard(CLEANER, YISUHE_TOWN, date(2026, 1, 1), 80_000, band="age:18-59")
    set_standard(CLEANER, YISUHE_TOWN, date(2026, 1, 1), 60_000, band="age:60+")
    young, old, turning = id_number(birth="19900101"), id_number(birth="19500101"), id_number(birth="19661231")
    job = import_roster(CLEANER, "2026-11", [(young, "800.00"), (old, "800.00"), (turning, "800.00")])
    wrong = {(e["row"], e["code"]) for e in job.errors if e["field"] == "rate"}
    assert wrong == {(2, "mismatch")}  # 59 on 2026-11-30: the younger band
    [message] = [e["message"] for e in job.errors if e["field"] == "rate"]
    assert "易俗河镇" in message and "600.00" in message
    job = import_roster(CLEANER, "2026-12", [(young, "800.00"), (old, "600.00"), (turning, "600.00")])
    assert job.roster, job.errors  # 60 on 2026-12-31


def test_overlapping_bands_and_periods_are_refused_and_a_later_start_closes_the_open_one():
    with pytest.raises(Conflict):
        set_standard(ELDERLY, XIANGTAN_COUNTY, date(2025, 6, 1), 9_000, end=date(2025, 12, 31))
    with pytest.raises(ValidationFailed):
        set_standard(ELDERLY, V1, date(2026, 1, 1), 9_000)  # a village sets no standard
    newer = set_standard(ELDERLY, XIANGTAN_COUNTY, date(2027, 1, 1), 12_000)
    older = Standard.objects.get(item=ELDERLY, region=XIANGTAN_COUNTY, valid_from=date(2024, 1, 1))
    assert older.valid_to == date(2026, 12, 31) and newer.valid_to is None
    event = AuditEvent.objects.get(action="standard.create", object_id=str(newer.pk))
    assert event.detail["document"] == "湘财社〔2026〕9号" and event.detail["valid_from"] == "2027-01-01"
    assert event.detail["closed"] == [older.pk]


def test_an_approved_roster_and_its_payments_keep_their_amounts_after_a_change(make_user):
    people = {"clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
              "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
              "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)}
    roster = accepted_roster(rows=3)  # 0604, 500.00 per household
    issue(1_000_000)
    through_department(roster, people)
    roster = roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    paid = sorted(Payment.objects.filter(roster=roster).values_list("amount_fen", flat=True))
    set_standard("0604", XIANGTAN_COUNTY, date(2026, 1, 1), 60_000, actor=people["finance"])
    roster.refresh_from_db()
    assert roster.total_fen == 150_000
    assert set(RosterLine.objects.filter(roster=roster).values_list("rate_fen", "amount_fen")) == {(50_000, 50_000)}
    assert sorted(Payment.objects.filter(roster=roster).values_list("amount_fen", flat=True)) == paid
    # The risk rules compare with the standard that applies now: the roster is flagged, not changed.
    findings = RULES["A2"].findings(thresholds=RULES["A2"].defaults, scope=Scope(roster_id=roster.pk))
    assert len(findings) == 3 and findings[0].facts["standard_fen"] == 60_000


def test_the_risk_rules_use_the_county_standard():
    job = import_roster(ELDERLY, "2026-11", [(id_number(birth="19400101"), "100.00")])
    assert job.roster, job.errors
    scope = Scope(roster_id=job.roster.pk)
    assert RULES["A1"].findings(thresholds=RULES["A1"].defaults, scope=scope) == []  # 50.00 would flag it
    set_standard(ELDERLY, YISUHE_TOWN, date(2026, 1, 1), 9_000)
    [finding] = RULES["A1"].findings(thresholds=RULES["A1"].defaults, scope=scope)
    assert finding.facts["standard_fen"] == 9_000 and finding.amount_fen == 1_000


def test_county_finance_sets_its_countys_standards_only(make_user):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    assert set_standard(CLEANER, YISUHE_TOWN, date(2026, 1, 1), 85_000, actor=finance).region_id == YISUHE_TOWN
    with pytest.raises(PermissionDenied):
        set_standard(CLEANER, SHAOSHAN_CITY, date(2026, 1, 1), 85_000, actor=finance)
    with pytest.raises(PermissionDenied):
        set_standard(CLEANER, PROVINCE_CODE, date(2027, 1, 1), 85_000, actor=finance)
    other_department = make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="agriculture")
    with pytest.raises(PermissionDenied):
        set_standard(CLEANER, XIANGTAN_COUNTY, date(2026, 1, 1), 85_000, actor=other_department)  # water's item
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    with pytest.raises(PermissionDenied):
        set_standard(CLEANER, YISUHE_TOWN, date(2027, 1, 1), 85_000, actor=clerk)
    admin = make_user(Role.PROVINCE_ADMIN, PROVINCE_CODE)
    assert set_standard(CLEANER, PROVINCE_CODE, date(2027, 1, 1), 85_000, actor=admin).amount_fen == 85_000


def test_items_not_paid_onto_the_card_take_no_rosters():
    with pytest.raises(ValidationFailed) as refused:
        roster_import_submit(actor=None, content=roster_csv([]), file_name="r.csv", item_code="0119",
                             township_code=YISUHE_TOWN, period="2026", enqueue=False)
    assert refused.value.field == "item" and "承保保险机构" in refused.value.message


def _standards_file(tmp_path, rows):
    path = tmp_path / "standards.csv"
    lines = ["项目代码,区划代码,起始日期,截止日期,标准,档次,文号", *[",".join(row) for row in rows]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_import(path, *args):
    out = io.StringIO()
    try:
        call_command("import_standards", str(path), "--json", *args, stdout=out)
        code = 0
    except SystemExit as exc:
        code = exc.code
    return code, json.loads(out.getvalue())


def test_import_standards_names_row_and_field_of_every_problem_and_writes_nothing(tmp_path, make_user):
    make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY, username="xt-finance")
    path = _standards_file(tmp_path, [
        ("9999", XIANGTAN_COUNTY, "2026-01-01", "", "100", "", "湘财〔2026〕1号"),  # unknown item
        (CLEANER, SHAOSHAN_CITY, "2026-01-01", "", "100", "", "湘财〔2026〕1号"),  # another county
        (CLEANER, XIANGTAN_COUNTY, "2026-06-01", "2026-01-01", "100", "", "湘财〔2026〕1号"),  # from after to
        (CLEANER, YISUHE_TOWN, "2026-01-01", "", "1O0", "", "湘财〔2026〕1号"),  # amount format
        (CLEANER, XIANGTAN_COUNTY, "2026-01-01", "2026-12-31", "900", "", "湘财〔2026〕1号"),
        (CLEANER, XIANGTAN_COUNTY, "2026-01-01", "2026-12-31", "900", "", "湘财〔2026〕1号"),  # duplicate of 5
        (CLEANER, XIANGTAN_COUNTY, "2026-06-01", "", "950", "", "湘财〔2026〕1号"),  # overlaps row 5
        (CLEANER, XIANGTAN_COUNTY, "2027-01-01", "", "950", "age:80", "湘财〔2026〕1号"),  # band grammar
    ])
    code, outcome = run_import(path, "--user", "xt-finance")
    assert code == 1 and outcome["status"] == "rejected" and outcome["rows"] == 8
    assert {(e["row"], e["field"], e["code"]) for e in outcome["errors"]} == {
        (1, "item", "unknown"), (2, "region_code", "not_allowed"), (3, "valid_to", "before_from"),
        (4, "amount", "not_a_number"), (6, "valid_from", "duplicate"), (7, "valid_from", "overlap"),
        (8, "band", "bad_format"),
    }
    assert not Standard.objects.filter(item=CLEANER, from_catalog=False).exists()


def test_import_standards_accepts_a_clean_file(tmp_path):
    path = _standards_file(tmp_path, [
        (CLEANER, XIANGTAN_COUNTY, "2026-01-01", "2026-06-30", "850.00", "", "湘潭县财〔2026〕2号"),
        (CLEANER, XIANGTAN_COUNTY, "2026-07-01", "", "900", "", "湘潭县财〔2026〕3号"),
    ])
    assert run_import(path) == (0, {"status": "accepted", "rows": 2, "errors": []})
    assert [s.amount_fen for s in standard_in_force(CLEANER, YISUHE_TOWN, date(2026, 3, 31))] == [85_000]
    assert [s.amount_fen for s in standard_in_force(CLEANER, YISUHE_TOWN, date(2026, 7, 31))] == [90_000]
    assert AuditEvent.objects.filter(action="standard.create").count() == 2


def test_the_api_lists_the_standards_in_force_most_specific_first(client):
    answer = client.get(f"/api/v1/catalog/items/{ELDERLY}/standards",
                        {"region": YISUHE_TOWN, "on": "2026-11-30"})
    assert answer.status_code == 200
    rows = answer.json()
    assert [(r["region_code"], r["amount_yuan"], r["applies"]) for r in rows] == [
        (XIANGTAN_COUNTY, "100.00", True), (PROVINCE_CODE, "50.00", False)]
    assert client.get(f"/api/v1/catalog/items/{ELDERLY}/standards", {"region": "12"}).status_code == 422
    assert client.get("/api/v1/catalog/items/9999/standards").status_code == 404


def test_the_item_page_lists_standards_by_region_and_date(make_user, page_client):
    client = page_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    page = client.get("/catalog/0701/").content.decode()
    assert 'data-from="2023-01-01" data-amount-fen="8000"' in page
    assert 'data-from="2026-01-01" data-amount-fen="11000"' in page
    page = client.get(f"/catalog/{ELDERLY}/").content.decode()
    assert f'data-region="{XIANGTAN_COUNTY}"' in page and "湘潭县" in page
    assert 'data-card-paid="false"' in client.get("/catalog/0119/").content.decode()
    listing = client.get("/catalog/", {"q": "保费"}).content.decode()
    assert 'data-scope="not-card-paid"' in listing and 'href="/catalog/0119/"' in listing
    assert client.get("/catalog/9999/").status_code == 404


def test_setting_the_same_standard_twice_keeps_one():
    set_standard(CLEANER, XIANGTAN_COUNTY, date(2026, 1, 1), 90_000)
    with pytest.raises(Conflict):
        set_standard(CLEANER, XIANGTAN_COUNTY, date(2026, 1, 1), 90_000)
    assert Standard.objects.filter(item=CLEANER, region=XIANGTAN_COUNTY).count() == 1


@pytest.mark.django_db(transaction=True)
def test_setting_one_standard_twice_at_once_writes_it_once(reference_in_transactional_db):
    outcomes = race([lambda: set_standard(CLEANER, XIANGTAN_COUNTY, date(2026, 1, 1), 90_000) for _ in range(2)])
    assert sorted(outcomes) == ["Conflict", "ok"]
    assert Standard.objects.filter(item=CLEANER, region=XIANGTAN_COUNTY).count() == 1
    assert AuditEvent.objects.filter(action="standard.create").count() == 1


def test_grade_bands_the_roster_cannot_see_accept_any_bands_amount_and_need_the_rate():
    set_standard(CLEANER, XIANGTAN_COUNTY, date(2026, 1, 1), 90_000, band="grade:1")
    set_standard(CLEANER, XIANGTAN_COUNTY, date(2026, 1, 1), 70_000, band="grade:2")
    job = import_roster(CLEANER, "2026-11", [(id_number(), "900.00"), (id_number(), "700.00"), (id_number(), "800.00")])
    [error] = [e for e in job.errors if e["field"] == "rate"]
    assert (error["row"], error["code"]) == (3, "not_a_band") and "900.00" in error["message"]
    assert import_roster(CLEANER, "2026-11", [(id_number(), "900.00"), (id_number(), "700.00")]).roster


def test_the_catalog_marks_the_items_not_paid_onto_the_card_with_a_reason_and_cites_sources():
    outside = Item.objects.filter(card_paid=False)
    assert outside.count() == 33 and Item.objects.filter(card_paid=True).count() == 226
    assert not outside.filter(scope_reason="").exists()
    assert Category.objects.count() == 14
    assert "110" in Item.objects.get(code="0703").source
    assert Item.objects.get(code="0101").source == "representative"


def test_county_finance_adds_a_standard_in_the_admin_for_its_county_only(make_user, page_client):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    client = page_client(finance)
    form = {"item": CLEANER, "region": YISUHE_TOWN, "band": "", "valid_from": "2026-01-01", "valid_to": "",
            "document": "湘潭县财〔2026〕5号", "amount_yuan": "850.00"}
    assert client.post("/admin/disbursement/standard/add/", form).status_code == 302
    assert Standard.objects.get(item=CLEANER, region=YISUHE_TOWN).created_by == finance
    refused = client.post("/admin/disbursement/standard/add/", {**form, "region": SHAOSHAN_CITY})
    assert refused.status_code == 200 and not Standard.objects.filter(region=SHAOSHAN_CITY).exists()
    listing = client.get("/admin/disbursement/standard/").content.decode()
    assert "易俗河镇" in listing and "湖南省" not in listing  # the province's rows are outside the subtree


def test_the_items_county_department_sets_its_countys_standard_on_the_item_page(make_user, page_client):
    department = page_client(make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"))
    assert 'id="standard-form"' in department.get(f"/catalog/{ELDERLY}/").content.decode()
    form = {"region": XIANGTAN_COUNTY, "valid_from": "2027-01-01", "valid_to": "", "amount": "120.00", "band": "",
            "document": "湘潭县民〔2026〕8号"}
    assert department.post(f"/catalog/{ELDERLY}/standards/", form).status_code == 302
    assert Standard.objects.get(item=ELDERLY, region=XIANGTAN_COUNTY, valid_from=date(2027, 1, 1)).amount_fen == 12_000
    department.post(f"/catalog/{ELDERLY}/standards/", {**form, "region": PROVINCE_CODE, "valid_from": "2028-01-01"})
    assert not Standard.objects.filter(item=ELDERLY, valid_from=date(2028, 1, 1)).exists()
    clerk = page_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    assert 'id="standard-form"' not in clerk.get(f"/catalog/{ELDERLY}/").content.decode()
    clerk.post(f"/catalog/{ELDERLY}/standards/", {**form, "region": YISUHE_TOWN, "valid_from": "2028-01-01"})
    assert not Standard.objects.filter(item=ELDERLY, valid_from=date(2028, 1, 1)).exists()
