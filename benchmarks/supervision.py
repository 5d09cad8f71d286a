"""The supervisor's desk at provincial scale: the overview and the province map for one year, each timed end to end
through the Django test client as a province supervisor, beside one raw aggregate over the same payments measured
in the same run; and the cost of refreshing the supervision facts (what keeps the pages fresh).

    .venv/bin/python benchmarks/supervision.py [--rows 10000000] [--year 2026] [--repeat 3] [--reuse] [--seed 11]

Setup (not timed): the risk benchmark's register and payment history, written by COPY (benchmarks/risk_scan.py,
history_build): --rows payments over ten years in the villages of 湘潭市, all paid. --reuse measures again on
the history the last run left in its database (onecard_bench_supervision) and skips the build.
Timed:
  facts refresh: supervision.services.facts_refresh() over everything, then of one county and year (what a bank
            file or return file queues); skipped when the package has none;
  baseline: SELECT county, SUM(amount_fen) GROUP BY county over every payment (county = the payment's village
            code's first 6 digits + 000000), the plain query a page is compared with;
  overview: GET /supervision/?year=Y;  map: GET /supervision/map/frame/?measure=paid_per_household&year=Y (the map
            page is this frame inside a small parent page).
Each is run once to warm up (printed as "first") and then --repeat times; ratios use the medians.
The last line is JSON: {"overview_x_baseline", "map_x_baseline", "facts_refresh_s", ...}.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# A database of its own, so that running it does not drop the risk benchmark's history (and --reuse keeps it).
os.environ.setdefault("BENCH_DATABASE", "onecard_bench_supervision")
import _common  # noqa: E402

PROVINCE = "430000000000"
BUSIEST_COUNTY = "430321000000"  # 湘潭县, the largest county of the history


def timed(run, repeat: int) -> tuple[float, float, object]:
    """(first, median of `repeat` more, last result) in seconds."""
    started = time.perf_counter()
    result = run()
    first = time.perf_counter() - started
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        runs.append(time.perf_counter() - started)
    return first, statistics.median(runs), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000, help="payments in the history")
    parser.add_argument("--year", type=int, default=2026, help="the year the pages show (the history ends in 2026)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reuse", action="store_true", help="measure again on the history the last run built")
    args = parser.parse_args()
    if args.reuse:
        # The code may have moved on since the build (a new facts table): bring the schema up to date first.
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=_common.ROOT,
                       env=_common.bench_env(), check=True)
    else:
        _common.database_fresh()
    _common.django_setup()

    import psycopg
    from django.db import connection
    from django.test import Client

    from disbursement.accounts.models import User
    from disbursement.accounts.roles import Role
    from disbursement.accounts.services import user_create
    from disbursement.payments.models import Payment

    if args.reuse:
        print(f"reusing the history of the last run ({Payment.objects.count():,} payments)")
    else:
        import risk_scan

        print(f"setup: {args.rows:,} payments, the register and side registers by COPY …", flush=True)
        started = time.perf_counter()
        with psycopg.connect(_common.bench_env()["DATABASE_URL"]) as conn, conn.cursor() as cursor:
            sizes = risk_scan.history_build(cursor, risk_scan_tables(), payments=args.rows, roster_lines=1_000,
                                            seed=args.seed)
            conn.commit()
        print(f"      built in {time.perf_counter() - started:.1f} s: persons {sizes['persons']:,}, "
              f"households {sizes['households']:,}, rosters {sizes['rosters']:,}, payments {sizes['payments']:,}",
              flush=True)

    from disbursement.supervision.services import facts_refresh

    started = time.perf_counter()
    counties = facts_refresh()
    facts_refresh_s = time.perf_counter() - started
    print(f"facts refresh, every county and year ({counties} counties): {facts_refresh_s:7.2f} s", flush=True)
    # What one bank file or return file costs afterwards: its county's facts for its year (the largest county).
    started = time.perf_counter()
    facts_refresh(county_codes=[BUSIEST_COUNTY], years=[args.year])
    county_year_s = time.perf_counter() - started
    print(f"facts refresh, one county-year ({BUSIEST_COUNTY}, {args.year}):    {county_year_s:7.2f} s", flush=True)

    def baseline():
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT SUBSTR(village_id, 1, 6) || '000000' AS county, SUM(amount_fen) "
                           f"FROM {Payment._meta.db_table} GROUP BY 1")
            return cursor.fetchall()

    base_first, base_s, counties = timed(baseline, args.repeat)
    print(f"baseline: SUM(amount) GROUP BY county over {Payment.objects.count():,} payments: "
          f"{base_s:7.3f} s (first {base_first:.3f} s; {len(counties)} counties)", flush=True)

    supervisor = User.objects.filter(username="bench-province-supervisor").first() or user_create(
        actor=None, username="bench-province-supervisor", password="bench-only-password-9", role=Role.SUPERVISOR,
        region_code=PROVINCE)
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(supervisor)

    sql = {"queries": 0, "seconds": 0.0}
    calls = []  # (queries, SQL seconds) of each request, in order

    def sql_timer(execute, query, params, many, context):
        started = time.perf_counter()
        try:
            return execute(query, params, many, context)
        finally:
            sql["queries"] += 1
            sql["seconds"] += time.perf_counter() - started

    def page(url):
        def get():
            sql.update(queries=0, seconds=0.0)
            with connection.execute_wrapper(sql_timer):
                response = client.get(url)
            calls.append((sql["queries"], sql["seconds"]))
            assert response.status_code == 200, (url, response.status_code)
            return response
        return get

    figures = {}
    for name, url in (("overview", f"/supervision/?year={args.year}"),
                      ("map", f"/supervision/map/frame/?measure=paid_per_household&year={args.year}")):
        calls.clear()
        first, median, response = timed(page(url), args.repeat)
        figures[name] = median
        print(f"{name:<9} GET {url:<62} {median:7.3f} s = {median / base_s:5.2f} × baseline "
              f"(first {first:.3f} s, {len(response.content):,} bytes)\n"
              f"          SQL: first request {calls[0][0]} queries {calls[0][1]:.3f} s, later requests "
              f"{calls[-1][0]} queries {statistics.median(c[1] for c in calls[1:]):.3f} s (median); the rest is "
              "Python and rendering", flush=True)
    print(json.dumps({
        "overview_x_baseline": round(figures["overview"] / base_s, 2),
        "map_x_baseline": round(figures["map"] / base_s, 2),
        "facts_refresh_s": None if facts_refresh_s is None else round(facts_refresh_s, 2),
        "facts_refresh_county_year_s": None if county_year_s is None else round(county_year_s, 2),
        "overview_s": round(figures["overview"], 3), "map_s": round(figures["map"], 3),
        "baseline_s": round(base_s, 3), "payments": Payment.objects.count()}))


def risk_scan_tables() -> dict[str, str]:
    """The tables risk_scan.history_build writes, by its names for them."""
    from disbursement.budget.models import Indicator
    from disbursement.payments.models import Payment
    from disbursement.registry.models import SIDE_REGISTERS, Card, Household, Person
    from disbursement.rosters.models import Roster, RosterLine
    from geo.models import Region

    return {"region": Region._meta.db_table, "household": Household._meta.db_table,
            "person": Person._meta.db_table, "card": Card._meta.db_table, "roster": Roster._meta.db_table,
            "rosterline": RosterLine._meta.db_table, "indicator": Indicator._meta.db_table,
            "payment": Payment._meta.db_table,
            **{kind: model._meta.db_table for kind, model in SIDE_REGISTERS.items()}}


if __name__ == "__main__":
    main()
