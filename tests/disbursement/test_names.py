"""Names: the one rule (what a bank file can carry and a name may contain) at import, in the bank file writer and
in the register's name correction, by page and API."""

import random
from datetime import date

import pandas as pd
import pytest

from disbursement import pii
from disbursement.accounts.roles import Role
from disbursement.audit.models import AuditEvent
from disbursement.banking import formats
from disbursement.errors import NotFound, PermissionDenied, ValidationFailed
from disbursement.payments.models import Payment
from disbursement.registry import validators
from disbursement.registry.models import Person
from disbursement.registry.services import person_rename
from disbursement.rosters.models import ImportStatus
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from tests.conftest import TANJIASHAN_TOWN, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.test_money_path import issue, through_department
from tests.factories import card_number, id_number, roster_csv, roster_row

ITEM = "0604"
V1 = "430321100001"
EXT_B = "\U00020000"  # 𠀀, CJK extension B

BAD_NAMES = {
    "张,三": "bad_character",
    '李"四': "bad_character",
    "王\x07五": "control_character",
    "赵\u200b六": "control_character",
    "张三2": "digit",
    "李四😀": "bad_character",
    "丁" * 51: "too_long",
    "王Amy": "mixed_scripts",
    "·买买提": "bad_separator",
    "=HYPERLINK(1)": "formula",
}
GOOD_NAMES = {
    "张三": "张三",
    "阿依古丽·买买提": "阿依古丽·买买提",
    "阿依古丽•买买提": "阿依古丽·买买提",  # U+2022
    "阿依古丽・买买提": "阿依古丽·买买提",  # U+30FB
    "阿依古丽．买买提": "阿依古丽·买买提",  # U+FF0E
    "阿依古丽‧买买提": "阿依古丽·买买提",  # U+2027
    "O'Brien": "O'Brien",
    "O’Brien": "O'Brien",
    "John  Smith": "John Smith",
    "Anne-Marie Dupont": "Anne-Marie Dupont",
    f"{EXT_B}明": f"{EXT_B}明",
    " 张\u3000三 ": "张三",  # trimmed; a full-width space inside a Chinese name is alignment padding
}


def run_import(rows, township=YISUHE_TOWN, period="2026"):
    job = roster_import_submit(actor=None, content=roster_csv(rows), file_name="r.csv", item_code=ITEM,
                               township_code=township, period=period, enqueue=False)
    return import_job_execute(job_id=job.pk)


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "other_clerk": make_user(Role.TOWNSHIP_CLERK, TANJIASHAN_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }


def test_the_name_rule_refuses_each_bad_class_and_normalises_the_good():
    raw = pd.Series([*BAD_NAMES, *GOOD_NAMES, None], index=range(100, 100 + len(BAD_NAMES) + len(GOOD_NAMES) + 1))
    checked = validators.names(raw)
    assert list(checked.index) == list(raw.index)
    assert list(checked["error"]) == [*BAD_NAMES.values(), *[""] * len(GOOD_NAMES), "required"]
    assert list(checked["value"]) == ["" for _ in BAD_NAMES] + list(GOOD_NAMES.values()) + [""]
    assert all(f"name.{code}" in validators.ERROR_MESSAGES for code in validators.NAME_ERRORS)


def test_the_bulk_name_rule_agrees_with_the_plain_one_on_generated_names():
    pool = [*"张三阿依古丽买买提欧阳", EXT_B, "\U0002a6d6", "·", "•", "・", "．", "‧", "'", "’", "´", "-", " ",
            "\u3000", "\xa0", "\t", "\x07", "\u200b", ",", '"', "1", "１", "A", "b", "Ｚ", "é", "😀", "=", "@", ".",
            "\ufeff"]
    rng = random.Random(2026)
    values = ["".join(rng.choice(pool) for _ in range(rng.randint(0, 9))) for _ in range(20_000)]
    checked = validators.names(pd.Series(values))
    bulk = list(zip(checked["value"], checked["error"], strict=True))
    assert bulk == [validators.name_reference(value) for value in values]
    assert {error for _, error in bulk} == {"", *validators.NAME_ERRORS} - {"too_long"}


def test_every_name_the_rule_accepts_fits_the_bank_file():
    rng = random.Random(7)
    pool = [*"张三阿依古丽买买提", EXT_B, "·", "•", "'", "-", " ", "A", "b", "z"]
    values = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 12))) for _ in range(5_000)]
    values += list(GOOD_NAMES)
    accepted = validators.names(pd.Series(values))["value"]
    accepted = accepted[accepted != ""].reset_index(drop=True)
    assert len(accepted) > 500
    rows = pd.DataFrame({
        "reference": [f"P{i + 1}-1" for i in range(len(accepted))],
        "card_number": [card_number(seq=i) for i in range(len(accepted))], "name": accepted,
        "amount_fen": pd.Series([100] * len(accepted), dtype="int64"), "item": ITEM, "period": "2026",
    })
    data = formats.payment_file_render(file_id="F1", bank_code="ABC", payer="430321", created=date(2026, 11, 1),
                                       rows=rows)
    _header, parsed = formats.payment_file_parse(data)
    assert sorted(parsed["name"]) == sorted(accepted)


def test_the_bank_file_writer_refuses_a_name_it_cannot_carry_by_the_payment_reference():
    rows = pd.DataFrame({"reference": ["P7-1"], "card_number": [card_number()], "name": ["张,三"],
                         "amount_fen": pd.Series([100], dtype="int64"), "item": [ITEM], "period": ["2026"]})
    with pytest.raises(formats.BankFileError, match=r"^row [0-9]+ \(P7-1\): the payee name") as caught:
        formats.payment_file_render(file_id="F1", bank_code="ABC", payer="430321", created=date(2026, 11, 1),
                                    rows=rows)
    assert "张,三" not in caught.value.message


@pytest.mark.django_db
def test_bad_names_are_row_errors_at_import_and_good_names_are_registered_normalised():
    printable = {name: code for name, code in BAD_NAMES.items() if code != "control_character"}
    job = run_import([roster_row(name, id_number(), card_number(), V1) for name in printable])
    assert job.status == ImportStatus.REJECTED
    found = {(e["row"], e["field"], e["code"]) for e in job.errors}
    assert found == {(row, "name", code) for row, code in enumerate(printable.values(), start=1)}
    assert all(e["message"] for e in job.errors)
    good = [roster_row(name, id_number(), card_number(), V1) for name in GOOD_NAMES]
    job = run_import(good)
    assert job.status == ImportStatus.ACCEPTED, job.errors
    registered = [line.person.name for line in job.roster.lines.select_related("person").order_by("row_number")]
    assert registered == list(GOOD_NAMES.values())


@pytest.mark.django_db
def test_a_name_with_a_control_character_is_a_row_error_at_import():
    job = run_import([roster_row("王\x07五", id_number(), card_number(), V1),
                      roster_row("赵\u200b六", id_number(), card_number(), V1)])
    assert job.status == ImportStatus.REJECTED
    assert {(e["row"], e["field"], e["code"]) for e in job.errors} == {
        (1, "name", "control_character"), (2, "name", "control_character")}


@pytest.mark.django_db
def test_a_clerk_corrects_a_name_from_the_person_page_in_jurisdiction_only(people, page_client):
    job = run_import([roster_row("王五", id_number(), card_number(), V1)])
    person = job.roster.lines.get().person
    clerk = page_client(people["clerk"])
    page = clerk.get(f"/registry/persons/{person.pk}/").content.decode()
    assert 'id="rename"' in page and person.id_masked in page and person.cards.get().number_masked in page
    response = clerk.post(f"/registry/persons/{person.pk}/", {"name": "王　伍 ", "reason": "核对身份证"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.name == "王伍"
    event = AuditEvent.objects.get(action="person.rename")
    assert event.detail == {"old_name": "王*", "new_name": "王*", "reason": "核对身份证"}
    assert event.actor == people["clerk"] and event.object_id == str(person.pk)
    # A bad name is refused with the rule's reason and changes nothing.
    clerk.post(f"/registry/persons/{person.pk}/", {"name": "王,伍", "reason": "x"})
    person.refresh_from_db()
    assert person.name == "王伍" and AuditEvent.objects.filter(action="person.rename").count() == 1
    # Another township's clerk does not find the person; other roles may look but not rename.
    other = page_client(people["other_clerk"])
    assert other.get(f"/registry/persons/{person.pk}/").status_code == 404
    assert other.post(f"/registry/persons/{person.pk}/", {"name": "王六", "reason": "x"}).status_code == 404
    finance = page_client(people["finance"])
    assert 'id="rename"' not in finance.get(f"/registry/persons/{person.pk}/").content.decode()
    assert finance.post(f"/registry/persons/{person.pk}/", {"name": "王六", "reason": "x"}).status_code == 403
    person.refresh_from_db()
    assert person.name == "王伍"


@pytest.mark.django_db
def test_the_rename_api_checks_the_rule_the_role_and_the_jurisdiction(people, api_client):
    job = run_import([roster_row("李四", id_number(), card_number(), V1)])
    person = job.roster.lines.get().person
    url = f"/api/v1/registry/persons/{person.pk}"
    clerk = api_client(people["clerk"])
    response = clerk.patch(url, {"name": "李泗", "reason": "户口簿为准"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["name"] == "李*"
    bad = clerk.patch(url, {"name": '李"泗', "reason": "x"}, content_type="application/json")
    assert bad.status_code == 422 and bad.json()["field"] == "name"
    no_reason = clerk.patch(url, {"name": "李思", "reason": "  "}, content_type="application/json")
    assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
    assert api_client(people["finance"]).patch(url, {"name": "李思", "reason": "x"},
                                               content_type="application/json").status_code == 403
    assert api_client(people["other_clerk"]).patch(url, {"name": "李思", "reason": "x"},
                                                   content_type="application/json").status_code == 404
    person.refresh_from_db()
    assert person.name == "李泗"
    with pytest.raises(PermissionDenied):
        person_rename(actor=people["department"], person_id=person.pk, name="李思", reason="x")
    with pytest.raises(NotFound):
        person_rename(actor=people["other_clerk"], person_id=person.pk, name="李思", reason="x")
    with pytest.raises(ValidationFailed):
        person_rename(actor=people["clerk"], person_id=person.pk, name="李思", reason="bell\x07")
    # The same name again changes and records nothing.
    person_rename(actor=people["clerk"], person_id=person.pk, name="李泗", reason="again")
    assert AuditEvent.objects.filter(action="person.rename").count() == 1


@pytest.mark.django_db
def test_a_rename_never_changes_an_approved_payment(people):
    issue(10_000_000)
    job = run_import([roster_row("赵六", id_number(), card_number(), V1)])
    roster = through_department(job.roster, people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    payment = Payment.objects.get(roster=roster)
    person_rename(actor=people["clerk"], person_id=payment.person_id, name="赵陆", reason="核对身份证")
    payment.refresh_from_db()
    assert payment.payee_name == "赵六" and Person.objects.get(pk=payment.person_id).name == "赵陆"


@pytest.mark.django_db
def test_after_a_rename_the_returned_roster_is_accepted_again(people):
    same_person = id_number()
    first = run_import([roster_row("钱七", same_person, card_number(), V1)])
    assert first.status == ImportStatus.ACCEPTED
    # Publicity shows the name is wrong (the ID card says 钱柒): the clerk returns the roster.
    roster_act(actor=people["clerk"], roster_id=first.roster.pk, action="reject", reason="姓名有误")
    person = Person.objects.get(pk=first.roster.lines.get().person_id)
    corrected = [roster_row("钱柒", same_person, pii.decrypt(person.cards.get().number_cipher), V1)]
    again = run_import(corrected)
    assert again.status == ImportStatus.REJECTED
    assert {(e["row"], e["field"], e["code"]) for e in again.errors} == {(1, "id_number", "register_mismatch")}
    person_rename(actor=people["clerk"], person_id=person.pk, name="钱柒", reason="核对身份证")
    accepted = run_import(corrected)
    assert accepted.status == ImportStatus.ACCEPTED, accepted.errors
    assert accepted.roster.lines.get().person_id == person.pk
