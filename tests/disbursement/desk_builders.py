"""A small paid year for the supervisor's desk: one indicator, one roster of four lines in 易俗河镇's first
village, sent to the bank; line 1 fails with R03 and is re-issued (not yet sent again), line 2 fails with R05 and
its money is returned, lines 3 and 4 are paid. Every amount is 500.00 yuan, so by hand:

    issued 10,000.00 · reserved 2,000.00 · not reserved 8,000.00 · paid 1,000.00 · failed 1,000.00
    re-issued 500.00 (not yet settled) · returned 500.00
"""

from datetime import date

from disbursement.accounts.roles import Role
from disbursement.banking import formats
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.payments.corrections import payment_reissue, payment_return
from disbursement.payments.models import Payment
from disbursement.rosters.workflow import roster_act
from disbursement.supervision.services import facts_refresh
from tests.builders import V1, accepted_roster, issue, through_department
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN

VILLAGE = V1  # 430321100001, in 易俗河镇, 湘潭县, 湘潭市


def desk_people(make_user) -> dict:
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }


def desk_year(people) -> dict:
    """The year described above, with the desk's facts refreshed; returns the indicator, the roster and its
    payments by row (1-4)."""
    indicator = issue(1_000_000)
    roster = through_department(accepted_roster(4), people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    processed = date(2026, 3, 2)
    answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0, seed=1, processed=processed)
    header, rows = formats.return_file_parse(answer)
    rows.loc[0, ["result", "reason", "bank_txn"]] = ["F", "R03", ""]
    rows.loc[1, ["result", "reason", "bank_txn"]] = ["F", "R05", ""]
    return_file_import(actor=people["finance"], data=formats.return_file_render(
        file_id=f"R{bank_file.pk}", payment_file_id=bank_file.file_id, bank_code=header.bank_code,
        processed=processed, rows=rows))
    first, second = (Payment.objects.get(reference=reference) for reference in rows["reference"].iloc[:2])
    reissue = payment_reissue(actor=people["clerk"], payment_id=first.pk)
    payment_return(actor=people["clerk"], payment_id=second.pk)
    # The desk reads pre-aggregated facts; the worker that refreshes them on commit does not run here.
    facts_refresh(county_codes=[XIANGTAN_COUNTY])
    payments = {p.line.row_number: p for p in Payment.objects.filter(roster=roster, attempt=1).select_related("line")}
    return {"indicator": indicator, "roster": roster, "payments": payments, "reissue": reissue,
            "failed_reissued": first, "failed_returned": second}
