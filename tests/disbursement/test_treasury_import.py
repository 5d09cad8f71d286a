import datetime
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from disbursement.accounts.roles import Role
from disbursement.audit.models import AuditEvent
from disbursement.errors import PermissionDenied
from disbursement.treasury.models import TreasuryLevel, TreasuryStatement
from disbursement.treasury.services import statements_import
from tests.conftest import CHANGSHA_CITY, SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY
from tests.disbursement.treasury_builders import HEADER, statement_csv, statement_rows

pytestmark = pytest.mark.django_db

START = datetime.date(2026, 1, 1)


def _import(rows, actor=None, header=HEADER):
    return statements_import(actor=actor, content=statement_csv(rows, header), file_name="t.csv")


def _problems(result):
    return {(error["row"], error["field"], error["code"]) for error in result.errors}


def test_a_file_of_consecutive_days_is_stored_in_fen_with_its_levels():
    result = _import(statement_rows(XIANGTAN_COUNTY, START, 3, opening=5000, inflow=100, outflow=300)
                     + statement_rows(SHAOSHAN_CITY, START, 2))
    assert (result.status, result.rows, result.inserted) == ("accepted", 5, 5)
    first = TreasuryStatement.objects.get(region_id=XIANGTAN_COUNTY, day=START)
    assert (first.opening_fen, first.inflow_fen, first.outflow_fen, first.closing_fen) == (500000, 10000, 30000,
                                                                                          480000)
    assert first.outflow_wages_fen is None
    assert TreasuryLevel.objects.filter(region_id=XIANGTAN_COUNTY).count() == 3
    assert sorted(result.region_codes) == [XIANGTAN_COUNTY, SHAOSHAN_CITY]


def test_english_aliases_and_the_optional_breakdown_are_read():
    header = ["region_code", "date", "opening", "inflow", "outflow", "closing", "上级转移支付流入", "税收收入流入",
              "三保工资流出", "补贴发放流出"]
    rows = [[XIANGTAN_COUNTY, "2026-01-01", "1,000.00", "300.50", "200.00", "1100.50", "300.00", "0.50", "150",
             "50"]]
    assert _import(rows, header=header).status == "accepted"
    stored = TreasuryStatement.objects.get()
    assert (stored.inflow_transfer_fen, stored.inflow_tax_fen, stored.inflow_bond_fen, stored.outflow_wages_fen,
            stored.outflow_subsidy_fen) == (30000, 50, None, 15000, 5000)


def _with(row_values: dict, row=1):
    rows = statement_rows(XIANGTAN_COUNTY, START, 3)
    for column, value in row_values.items():
        rows[row - 1][column] = value
    return rows


@pytest.mark.parametrize(("values", "field", "code"), [
    ({0: "43032100000"}, "region_code", "bad_format"),
    ({0: ""}, "region_code", "required"),
    ({0: "439999000000"}, "region_code", "unknown"),
    ({0: "430321100000"}, "region_code", "not_treasury"),  # a township
    ({1: "2026-02-30"}, "date", "bad_date"),
    ({1: "2026/01/01"}, "date", "bad_format"),
    ({2: "1000000.001"}, "opening", "too_many_decimals"),
    ({3: "-5.00"}, "inflow", "negative"),
    ({4: "abc"}, "outflow", "not_a_number"),
    ({5: "1000000000000.00"}, "closing", "too_large"),
    ({5: ""}, "closing", "required"),
    ({5: "1000000.01"}, "closing", "arithmetic"),
])
def test_a_bad_value_rejects_the_whole_file_naming_row_and_field(values, field, code):
    result = _import(_with(values, row=2))
    assert result.status == "rejected"
    assert (2, field, code) in _problems(result)
    assert all(error["message"] and error["message"] != code for error in result.errors)
    assert not TreasuryStatement.objects.exists()


def test_a_future_day_is_refused():
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    result = _import(statement_rows(XIANGTAN_COUNTY, tomorrow, 1))
    assert _problems(result) == {(1, "date", "future")}


def test_a_statistics_only_zone_has_no_treasury():
    from geo.models import Region

    zone = Region.objects.filter(is_statistical=True).values_list("code", flat=True).first()
    result = _import(statement_rows(zone, START, 1))
    assert _problems(result) == {(1, "region_code", "not_treasury")}


def test_a_breakdown_that_does_not_add_up_is_named_on_its_total():
    header = [*HEADER, "三保工资流出", "其他流出"]
    rows = [[XIANGTAN_COUNTY, "2026-01-01", "100.00", "0", "50.00", "50.00", "20.00", "20.00"]]
    result = _import(rows, header=header)
    assert _problems(result) == {(1, "outflow", "breakdown")}
    assert "40.00" in result.errors[0]["message"]


def test_the_same_treasury_and_day_twice_names_the_first_row():
    rows = statement_rows(XIANGTAN_COUNTY, START, 2)
    result = _import([*rows, rows[1]])
    assert (3, "date", "duplicate_in_file") in _problems(result)
    assert "2" in next(e["message"] for e in result.errors if e["code"] == "duplicate_in_file")


def test_a_gap_and_a_jump_inside_the_file_name_both_days():
    rows = statement_rows(XIANGTAN_COUNTY, START, 5)
    del rows[2]  # 2026-01-03 missing
    rows[3] = [XIANGTAN_COUNTY, "2026-01-05", "999.00", "0", "0", "999.00"]  # opens away from 01-04's closing
    result = _import(rows)
    assert _problems(result) == {(3, "date", "gap"), (4, "opening", "jump")}
    gap = next(e["message"] for e in result.errors if e["code"] == "gap")
    jump = next(e["message"] for e in result.errors if e["code"] == "jump")
    assert "2026-01-02" in gap and "2026-01-04" in gap
    assert "2026-01-04" in jump and "999.00" in jump and "1000000.00" in jump


def test_days_must_continue_the_stored_history():
    assert _import(statement_rows(XIANGTAN_COUNTY, START, 3)).status == "accepted"
    gap = _import(statement_rows(XIANGTAN_COUNTY, START + datetime.timedelta(days=4), 1))
    assert _problems(gap) == {(1, "date", "gap")}
    assert "2026-01-03" in gap.errors[0]["message"] and "2026-01-05" in gap.errors[0]["message"]
    jump = _import(statement_rows(XIANGTAN_COUNTY, START + datetime.timedelta(days=3), 1, opening=7))
    assert _problems(jump) == {(1, "opening", "jump")}
    follows = _import(statement_rows(XIANGTAN_COUNTY, START + datetime.timedelta(days=3), 2))
    assert (follows.status, follows.inserted) == ("accepted", 2)


def test_reimporting_the_same_days_changes_nothing():
    rows = statement_rows(XIANGTAN_COUNTY, START, 4)
    _import(rows)
    before = list(TreasuryStatement.objects.values_list("pk", "imported_at"))
    events = AuditEvent.objects.count()
    again = _import(rows)
    assert (again.status, again.inserted, again.replaced, again.unchanged) == ("accepted", 0, 0, 4)
    assert list(TreasuryStatement.objects.values_list("pk", "imported_at")) == before
    assert not AuditEvent.objects.filter(action="treasury.statement.correct").exists()
    assert AuditEvent.objects.count() == events + 1  # the import itself


def test_a_corrected_day_replaces_the_old_one_and_is_audited():
    _import(statement_rows(XIANGTAN_COUNTY, START, 3, opening=1000, inflow=0, outflow=100))
    last = TreasuryStatement.objects.get(region_id=XIANGTAN_COUNTY, day=START + datetime.timedelta(days=2))
    level_before = TreasuryLevel.objects.get(region_id=XIANGTAN_COUNTY, day=last.day).level
    corrected = [[XIANGTAN_COUNTY, last.day.isoformat(), "800.00", "0", "400.00", "400.00"]]
    result = _import(corrected)
    assert (result.status, result.replaced, result.inserted) == ("accepted", 1, 0)
    last.refresh_from_db()
    assert (last.outflow_fen, last.closing_fen) == (40000, 40000)
    event = AuditEvent.objects.get(action="treasury.statement.correct")
    assert event.object_id == str(last.pk) and event.region_id == XIANGTAN_COUNTY
    assert event.detail["old"]["closing"] == "700.00" and event.detail["new"]["closing"] == "400.00"
    assert TreasuryLevel.objects.get(region_id=XIANGTAN_COUNTY, day=last.day).level != level_before


def test_correcting_a_closing_that_the_next_stored_day_opened_from_is_refused():
    _import(statement_rows(XIANGTAN_COUNTY, START, 3))
    result = _import([[XIANGTAN_COUNTY, "2026-01-02", "1000000.00", "5.00", "0", "1000005.00"]])
    assert _problems(result) == {(1, "closing", "jump_next")}
    assert "2026-01-03" in result.errors[0]["message"]


def test_every_problem_of_every_row_is_collected():
    rows = statement_rows(XIANGTAN_COUNTY, START, 3)
    rows[0][2] = "x"
    rows[2][0] = "1"
    result = _import(rows)
    assert {(1, "opening", "not_a_number"), (3, "region_code", "bad_format")} <= _problems(result)


def test_missing_columns_and_unreadable_files_are_rejected_as_a_whole():
    missing = _import([[XIANGTAN_COUNTY, "2026-01-01", "1", "1"]], header=HEADER[:4])
    assert missing.status == "rejected" and missing.errors[0]["code"] == "missing_column"
    assert "本期库款流出" in missing.message
    junk = statements_import(actor=None, content=b"\x00\x01\x02" * 500, file_name="x.csv")
    assert junk.status == "rejected" and junk.errors[0]["code"] == "file"


def test_county_finance_imports_its_own_county_only(make_user):
    finance = make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY)
    assert _import(statement_rows(XIANGTAN_COUNTY, START, 1), actor=finance).status == "accepted"
    other = _import(statement_rows(SHAOSHAN_CITY, START, 1) + statement_rows(XIANGTAN_CITY, START, 1),
                    actor=finance)
    assert _problems(other) == {(1, "region_code", "outside_jurisdiction"),
                                (2, "region_code", "outside_jurisdiction")}


def test_the_province_administrator_imports_every_treasury(make_user):
    admin = make_user(Role.PROVINCE_ADMIN, "430000000000")
    rows = statement_rows(CHANGSHA_CITY, START, 1) + statement_rows("430000000000", START, 1)
    assert _import(rows, actor=admin).status == "accepted"


def test_a_supervisor_may_not_import(make_user):
    with pytest.raises(PermissionDenied):
        _import(statement_rows(XIANGTAN_COUNTY, START, 1), actor=make_user(Role.SUPERVISOR, XIANGTAN_CITY))


def _upload(client, content: bytes, name="t.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post("/api/v1/treasury/statements", {"file": SimpleUploadedFile(name, content)})


def test_the_api_answers_the_import_json(make_user, api_client):
    client = api_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    accepted = _upload(client, statement_csv(statement_rows(XIANGTAN_COUNTY, START, 2)))
    assert accepted.status_code == 200
    assert accepted.json()["status"] == "accepted" and accepted.json()["rows"] == 2
    refused = _upload(client, statement_csv(statement_rows(SHAOSHAN_CITY, START, 1)))
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"row": 1, "field": "region_code", "code": "outside_jurisdiction",
                                         "message": refused.json()["errors"][0]["message"]}]


@pytest.mark.parametrize("content", [
    b"",
    b"\x00\xff" * 4000,
    b"PK\x03\x04 not really a workbook",
    "区划代码,日期\n".encode() + b"=cmd|' /C calc'!A0,\xff\xfe\n",
    statement_csv([[XIANGTAN_COUNTY, "2026-01-01", "9" * 40, "0", "0", "9" * 40]]),
    statement_csv([["'; DROP TABLE x; --", "2026-01-01", "1", "0", "0", "1"]]),
])
def test_hostile_files_get_a_4xx_through_the_api(make_user, api_client, content):
    client = api_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    response = _upload(client, content)
    assert 400 <= response.status_code < 500
    assert not TreasuryStatement.objects.exists()


def test_a_supervisor_gets_403_from_the_api(make_user, api_client):
    client = api_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    response = _upload(client, statement_csv(statement_rows(XIANGTAN_COUNTY, START, 1)))
    assert response.status_code == 403


def test_the_command_prints_json_and_exits_by_outcome(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(statement_csv(statement_rows(XIANGTAN_COUNTY, START, 2)))
    call_command("import_treasury", str(good), "--json")
    outcome = json.loads(capsys.readouterr().out)
    assert (outcome["status"], outcome["rows"], outcome["errors"]) == ("accepted", 2, [])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(statement_csv(statement_rows(XIANGTAN_COUNTY, START, 1, opening=5)))
    with pytest.raises(SystemExit) as exit_:
        call_command("import_treasury", str(bad), "--json")
    assert exit_.value.code == 1
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["status"] == "rejected"
    assert outcome["errors"][0]["row"] == 1 and set(outcome["errors"][0]) == {"row", "field", "code", "message"}


def test_the_upload_page_shows_the_outcome_and_every_problem(make_user, page_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = page_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    assert 'id="treasury-import-form"' in client.get("/treasury/import/").content.decode()
    good = SimpleUploadedFile("t.csv", statement_csv(statement_rows(XIANGTAN_COUNTY, START, 2)))
    page = client.post("/treasury/import/", {"file": good})
    assert page.status_code == 200
    assert 'data-status="accepted"' in page.content.decode() and 'data-inserted="2"' in page.content.decode()
    bad = SimpleUploadedFile("t.csv", statement_csv(statement_rows(SHAOSHAN_CITY, START, 1)))
    page = client.post("/treasury/import/", {"file": bad})
    assert page.status_code == 422
    assert 'data-row="1" data-field="region_code" data-code="outside_jurisdiction"' in page.content.decode()
    assert "t.csv" in page.content.decode()  # the accepted import is listed


def test_the_upload_page_refuses_a_supervisor(make_user, page_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    assert 'id="treasury-import-refused"' in client.get("/treasury/import/").content.decode()
    upload = SimpleUploadedFile("t.csv", statement_csv(statement_rows(XIANGTAN_COUNTY, START, 1)))
    assert client.post("/treasury/import/", {"file": upload}).status_code == 403
    assert not TreasuryStatement.objects.exists()
