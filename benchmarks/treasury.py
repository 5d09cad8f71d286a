"""Treasury statements at provincial scale: ten years of daily statements of every Hunan treasury imported, then
the level, band and days of cover of every treasury and day recomputed, beside a raw COPY of the same file.

    .venv/bin/python benchmarks/treasury.py [--regions 137] [--years 10] [--seed 2026]

(a) baseline: PostgreSQL COPY of the same CSV into a plain typed table (no index);
(b) the import service (statements_import) on the file, in this process: read, check every value and the
    arithmetic, link the days, write the statements, recompute the levels of its treasuries, audit;
(c) levels_recompute of every treasury and day.
Hunan has 137 treasuries (province, 14 cities, 122 county-level units that are not statistics-only zones), so
ten years are 137 × 3,652 ≈ 500,000 rows. Uses its own database (onecard_bench, dropped and recreated).
The last line is JSON: {"rows", "copy_s", "import_s", "import_x_copy", "recompute_s", ...}.
"""

import argparse
import datetime
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402


def raw_copy(path: Path) -> float:
    import psycopg

    with psycopg.connect(_common.bench_env()["DATABASE_URL"]) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_treasury")
        amounts = ", ".join(f"a{i} numeric(16,2)" for i in range(11))
        conn.execute(f"CREATE TABLE raw_treasury (region text, day date, {amounts})")
        conn.commit()
        started = time.perf_counter()
        sql = "COPY raw_treasury FROM STDIN WITH (FORMAT csv, HEADER true)"
        with conn.cursor() as cursor, cursor.copy(sql) as copy:
            with path.open("rb") as handle:
                while block := handle.read(1 << 20):
                    copy.write(block)
        conn.commit()
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--regions", type=int, default=137, help="how many treasuries (at most 137)")
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()

    _common.database_fresh()
    _common.django_setup()
    from django.utils import timezone

    from disbursement.treasury.demo import statements_csv, statements_demo
    from disbursement.treasury.selectors import treasury_regions
    from disbursement.treasury.services import levels_recompute, statements_import

    codes = treasury_regions()[: args.regions]
    end = timezone.localdate() - datetime.timedelta(days=1)
    started = time.perf_counter()
    frame = statements_demo(codes, end=end, years=args.years, seed=args.seed)
    content = statements_csv(frame)
    print(f"{len(frame):,} statements of {len(codes)} treasuries × {args.years} years generated "
          f"({len(content) / 2**20:.1f} MB CSV) in {time.perf_counter() - started:.1f} s", flush=True)

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "statements.csv"
        path.write_bytes(content)
        copy_s = raw_copy(path)
    print(f"(a) raw COPY into a plain table:        {copy_s:6.2f} s", flush=True)

    started = time.perf_counter()
    result = statements_import(actor=None, content=content, file_name="statements.csv")
    import_s = time.perf_counter() - started
    if result.status != "accepted":
        print(f"(b) import FAILED: {result.message} {result.errors[:5]}")
        raise SystemExit(1)
    phases = "  ".join(f"{name} {seconds:.2f}" for name, seconds in result.seconds.items())
    print(f"(b) import_treasury service:            {import_s:6.2f} s  = {import_s / copy_s:4.1f} × raw COPY "
          f"({result.inserted:,} new days; phases: {phases})", flush=True)
    without_levels = import_s - result.seconds.get("levels", 0.0)
    print(f"    of which the statements alone:      {without_levels:6.2f} s  = "
          f"{without_levels / copy_s:4.1f} × raw COPY", flush=True)

    started = time.perf_counter()
    recompute_phases = {}
    written = levels_recompute(seconds=recompute_phases)
    recompute_s = time.perf_counter() - started
    phases = "  ".join(f"{name} {seconds:.2f}" for name, seconds in recompute_phases.items())
    print(f"(c) levels_recompute, every treasury:   {recompute_s:6.2f} s  ({written:,} levels; phases: {phases})",
          flush=True)
    print(json.dumps({
        "rows": len(frame), "regions": len(codes), "years": args.years, "copy_s": round(copy_s, 2),
        "import_s": round(import_s, 2), "import_x_copy": round(import_s / copy_s, 2),
        "statements_x_copy": round(without_levels / copy_s, 2), "recompute_s": round(recompute_s, 2),
        "phases": result.seconds, "recompute_phases": recompute_phases,
    }))


if __name__ == "__main__":
    main()
