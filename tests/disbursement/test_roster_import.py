"""Roster import end to end on PostgreSQL: real files in every encoding, every validation reason,
all-or-nothing, and the same file twice."""

import io
import json
from datetime import date

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from disbursement import pii
from disbursement.registry.models import Card, CardStatus, DeathRecord, Person
from disbursement.rosters.models import ImportJob, ImportStatus, Roster, RosterLine
from disbursement.rosters.services import import_job_execute, roster_import_submit
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row, roster_xlsx

pytestmark = pytest.mark.django_db

TOWN = "430321100000"  # 易俗河镇
V1, V2 = "430321100001", "430321100004"  # two of its villages
OTHER_TOWN_VILLAGE = "430321102006"  # 谭家山镇's 佐塘社区
ITEM, PERIOD = "0604", "2026"  # 困难群众春节慰问金: 500.00 yuan per household, once, no eligibility rule


def run_import(content: bytes, *, file_name="roster.csv", item=ITEM, township=TOWN, period=PERIOD) -> ImportJob:
    job = roster_import_submit(actor=None, content=content, file_name=file_name, item_code=item,
                               township_code=township, period=period, enqueue=False)
    return import_job_execute(job_id=job.pk)


def good_rows(n=3, village=V1):
    return [roster_row(han_name("张三", i), id_number(), card_number(), village) for i in range(n)]


def counts():
    return (Person.objects.count(), Card.objects.count(), Roster.objects.count(), RosterLine.objects.count())


def problems(job) -> set[tuple[int, str, str]]:
    return {(e["row"], e["field"], e["code"]) for e in job.errors}


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_a_good_csv_is_accepted_in_every_encoding(encoding):
    rows = good_rows(3)
    job = run_import(roster_csv(rows, encoding))
    assert job.status == ImportStatus.ACCEPTED, job.errors or job.message
    roster = job.roster
    assert (roster.line_count, roster.total_fen, roster.period) == (3, 150000, PERIOD)
    lines = list(RosterLine.objects.filter(roster=roster).select_related("person", "card").order_by("row_number"))
    assert [line.person.name for line in lines] == ["张三零", "张三一", "张三二"]
    first = lines[0]
    # Encrypted at rest, found by blind index, shown masked.
    assert rows[0][1] not in first.person.id_cipher
    assert pii.decrypt(first.person.id_cipher) == rows[0][1]
    assert first.person.id_hash == pii.blind_index(rows[0][1])
    assert first.person.id_masked == rows[0][1][:3] + "*" * 11 + rows[0][1][-4:]
    assert pii.decrypt(first.card.number_cipher) == rows[0][2]
    assert first.card.number_masked == f"{rows[0][2][:4]} **** **** {rows[0][2][-4:]}"
    assert first.person.birth_date == date(1980, 1, 1)


def test_a_good_xlsx_with_text_cells_is_accepted():
    job = run_import(roster_xlsx(good_rows(2)), file_name="清册.xlsx")
    assert job.status == ImportStatus.ACCEPTED, job.errors


def test_an_xlsx_whose_id_and_card_columns_excel_stored_as_numbers_is_named_as_such():
    before = counts()
    digit_ids = [i for i in (id_number() for _ in range(30)) if not i.endswith("X")][:2]
    rows = [roster_row(han_name("张", i), digit_ids[i], card_number(), V1) for i in range(2)]
    job = run_import(roster_xlsx(rows, numeric_columns=(1, 2)), file_name="清册.xlsx")
    assert job.status == ImportStatus.REJECTED
    assert problems(job) == {(1, "id_number", "excel_number"), (2, "id_number", "excel_number"),
                             (1, "card_number", "excel_number"), (2, "card_number", "excel_number")}
    assert "Excel" in job.errors[0]["message"]
    assert counts() == before


def test_every_reason_is_reported_with_row_and_field_and_nothing_is_written():
    # Register state the file runs into.
    dead_id = id_number(birth="19400101")
    DeathRecord.objects.create(id_hash=pii.blind_index(dead_id), id_masked="x", name="王五", died_on=date(2026, 3, 1))
    wage = {"rate": "2400.00", "amount": "2400.00"}  # 0309 and 0310 pay 2,400.00 yuan a year
    known = run_import(roster_csv([roster_row("李四", id_number(), card_number(), V1, **wage)]), item="0309")
    assert known.status == ImportStatus.ACCEPTED, known.errors
    known_person = Person.objects.get()
    known_id = pii.decrypt(known_person.id_cipher)
    known_card = pii.decrypt(known_person.cards.get().number_cipher)
    closed = card_number()
    closed_owner = id_number()
    assert run_import(roster_csv([roster_row("赵六", closed_owner, closed, V2, **wage)]), item="0310").roster
    Card.objects.filter(number_hash=pii.blind_index(closed)).update(status=CardStatus.CLOSED)
    on_other_roster = id_number()
    elsewhere = run_import(roster_csv([roster_row("钱七", on_other_roster, card_number(), OTHER_TOWN_VILLAGE)]),
                           township="430321102000")
    assert elsewhere.status == ImportStatus.ACCEPTED
    before = counts()

    repeated_id = id_number()
    valid = id_number()
    wrong_check = valid[:17] + ("1" if valid[17] != "1" else "2")
    good_card = card_number()
    broken_luhn = good_card[:-1] + str((int(good_card[-1]) + 1) % 10)
    rows = [
        roster_row("好人", id_number(), card_number(), V1),                                  # 1 fine
        roster_row("错校验", wrong_check, card_number(), V1),                               # 2
        roster_row("错日期", id_number(birth="19800230"), card_number(), V1),                 # 3
        roster_row("错地区", id_number(prefix="999999"), card_number(), V1),                  # 4
        roster_row("错卡号", id_number(), broken_luhn, V1),                                   # 5
        roster_row("短卡号", id_number(), "62284800123", V1),                                 # 6
        roster_row("错金额", id_number(), card_number(), V1, amount="499.00"),                 # 7
        roster_row("零数量", id_number(), card_number(), V1, quantity="0", amount="0"),        # 8
        roster_row("错标准", id_number(), card_number(), V1, rate="400.00", amount="400.00"),  # 9
        roster_row("多小数", id_number(), card_number(), V1, amount="500.001"),                # 10
        roster_row("=HYPERLINK(1)", id_number(), card_number(), V1),                         # 11
        roster_row("外村人", id_number(), card_number(), OTHER_TOWN_VILLAGE),                 # 12
        roster_row("无此村", id_number(), card_number(), "430321100999"),                     # 13
        roster_row("重复甲", repeated_id, card_number(), V1),                                 # 14
        roster_row("重复甲", repeated_id, card_number(), V1),                                 # 15
        roster_row("王五", dead_id, card_number(), V1),                                       # 16
        roster_row("赵六", closed_owner, closed, V2),                                         # 17
        roster_row("他人卡", id_number(), known_card, V1),                                    # 18
        roster_row("李四改", known_id, known_card, V1),                                       # 19
        roster_row("钱七", on_other_roster, card_number(), V1),                               # 20
        roster_row("坏电话", id_number(), card_number(), V1, phone="12345"),                   # 21
    ]
    job = run_import(roster_csv(rows))
    assert job.status == ImportStatus.REJECTED
    found = problems(job)
    expected = {
        (2, "id_number", "bad_checksum"), (3, "id_number", "bad_birth_date"), (4, "id_number", "unknown_region"),
        (5, "card_number", "bad_luhn"), (6, "card_number", "bad_length"), (7, "amount", "mismatch"),
        (8, "quantity", "not_positive"),
        (8, "amount", "not_positive"), (9, "rate", "mismatch"), (10, "amount", "too_many_decimals"),
        (11, "name", "formula"), (12, "village", "not_in_township"), (13, "village", "unknown"),
        (15, "id_number", "duplicate_in_file"), (16, "id_number", "deceased"), (17, "card_number", "closed"),
        (18, "card_number", "other_person"), (19, "id_number", "register_mismatch"),
        (20, "id_number", "duplicate_roster"), (20, "id_number", "register_mismatch"), (21, "phone", "bad_format"),
    }
    assert expected <= found, expected - found
    assert not any(row == 1 for row, _, _ in found)
    assert job.error_count == len(job.errors) >= len(expected)
    assert counts() == before  # a rejected file leaves nothing behind
    duplicate = next(e for e in job.errors if e["code"] == "duplicate_in_file")
    assert "14" in duplicate["message"]


def test_the_error_report_holds_the_original_rows_and_a_problem_column():
    rows = good_rows(2)
    rows[1][8] = "1.00"
    job = run_import(roster_csv(rows))
    assert job.status == ImportStatus.REJECTED
    from disbursement.rosters.services import import_report_bytes

    sheet = load_workbook(io.BytesIO(import_report_bytes(job))).active
    values = list(sheet.values)
    assert values[0][1:4] == ("姓名", "身份证号", "社保卡号")
    assert values[1][-1] in ("", None)
    assert values[2][-1]  # row 2's problems are spelled out
    assert values[2][2] == rows[1][1]


def test_importing_the_same_file_twice_is_refused():
    content = roster_csv(good_rows(2))
    assert run_import(content).status == ImportStatus.ACCEPTED
    before = counts()
    second = run_import(content)
    assert second.status == ImportStatus.REJECTED
    assert "already accepted as roster" in second.message
    assert counts() == before


def test_running_a_job_twice_imports_once():
    job = roster_import_submit(actor=None, content=roster_csv(good_rows(2)), file_name="r.csv", item_code=ITEM,
                               township_code=TOWN, period=PERIOD, enqueue=False)
    first = import_job_execute(job_id=job.pk)
    second = import_job_execute(job_id=job.pk)
    assert first.status == second.status == ImportStatus.ACCEPTED
    assert Roster.objects.count() == 1 and RosterLine.objects.count() == 2


@pytest.mark.parametrize(
    ("content", "file_name", "message"),
    [
        (b"", "empty.csv", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "This is not a spreadsheet"),
        ("姓名,身份证号,金额\n张三,1,1\n".encode(), "short.csv", "Required column(s) missing: 卡号、数量"),
        (b"PK\x03\x04broken", "broken.xlsx", "cannot be opened"),
        ("姓名,身份证号,社保卡号,数量,金额\n".encode(), "header.csv", "no data rows"),
    ],
)
def test_a_file_that_is_not_a_roster_gets_one_clear_sentence(content, file_name, message):
    job = run_import(content, file_name=file_name)
    assert job.status == ImportStatus.REJECTED
    assert message in job.message
    assert "Traceback" not in job.message


def test_age_and_region_rules_of_the_item_are_applied():
    young = id_number(birth="19900101")
    old = id_number(birth="19400101")
    # 湘潭县 sets its own 高龄津贴 standard (100.00 a month for 80–89, catalog.toml), above the province's 50.00.
    rows = [roster_row("老人", old, card_number(), V1, rate="100.00", amount="100.00"),
            roster_row("年轻人", young, card_number(), V1, rate="100.00", amount="100.00")]
    job = run_import(roster_csv(rows), item="0801", period="2026-11")  # 高龄津贴 80–89
    assert problems(job) == {(2, "eligibility", "age")}
    wetland = run_import(roster_csv(good_rows(1)), item="0217")  # 湿地生态效益补偿: Dongting cities only
    assert (1, "eligibility", "region") in problems(wetland)


def test_a_period_not_spelled_for_the_item_is_refused_before_upload():
    from disbursement.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        run_import(roster_csv(good_rows(1)), item="0801", period="2026")
    assert caught.value.field == "period"


def test_import_roster_command_prints_the_json_contract(tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(roster_csv(good_rows(2)))
    call_command("import_roster", str(good), "--item", ITEM, "--township", TOWN, "--period", PERIOD, "--json")
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["status"] == "accepted" and outcome["rows"] == 2 and outcome["errors"] == []
    assert Roster.objects.filter(pk=outcome["roster_id"]).exists()

    bad_rows = good_rows(2)
    bad_rows[0][1] = bad_rows[0][1][:17] + ("0" if bad_rows[0][1][17] != "0" else "1")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(roster_csv(bad_rows))
    with pytest.raises(SystemExit) as exited:
        call_command("import_roster", str(bad), "--item", ITEM, "--township", TOWN, "--period", PERIOD, "--json")
    assert exited.value.code == 1
    outcome = json.loads(capsys.readouterr().out)
    assert outcome["status"] == "rejected" and outcome["roster_id"] is None
    assert outcome["errors"][0]["row"] == 1 and outcome["errors"][0]["field"] == "id_number"
    assert set(outcome["errors"][0]) == {"row", "field", "code", "message"}


def test_a_person_or_card_on_a_roster_cannot_be_deleted():
    from django.db.models import ProtectedError

    job = run_import(roster_csv(good_rows(1)))
    line = RosterLine.objects.select_related("person", "card").get(roster=job.roster)
    with pytest.raises(ProtectedError):
        line.card.delete()
    with pytest.raises(ProtectedError):
        line.person.delete()
    assert RosterLine.objects.filter(person__isnull=False, card__isnull=False).count() == 1


def test_uploaded_files_and_error_reports_are_stored_sealed():
    rows = good_rows(2)
    rows[1][8] = "1.00"  # rejected, so an error report is written too
    job = run_import(roster_csv(rows))
    assert job.status == ImportStatus.REJECTED and job.report
    for stored in (job.file, job.report):
        with stored.open("rb") as handle:
            raw = handle.read()
        assert rows[0][1].encode() not in raw and rows[0][2].encode() not in raw
        assert "张三零".encode() not in raw


def test_the_remaining_reasons_in_an_xlsx_and_a_gbk_file():
    from disbursement.registry.models import Person

    # A registered person with a card, and one whose attributes satisfy 0701 (disability grade 1–2, low income).
    known = run_import(roster_csv([roster_row("周知", id_number(), card_number(), V1)]))
    person = Person.objects.get(name="周知")
    Person.objects.filter(pk=person.pk).update(attributes={"disability_grade": "2", "low_income": True})
    known_id = pii.decrypt(person.id_cipher)
    assert known.status == ImportStatus.ACCEPTED
    shared = card_number()
    old_id = id_number(birth="19800101")
    fifteen = old_id[:6] + old_id[8:17]  # the same person's old 15-digit number
    rows = [
        roster_row("周知", known_id, card_number(), V1, rate="80.00", amount="80.00"),  # 1 card differs
        roster_row("甲", id_number(), shared, V1, rate="80.00", amount="80.00"),      # 2 one card, two people
        roster_row("乙", id_number(), shared, V1, rate="80.00", amount="80.00"),      # 3  "
        roster_row("丙", fifteen, card_number(), V1, rate="80.00", amount="80.00"),   # 4 15-digit: converted, but
        roster_row("丁" * 51, id_number(), card_number(), V1, rate="80.00", amount="80.00"),  # 5 name too long
    ]
    job = run_import(roster_xlsx(rows), item="0701", period="2026-11", file_name="残疾.xlsx")
    found = problems(job)
    assert {(1, "card_number", "differs"), (2, "card_number", "shared"), (3, "card_number", "shared"),
            (5, "name", "too_long")} <= found
    # Attribute rules: only the registered person with grade 2 and low income qualifies.
    assert (1, "eligibility", "attribute") not in found
    assert {(2, "eligibility", "attribute"), (4, "eligibility", "attribute")} <= found
    assert not any(row == 4 and field == "id_number" for row, field, _ in found)  # the 15-digit ID is fine

    by_name = [
        ["戊", id_number(), card_number(), "中国农业银行", "", "一组", "1", "", "1200.00", "", ""],
        ["己", id_number(), card_number(), "中国农业银行", "", "一组", "1", "", "1200.00", "", ""],
    ]
    header = ["姓名", "身份证号", "银行卡号", "开户行", "村(社区)代码", "组", "数量", "标准", "金额", "电话", "备注"]
    header[4] = "村(社区)"
    by_name[0][4], by_name[1][4] = "吴家巷社区居委会", "不存在村"
    job = run_import(roster_csv(by_name, "gbk", header=header), item="0112")  # per-case standard: rate required
    found = problems(job)
    assert (1, "rate", "required") in found and (2, "rate", "required") in found
    assert (2, "village", "unknown_name") in found
    assert not any(row == 1 and field == "village" for row, field, _ in found)  # the name was recognised
