"""The bank side at provincial scale: 1,000,000 approved payments through bank-file generation and
return-file reconciliation, each beside a raw COPY of the same rows measured in the same run.

    .venv/bin/python benchmarks/payment_cycle.py [--rows 1000000] [--seed 7]

Setup (not timed): a roster of N rows imported, publicised, approved by township, department and finance
(which reserves the budget and creates the N payments set-based).
(a) raw COPY of the payment file's rows into a bare table with one index;
(b) bank_files_generate: N payments pending → sent in one UPDATE, card numbers decrypted, the file rendered
    and stored;
(c) raw COPY of the return file's rows into a bare table with one index;
(d) return_file_import: parse and check the file, COPY into staging, one UPDATE … FROM, ledger movements,
    resident notices queued.
Uses its own database (onecard_bench), dropped and recreated.
"""

import argparse
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
import roster_ingest  # noqa: E402


def raw_copy(rows, columns: str) -> float:
    import io

    import psycopg

    buffer = io.StringIO()
    rows.to_csv(buffer, index=False, header=False)
    data = buffer.getvalue().encode()
    with psycopg.connect(_common.bench_env()["DATABASE_URL"]) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_bank")
        conn.execute(f"CREATE TABLE raw_bank ({columns})")
        conn.execute("CREATE INDEX raw_bank_reference ON raw_bank (reference)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy("COPY raw_bank FROM STDIN WITH (FORMAT csv)") as copy:
            copy.write(data)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE raw_bank")
        conn.commit()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    work = _common.ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"roster-{args.rows}.csv"
    if not path.exists():
        roster_ingest.roster_file(path, args.rows, args.seed)
    _common.database_fresh()
    _common.django_setup()

    from django.utils import timezone

    from disbursement.accounts.roles import Role
    from disbursement.accounts.services import user_create
    from disbursement.banking import formats
    from disbursement.banking.services import bank_files_generate, return_file_import
    from disbursement.banking.simulator import bank_simulate
    from disbursement.budget.services import indicator_issue
    from disbursement.budget.verification import ledger_findings
    from disbursement.rosters.services import import_job_execute, roster_import_submit
    from disbursement.rosters.workflow import roster_act

    print(f"setup: importing and approving a {args.rows:,}-row roster …", flush=True)
    county, town = "430321000000", roster_ingest.TOWNSHIP
    password = "benchmark-password-1"
    clerk = user_create(actor=None, username="clerk", password=password, role=Role.TOWNSHIP_CLERK, region_code=town)
    dept = user_create(actor=None, username="dept", password=password, role=Role.COUNTY_DEPARTMENT,
                       region_code=county, department="civil_affairs")
    finance = user_create(actor=None, username="finance", password=password, role=Role.COUNTY_FINANCE,
                          region_code=county)
    job = roster_import_submit(actor=None, content=path.read_bytes(), file_name=path.name, item_code="0604",
                               township_code=town, period="2026", enqueue=False)
    roster = import_job_execute(job_id=job.pk).roster
    indicator_issue(actor=finance, document_number="湘财社〔2026〕1号", item_code="0604", county_code=county,
                    fiscal_year=2026, funding_level="provincial", amount_fen=roster.total_fen)
    roster_act(actor=clerk, roster_id=roster.pk, action="start_publicity",
               now=timezone.now() - timedelta(days=9))  # the benchmark pretends it was published 9 days ago
    roster_act(actor=clerk, roster_id=roster.pk, action="township_approve")
    roster_act(actor=dept, roster_id=roster.pk, action="department_approve")
    started = time.perf_counter()
    roster_act(actor=finance, roster_id=roster.pk, action="finance_approve")
    print(f"      finance approval (reserve + {args.rows:,} payments): {time.perf_counter() - started:.2f} s")

    started = time.perf_counter()
    (bank_file,) = bank_files_generate(actor=finance, roster_id=roster.pk)
    generate_s = time.perf_counter() - started
    _, payment_rows = formats.payment_file_parse(bank_file.payment_file_bytes())
    copy_out_s = raw_copy(payment_rows, "reference text, card_number text, name text, amount_fen bigint, "
                                        "item text, period text")
    print(f"(a) raw COPY of the payment rows:     {copy_out_s:6.2f} s  {args.rows / copy_out_s:12,.0f} rows/s")
    print(f"(b) bank-file generation:             {generate_s:6.2f} s  {args.rows / generate_s:12,.0f} rows/s"
          f"  = {generate_s / copy_out_s:4.1f} × raw COPY  ({len(bank_file.payment_file_bytes()) / 1e6:.0f} MB)")

    answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.02, seed=args.seed, processed=date.today())
    _, return_rows = formats.return_file_parse(answer)
    copy_in_s = raw_copy(return_rows, "reference text, result text, reason text, amount_fen bigint, bank_txn text")
    started = time.perf_counter()
    return_file_import(actor=finance, data=answer)
    import_s = time.perf_counter() - started
    print(f"(c) raw COPY of the return rows:      {copy_in_s:6.2f} s  {args.rows / copy_in_s:12,.0f} rows/s")
    print(f"(d) return-file reconciliation:       {import_s:6.2f} s  {args.rows / import_s:12,.0f} rows/s"
          f"  = {import_s / copy_in_s:4.1f} × raw COPY")
    started = time.perf_counter()
    again = return_file_import(actor=finance, data=answer)
    print(f"    the same return file again:       {time.perf_counter() - started:6.2f} s (changes nothing: "
          f"{again.returned_at is not None})")
    findings = ledger_findings()
    print(f"    verify_ledger: {'ok' if not findings else findings[:3]}")


if __name__ == "__main__":
    main()
