"""From an approved roster to money on the card: payment files, return files, re-issue and return,
and the trace of one payment — on PostgreSQL, with verify_ledger after every test."""

from datetime import date, timedelta

import pytest

from disbursement import pii
from disbursement.accounts.roles import Role
from disbursement.banking import formats
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.budget.models import LedgerEntry, Movement
from disbursement.budget.verification import ledger_findings
from disbursement.errors import Conflict, ValidationFailed
from disbursement.payments.corrections import payment_reissue, payment_return
from disbursement.payments.models import BankFile, Payment, PaymentStatus
from disbursement.payments.selectors import payment_trace
from disbursement.registry.services import card_replace
from disbursement.rosters.models import RosterStatus
from disbursement.rosters.workflow import roster_act
from tests.disbursement.test_money_path import accepted_roster, balances, issue, through_department
from tests.factories import card_number, han_name

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ledger_holds():
    yield
    assert ledger_findings() == []


@pytest.fixture
def people(make_user):
    from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN

    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }


def approved_roster(people, rows=40):
    roster = through_department(accepted_roster(rows), people)
    return roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")


def returned(bank_file, *, fail_rate, seed=1):
    return bank_simulate(bank_file.payment_file_bytes(), fail_rate=fail_rate, seed=seed, processed=date.today())


def test_payment_file_then_return_file_settles_the_roster(people):
    indicator = issue(10_000_000)
    roster = approved_roster(people, rows=40)
    files = bank_files_generate(actor=people["finance"], roster_id=roster.pk)
    assert len(files) == 1
    bank_file = files[0]
    header, rows = formats.payment_file_parse(bank_file.payment_file_bytes())
    assert (header.record_count, header.total_fen) == (40, 2_000_000)
    first = Payment.objects.get(reference=rows["reference"].iloc[0])
    assert rows["card_number"].iloc[0] == pii.decrypt(first.card.number_cipher)  # the bank needs the whole number
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.SENT}
    # Generating again sends nothing twice and the stored file is unchanged.
    assert bank_files_generate(actor=people["finance"], roster_id=roster.pk) == []
    assert BankFile.objects.get().sha256 == bank_file.sha256
    answer = returned(bank_file, fail_rate=0.1, seed=3)
    imported = return_file_import(actor=people["finance"], data=answer)
    paid = Payment.objects.filter(status=PaymentStatus.PAID)
    failed = Payment.objects.filter(status=PaymentStatus.FAILED)
    assert paid.count() + failed.count() == 40 and failed.count() >= 1
    assert all(p.result_code.startswith("R") for p in failed)
    assert balances(indicator)["paid"] == sum(p.amount_fen for p in paid)
    assert balances(indicator)["reserved"] == sum(p.amount_fen for p in failed)
    roster.refresh_from_db()
    assert roster.status == RosterStatus.PARTLY_FAILED
    # The same return file twice changes nothing.
    entries = LedgerEntry.objects.count()
    assert return_file_import(actor=people["finance"], data=answer).pk == imported.pk
    assert LedgerEntry.objects.count() == entries


def test_a_return_file_that_does_not_add_up_is_refused_whole(people):
    issue(10_000_000)
    roster = approved_roster(people, rows=5)
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    header, rows = formats.return_file_parse(returned(bank_file, fail_rate=0.0))
    short = formats.return_file_render(file_id="R1", payment_file_id=bank_file.file_id, bank_code=header.bank_code,
                                       processed=date.today(), rows=rows.iloc[:4])
    with pytest.raises(ValidationFailed, match="4 records"):
        return_file_import(actor=people["finance"], data=short)
    wrong_amount = rows.copy()
    wrong_amount.loc[0, "amount_fen"] += 1
    altered = formats.return_file_render(file_id="R2", payment_file_id=bank_file.file_id,
                                         bank_code=header.bank_code, processed=date.today(), rows=wrong_amount)
    with pytest.raises(ValidationFailed):
        return_file_import(actor=people["finance"], data=altered)
    tampered = returned(bank_file, fail_rate=0.0).replace(b",S,", b",F,", 1)
    with pytest.raises(ValidationFailed):
        return_file_import(actor=people["finance"], data=tampered)
    assert set(Payment.objects.values_list("status", flat=True)) == {PaymentStatus.SENT}
    assert not LedgerEntry.objects.filter(movement=Movement.PAY).exists()


def test_a_failed_payment_is_reissued_to_the_corrected_card_in_a_follow_up_file(people):
    indicator = issue(10_000_000)
    roster = approved_roster(people, rows=20)
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    return_file_import(actor=people["finance"], data=returned(bank_file, fail_rate=0.3, seed=5))
    failed = Payment.objects.filter(status=PaymentStatus.FAILED).order_by("reference")
    reissuable = [p for p in failed if p.result_code != "R05"]
    assert reissuable
    target = reissuable[0]
    card_replace(actor=people["clerk"], person_id=target.person_id, card_number=card_number(bin_="621700"))
    again = payment_reissue(actor=people["clerk"], payment_id=target.pk)
    assert payment_reissue(actor=people["clerk"], payment_id=target.pk).pk == again.pk  # twice gives the same
    assert again.previous_id == target.pk and again.attempt == 2 and again.card_id != target.card_id
    for other in failed.exclude(pk=target.pk):
        payment_return(actor=people["clerk"], payment_id=other.pk)
    follow_up = bank_files_generate(actor=people["finance"], roster_id=roster.pk)
    assert [(f.sequence, f.record_count) for f in follow_up] == [(1, 1)]  # a new bank, its first file
    return_file_import(actor=people["finance"], data=returned(follow_up[0], fail_rate=0.0))
    again.refresh_from_db()
    assert again.status == PaymentStatus.PAID
    roster.refresh_from_db()
    assert roster.status == RosterStatus.CLOSED if failed.count() > 1 else RosterStatus.SETTLED
    money = balances(indicator)
    assert money["reserved"] == 0
    assert money["paid"] + money["returned"] == 20 * 50_000
    trace = payment_trace(actor=people["finance"], reference=again.reference)
    assert trace["indicator"]["document_number"] == indicator.document_number
    assert trace["earlier_attempts"] == [target.reference]
    assert [a["action"] for a in trace["approvals"]][-1] == "finance_approve"
    assert trace["bank_result"]["status"] == "paid" and "****" in trace["payee"]["card"]
    assert pii.decrypt(again.card.number_cipher) not in str(trace)


def test_a_deceased_holder_is_not_reissued_and_only_finance_handles_bank_files(people):
    issue(10_000_000)
    roster = approved_roster(people, rows=3)
    from disbursement.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        bank_files_generate(actor=people["clerk"], roster_id=roster.pk)
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    header, rows = formats.return_file_parse(returned(bank_file, fail_rate=0.0))
    rows.loc[0, ["result", "reason", "bank_txn"]] = ["F", "R05", ""]
    answer = formats.return_file_render(file_id="R9", payment_file_id=bank_file.file_id, bank_code=header.bank_code,
                                        processed=date.today(), rows=rows)
    return_file_import(actor=people["finance"], data=answer)
    dead = Payment.objects.get(status=PaymentStatus.FAILED)
    with pytest.raises(Conflict, match="rules out paying again"):
        payment_reissue(actor=people["clerk"], payment_id=dead.pk)
    assert payment_return(actor=people["clerk"], payment_id=dead.pk).status == PaymentStatus.RETURNED
    roster.refresh_from_db()
    assert roster.status == RosterStatus.CLOSED


def test_the_demo_cycle_walks_every_roster_to_the_bank_and_back(capsys):
    from django.core.management import call_command

    from disbursement.payments.demo import demo_cycle_run

    call_command("demo_data", "--households", "120", "--seed", "3", "--force", verbosity=0)
    outcome = demo_cycle_run(fail_rate=0.2, seed=7, out=lambda line: None)
    assert outcome["rosters"] > 0
    assert outcome["paid"] > 0 and outcome["pending"] == 0 and outcome["sent"] == 0
    assert outcome["reissue"] is not None
    assert Payment.objects.get(reference=outcome["reissue"]).status == PaymentStatus.PAID
    from disbursement.rosters.models import Roster

    assert not Roster.objects.filter(status=RosterStatus.VALIDATED).exists()
    # A roster stays approved-not-sent only when every payment of it is held by a risk alert (事前拦截).
    for roster in Roster.objects.filter(status=RosterStatus.FINANCE_APPROVED):
        assert set(roster.payments.values_list("status", flat=True)) == {PaymentStatus.HELD}
    assert Roster.objects.filter(status=RosterStatus.PUBLICITY).count() == 1  # kept for the portal's village lists


def test_failed_payments_nobody_handles_return_to_their_indicator_after_the_waiting_days(people, settings):
    from django.utils import timezone

    from disbursement.payments.tasks import payments_return_unhandled

    indicator = issue(10_000_000)
    roster = approved_roster(people, rows=10)
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    return_file_import(actor=people["finance"], data=returned(bank_file, fail_rate=0.5, seed=11))
    failed = Payment.objects.filter(status=PaymentStatus.FAILED)
    count, amount = failed.count(), sum(p.amount_fen for p in failed)
    assert count > 0
    settings.PAYMENT_RETURN_DAYS = 30
    payments_return_unhandled()  # too early: nothing moves
    assert Payment.objects.filter(status=PaymentStatus.FAILED).count() == count
    failed.update(settled_at=timezone.now() - timedelta(days=31))
    payments_return_unhandled()
    payments_return_unhandled()  # twice: nothing returned twice
    assert Payment.objects.filter(status=PaymentStatus.RETURNED).count() == count
    assert balances(indicator)["returned"] == amount and balances(indicator)["reserved"] == 0
    roster.refresh_from_db()
    assert roster.status == RosterStatus.CLOSED


@pytest.mark.django_db(transaction=True)
def test_paid_payments_notify_residents_once_without_whole_numbers(reference_in_transactional_db, people):
    from celery.contrib.testing.worker import start_worker

    from backend.celery import app
    from disbursement.notifications.models import Notice
    from disbursement.rosters.services import import_job_execute, roster_import_submit
    from tests.factories import id_number, roster_csv, roster_row

    issue(10_000_000)
    rows = [roster_row(han_name("吴", i), id_number(), card_number(), "430321100001",
                       phone=f"1380731{i:04d}" if i % 2 else "") for i in range(6)]
    job = roster_import_submit(actor=None, content=roster_csv(rows), file_name="phones.csv", item_code="0604",
                               township_code="430321100000", period="2026", enqueue=False)
    roster = through_department(import_job_execute(job_id=job.pk).roster, people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    answer = returned(bank_file, fail_rate=0.0)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        return_file_import(actor=people["finance"], data=answer)
        return_file_import(actor=people["finance"], data=answer)
        import time

        deadline = time.monotonic() + 30
        while Notice.objects.filter(status="sent").count() < 3 and time.monotonic() < deadline:
            time.sleep(0.2)
    notices = Notice.objects.all()
    assert notices.count() == 3  # the three payees with a phone, once each although the file came twice
    assert {n.phone_masked for n in notices} == {"138****0001", "138****0003", "138****0005"}
    assert {n.status for n in notices} == {"sent"}  # the real worker queued and sent them
    for notice in notices:
        assert "元已发放到尾号" in notice.text and "13807310" not in notice.text


def test_finance_works_the_bank_side_from_the_roster_page_and_the_clerk_traces_a_payment(people, page_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    issue(10_000_000)
    roster = approved_roster(people, rows=4)
    finance = page_client(people["finance"])
    page = finance.get(f"/rosters/{roster.pk}/").content.decode()
    assert 'id="bank-files"' in page and "生成代发文件" in page
    assert finance.post(f"/rosters/{roster.pk}/bank-files/").status_code == 302
    bank_file = BankFile.objects.get(roster=roster)
    download = finance.get(f"/bank-files/{bank_file.pk}/")
    assert download.status_code == 200 and download.content == bank_file.payment_file_bytes()
    clerk = page_client(people["clerk"])
    assert clerk.get(f"/bank-files/{bank_file.pk}/").status_code == 302  # whole card numbers: finance only
    answer = returned(bank_file, fail_rate=0.0)
    finance.post(f"/rosters/{roster.pk}/bank-return/", {"file": SimpleUploadedFile("r.csv", answer)})
    roster.refresh_from_db()
    assert roster.status == RosterStatus.SETTLED
    payment = Payment.objects.filter(roster=roster).first()
    trace = clerk.get(f"/payments/{payment.reference}/").content.decode()
    assert bank_file.file_id in trace and "湘财社" in trace and 'id="trace-status" data-status="paid"' in trace
    assert pii.decrypt(payment.card.number_cipher) not in trace
    listing = clerk.get("/payments/", {"status": "paid"}).content.decode()
    assert payment.reference in listing


@pytest.mark.django_db(transaction=True)
def test_generating_and_reconciling_at_the_same_time_twice_pays_once(reference_in_transactional_db, people):
    from tests.builders import race_messages as _race

    indicator = issue(10_000_000)
    roster = approved_roster(people, rows=30)
    outcomes = _race([lambda: bank_files_generate(actor=people["finance"], roster_id=roster.pk)] * 2)
    assert outcomes == ["ok", "ok"]
    assert BankFile.objects.count() == 1
    bank_file = BankFile.objects.get()
    assert Payment.objects.filter(bank_file=bank_file).count() == 30
    answer = returned(bank_file, fail_rate=0.1, seed=2)
    outcomes = _race([lambda: return_file_import(actor=people["finance"], data=answer)] * 2)
    assert outcomes == ["ok", "ok"]
    paid = sum(p.amount_fen for p in Payment.objects.filter(status=PaymentStatus.PAID))
    assert LedgerEntry.objects.filter(movement=Movement.PAY).count() == 1
    assert balances(indicator)["paid"] == paid


def test_a_stored_payment_file_is_sealed_but_downloads_whole(people):
    issue(10_000_000)
    roster = approved_roster(people, rows=2)
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    card = pii.decrypt(Payment.objects.filter(roster=roster).first().card.number_cipher)
    assert card.encode() not in bytes(bank_file.content)
    assert card.encode() in bank_file.payment_file_bytes()
    import hashlib

    assert hashlib.sha256(bank_file.payment_file_bytes()).hexdigest() == bank_file.sha256
