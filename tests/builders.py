"""Builders of money-path data shared by the tests: an accepted roster, an indicator, a roster walked
through publicity and approvals. They call the services as the system would (actor=None for the import)."""

import threading
from datetime import date, timedelta

from django.db import connection
from django.utils import timezone

from disbursement.banking import formats
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.budget.services import indicator_issue
from disbursement.errors import Conflict, DomainError
from disbursement.payments.models import Payment
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

ITEM = "0604"  # 困难群众春节慰问金: 500.00 yuan per household, once, civil affairs, 5 days of publicity
V1 = "430321100001"


def accepted_roster(rows: int = 3, period: str = "2026"):
    content = roster_csv([roster_row(han_name("孙", i), id_number(), card_number(), V1) for i in range(rows)])
    job = roster_import_submit(actor=None, content=content, file_name="r.csv", item_code=ITEM,
                               township_code=YISUHE_TOWN, period=period, enqueue=False)
    job = import_job_execute(job_id=job.pk)
    assert job.roster, job.errors
    return job.roster


def issue(amount_fen: int, number: str = "湘财社〔2026〕1号", year: int = 2026):
    return indicator_issue(actor=None, document_number=number, item_code=ITEM, county_code=XIANGTAN_COUNTY,
                           fiscal_year=year, funding_level="provincial", amount_fen=amount_fen)


def publicity_passed(roster, clerk):
    """Publish the roster as if it had happened a day more than its window ago (the service's clock; pages and
    the API cannot do this), so township approval is due now."""
    days = roster.item.publicity_days
    return roster_act(actor=clerk, roster_id=roster.pk, action="start_publicity",
                      now=timezone.now() - timedelta(days=days + 1))


def through_department(roster, people, today: date | None = None):
    publicity_passed(roster, people["clerk"])
    roster_act(actor=people["clerk"], roster_id=roster.pk, action="township_approve")
    return roster_act(actor=people["department"], roster_id=roster.pk, action="department_approve")


def race(targets) -> list[str]:
    """Run the callables at once, each in its own thread and connection; "ok" or the refusal's class name each,
    in the order given."""
    barrier = threading.Barrier(len(targets))
    outcomes = [""] * len(targets)

    def run(index, target):
        barrier.wait()
        try:
            target()
            outcomes[index] = "ok"
        except DomainError as exc:
            outcomes[index] = type(exc).__name__
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, t)) for i, t in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def race_messages(targets) -> list[str]:
    """Like race, but "ok" or "conflict: <message>" per call, in the order they finished (for asserting on
    which refusal the loser read)."""
    barrier = threading.Barrier(len(targets))
    outcomes = []

    def run(target):
        barrier.wait()
        try:
            target()
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(f"conflict: {exc.message}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def failed_payments(people, reasons: list[str]) -> list[Payment]:
    """An approved roster of len(reasons) + 1 lines sent to the bank; line i fails with reasons[i], the last is
    paid."""
    issue(10_000_000)
    roster = through_department(accepted_roster(len(reasons) + 1), people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0, seed=1, processed=timezone.localdate())
    header, rows = formats.return_file_parse(answer)
    for position, code in enumerate(reasons):
        rows.loc[position, ["result", "reason", "bank_txn"]] = ["F", code, ""]
    return_file_import(actor=people["finance"], data=formats.return_file_render(
        file_id=f"R{bank_file.pk}", payment_file_id=bank_file.file_id, bank_code=header.bank_code,
        processed=timezone.localdate(), rows=rows))
    return [Payment.objects.get(reference=reference) for reference in rows["reference"].iloc[:len(reasons)]]
def roster_returned(people, outcomes: list[tuple[str, str, str | None]], item_period: str = "2026"):
    """A roster of one line per (village, bank, reason) through finance approval and the bank: each line's
    payment is failed with `reason`, or paid when it is None. Returns the payments in line order."""
    from disbursement.banking import formats
    from disbursement.banking.services import bank_files_generate, return_file_import
    from disbursement.banking.simulator import bank_simulate
    from disbursement.payments.models import Payment

    bins = {"中国农业银行": "622848", "中国建设银行": "621700"}
    rows = [roster_row(han_name("钱", i), id_number(), card_number(bin_=bins[bank]), village, bank=bank)
            for i, (village, bank, _reason) in enumerate(outcomes)]
    job = roster_import_submit(actor=None, content=roster_csv(rows), file_name="r.csv", item_code=ITEM,
                               township_code=YISUHE_TOWN, period=item_period, enqueue=False)
    roster = import_job_execute(job_id=job.pk).roster
    assert roster, job.errors
    issue(roster.total_fen, number=f"湘财社〔2026〕{roster.pk}号")
    through_department(roster, people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    payments = list(Payment.objects.filter(roster=roster).order_by("line__row_number"))
    failing = {payment.reference: reason for payment, (_v, _b, reason) in zip(payments, outcomes, strict=True)
               if reason}
    today = timezone.localdate()
    for bank_file in bank_files_generate(actor=people["finance"], roster_id=roster.pk):
        answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0, seed=1, processed=today)
        header, result = formats.return_file_parse(answer)
        for position, reference in enumerate(result["reference"]):
            if reference in failing:
                result.loc[position, ["result", "reason", "bank_txn"]] = ["F", failing[reference], ""]
        return_file_import(actor=people["finance"], data=formats.return_file_render(
            file_id=f"R{bank_file.pk}", payment_file_id=bank_file.file_id, bank_code=header.bank_code,
            processed=today, rows=result))
    return [Payment.objects.get(pk=payment.pk) for payment in payments]
