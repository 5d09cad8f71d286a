"""Re-issuing a failed payment: card-level failures (R01, R04, R06) need a corrected card, registered and re-issued
in one step from the service, the API and the roster page; other reasons re-issue in one click. On PostgreSQL,
with real concurrency, and verify_ledger after every test."""

import threading
from datetime import date

import pytest
from django.core.management import call_command
from django.db import connection

from disbursement import pii
from disbursement.accounts.roles import Role
from disbursement.audit.models import AuditEvent
from disbursement.banking import formats
from disbursement.banking.codes import REASONS
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.budget.verification import ledger_findings
from disbursement.errors import Conflict, ValidationFailed
from disbursement.payments.corrections import payment_reissue, payment_reissue_to_card
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.models import Card, CardStatus, Person
from disbursement.registry.services import person_rename
from tests.builders import failed_payments
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number

CARD_LEVEL = ["R01", "R04", "R06"]
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ledger_holds():
    yield
    assert ledger_findings() == []


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }


def test_every_reason_says_whether_it_needs_a_new_card():
    assert sorted(code for code, reason in REASONS.items() if reason.needs_new_card) == CARD_LEVEL
    assert not any(reason.needs_new_card and not reason.reissue for reason in REASONS.values())


@pytest.mark.parametrize("code", CARD_LEVEL)
def test_a_card_level_failure_is_not_reissued_to_the_same_card(people, api_client, code):
    [failed] = failed_payments(people, [code])
    with pytest.raises(Conflict, match="Register the corrected card first"):
        payment_reissue(actor=people["clerk"], payment_id=failed.pk)
    response = api_client(people["clerk"]).post(f"/api/v1/payments/{failed.pk}/reissue")
    assert response.status_code == 409 and response.json()["code"] == "conflict", response.content
    failed.refresh_from_db()
    assert failed.status == PaymentStatus.FAILED and not Payment.objects.filter(previous=failed).exists()


@pytest.mark.parametrize("code", CARD_LEVEL)
def test_a_card_level_failure_with_a_corrected_card_is_paid_to_it_in_the_next_bank_file(people, code):
    [failed] = failed_payments(people, [code])
    new_number = card_number(bin_="621700")
    again = payment_reissue_to_card(actor=people["clerk"], payment_id=failed.pk, card_number=new_number)
    # Sent twice (a double click, a retry): the same re-issue, the register untouched the second time.
    assert payment_reissue_to_card(actor=people["clerk"], payment_id=failed.pk, card_number=new_number).pk == again.pk
    assert payment_reissue(actor=people["clerk"], payment_id=failed.pk).pk == again.pk
    assert Payment.objects.filter(previous=failed).count() == 1
    assert again.card_id != failed.card_id and pii.decrypt(again.card.number_cipher) == new_number
    assert again.card_masked == pii.mask_card(new_number)
    assert set(Card.objects.filter(person_id=failed.person_id).values_list("pk", "status")) == {
        (failed.card_id, CardStatus.CLOSED), (again.card_id, CardStatus.ACTIVE)}
    [follow_up] = bank_files_generate(actor=people["finance"], roster_id=failed.roster_id)
    _header, rows = formats.payment_file_parse(follow_up.payment_file_bytes())
    assert list(rows["reference"]) == [again.reference] and list(rows["card_number"]) == [new_number]
    return_file_import(actor=people["finance"], data=bank_simulate(
        follow_up.payment_file_bytes(), fail_rate=0.0, seed=2, processed=date.today()))
    again.refresh_from_db()
    assert again.status == PaymentStatus.PAID
    audits = AuditEvent.objects.filter(action__in=["card.replace", "payment.reissue"]).order_by("seq")
    assert [a.action for a in audits] == ["card.replace", "payment.reissue"]
    assert new_number not in str([a.detail for a in audits])
    call_command("verify_ledger")


@pytest.mark.parametrize("code", ["R02", "R03", "R07", "R08", "R99"])
def test_other_reasons_reissue_to_the_same_card_in_one_click(people, code):
    [failed] = failed_payments(people, [code])
    again = payment_reissue(actor=people["clerk"], payment_id=failed.pk)
    assert again.card_id == failed.card_id and again.status == PaymentStatus.PENDING and again.attempt == 2


def test_a_reissue_after_a_name_mismatch_carries_the_corrected_register_name(people):
    mismatch, legacy = failed_payments(people, ["R02", "R02"])
    person_rename(actor=people["clerk"], person_id=mismatch.person_id, name="孙淼", reason="核对身份证")
    again = payment_reissue(actor=people["clerk"], payment_id=mismatch.pk)
    mismatch.refresh_from_db()
    assert again.payee_name == "孙淼" and mismatch.payee_name != "孙淼"  # the failed payment keeps its frozen name
    # A register name from before the name rule is refused here, not by the bank file of the whole batch.
    Person.objects.filter(pk=legacy.person_id).update(name="孙,二")
    with pytest.raises(Conflict, match="correct the name first"):
        payment_reissue(actor=people["clerk"], payment_id=legacy.pk)


def test_a_refused_corrected_card_leaves_the_register_and_the_payment_as_they_were(people, api_client):
    [failed] = failed_payments(people, ["R04"])
    client = api_client(people["clerk"])
    response = client.post(f"/api/v1/payments/{failed.pk}/reissue", {"card_number": "6228480000000000001"},
                           content_type="application/json")  # fails the check digit
    assert response.status_code == 422 and response.json()["field"] == "card_number"
    assert "6228480000000000001" not in response.content.decode()
    with pytest.raises(Conflict, match="registered to another person"):
        other = Payment.objects.filter(roster_id=failed.roster_id).exclude(pk=failed.pk).first()
        payment_reissue_to_card(actor=people["clerk"], payment_id=failed.pk,
                                card_number=pii.decrypt(other.card.number_cipher))
    with pytest.raises(ValidationFailed):
        payment_reissue_to_card(actor=people["clerk"], payment_id=failed.pk, card_number="12")
    failed.refresh_from_db()
    assert failed.status == PaymentStatus.FAILED
    assert Card.objects.get(person_id=failed.person_id, status=CardStatus.ACTIVE).pk == failed.card_id


def test_the_api_reissues_with_or_without_a_corrected_card(people, api_client):
    closed, frozen = failed_payments(people, ["R01", "R03"])
    client = api_client(people["clerk"])
    new_number = card_number(bin_="621700")
    response = client.post(f"/api/v1/payments/{closed.pk}/reissue", {"card_number": new_number, "bank": "中国银行"},
                           content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "pending" and body["card"] == pii.mask_card(new_number) and body["bank"] == "中国银行"
    assert new_number not in response.content.decode()
    body_less = client.post(f"/api/v1/payments/{frozen.pk}/reissue", content_type="application/json")  # empty
    assert body_less.status_code == 200 and body_less.json()["card"] == frozen.card_masked
    department = api_client(people["department"])
    assert department.post(f"/api/v1/payments/{closed.pk}/reissue").status_code == 403


def test_the_roster_page_offers_the_corrected_card_form_for_card_level_failures_only(people, page_client):
    lost, frozen = failed_payments(people, ["R06", "R03"])
    clerk = page_client(people["clerk"])
    page = clerk.get(f"/rosters/{lost.roster_id}/").content.decode()
    lost_row = page[page.index(f'id="failed-{lost.pk}"'):]
    lost_row = lost_row[:lost_row.index("</tr>")]
    frozen_row = page[page.index(f'id="failed-{frozen.pk}"'):]
    frozen_row = frozen_row[:frozen_row.index("</tr>")]
    assert 'name="card_number"' in lost_row and 'value="reissue"' in lost_row
    assert 'name="card_number"' not in frozen_row and 'value="reissue"' in frozen_row
    assert f"/registry/persons/{lost.person_id}/" in lost_row
    new_number = card_number(bin_="621700")
    response = clerk.post(f"/payments/{lost.pk}/act/", {"action": "reissue", "card_number": new_number,
                                                         "bank": "", "next": f"/rosters/{lost.roster_id}/"},
                          follow=True)
    assert response.status_code == 200 and new_number not in response.content.decode()
    assert Payment.objects.get(previous=lost).card_id != lost.card_id
    # Without a card number the same button answers with the reason instead of re-issuing to the lost card.
    response = clerk.post(f"/payments/{frozen.pk}/act/", {"action": "reissue", "next": f"/rosters/{lost.roster_id}/"})
    assert response.status_code == 302 and Payment.objects.get(previous=frozen).card_id == frozen.card_id


def _at_once(targets) -> list[str]:
    barrier = threading.Barrier(len(targets))
    outcomes = []

    def run(target):
        barrier.wait()
        try:
            outcomes.append(target().reference)
        except Conflict as exc:
            outcomes.append(f"conflict: {exc.message}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_the_corrected_card_submitted_twice_at_once_reissues_once(reference_in_transactional_db, people):
    [failed] = failed_payments(people, ["R04"])
    new_number = card_number(bin_="621700")
    outcomes = _at_once([
        lambda: payment_reissue_to_card(actor=people["clerk"], payment_id=failed.pk, card_number=new_number)
        for _ in range(2)
    ])
    assert len(outcomes) == 2 and outcomes[0] == outcomes[1] and not outcomes[0].startswith("conflict")
    assert Payment.objects.filter(previous=failed).count() == 1
    assert Card.objects.filter(person_id=failed.person_id, status=CardStatus.ACTIVE).count() == 1
    assert AuditEvent.objects.filter(action="card.replace").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_plain_reissue_sent_twice_at_once_reissues_once(reference_in_transactional_db, people):
    [failed] = failed_payments(people, ["R08"])
    outcomes = _at_once([lambda: payment_reissue(actor=people["clerk"], payment_id=failed.pk) for _ in range(2)])
    assert len(outcomes) == 2 and outcomes[0] == outcomes[1]
    assert Payment.objects.filter(previous=failed).count() == 1
