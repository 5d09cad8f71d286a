"""Roster ingest at provincial scale: a 1,000,000-row roster through the whole import, beside a raw COPY.

    .venv/bin/python benchmarks/roster_ingest.py [--rows 1000000] [--seed 7]

(a) baseline: PostgreSQL COPY of the same CSV into a bare table with one index (on the ID column);
(b) the import of a first roster, everybody new to the register: read, validate, encrypt, blind-index,
    duplicate checks against the database, persist (new persons, new cards, roster, lines);
(c) the next period's roster of the same people, now known to the register (the common case month after
    month): read, validate, blind-index, checks against the register, persist lines.
Each import is `manage.py import_roster` in a child process; its wall time includes Django's start-up, and its
peak memory (max RSS) is reported.
Uses its own database (onecard_bench, dropped and recreated); never the test or demo databases.
"""

import argparse
import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

TOWNSHIP = "430321100000"  # 易俗河镇, 湘潭县
ITEM, PERIOD = "0604", "2026"  # 困难群众春节慰问金, 500.00 yuan per household, once


def roster_file(path: Path, rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    regions = pd.read_csv(_common.ROOT / "geo" / "data" / "hunan_regions.csv", dtype=str)
    villages = regions.loc[regions["parent_code"] == TOWNSHIP, "code"].to_numpy()
    frame = pd.DataFrame({
        "姓名": _common.names(rows, rng),
        "身份证号": _common.id_numbers(rows, rng),
        "社保卡号": _common.card_numbers(rows, rng),
        "开户银行": "中国农业银行",
        "村(社区)代码": villages[rng.integers(0, len(villages), rows)],
        "村民小组": np.char.add(rng.integers(1, 13, rows).astype(str), "组"),
        "数量": "1",
        "标准": "500.00",
        "金额": "500.00",
        "联系电话": np.where(rng.random(rows) < 0.5,
                            np.char.add("138", np.char.zfill(rng.integers(0, 10**8, rows).astype(str), 8)), ""),
        "备注": "",
    })
    frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL)


def raw_copy(path: Path) -> float:
    import psycopg

    with psycopg.connect(_common.bench_env()["DATABASE_URL"]) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_roster")
        conn.execute("""CREATE TABLE raw_roster (name text, id_number text, card_number text, bank text,
                        village_code text, grp text, quantity text, rate text, amount text, phone text,
                        remark text)""")
        conn.execute("CREATE INDEX raw_roster_id ON raw_roster (id_number)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor, cursor.copy("COPY raw_roster FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    copy.write(chunk)
        conn.commit()
        elapsed = time.perf_counter() - started
        conn.execute("DROP TABLE raw_roster")
        conn.commit()
    return elapsed


def full_import(path: Path, period: str = PERIOD) -> dict:
    """The import in a fresh child process; the child times the import itself and reports its peak RSS."""
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("_import_child.py")), str(path), ITEM, TOWNSHIP, period],
        cwd=_common.ROOT, env=_common.bench_env(), capture_output=True, text=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    return json.loads(lines[-1]) if lines else {"status": "error", "stderr": result.stderr[-3000:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    work = _common.ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"roster-{args.rows}.csv"
    print(f"generating {args.rows:,} rows …", flush=True)
    roster_file(path, args.rows, args.seed)
    print(f"file: {path.stat().st_size / 1e6:.1f} MB", flush=True)
    _common.database_fresh()
    copy_s = raw_copy(path)
    print(f"(a) raw COPY into a bare indexed table: {copy_s:6.2f} s  {args.rows / copy_s:12,.0f} rows/s", flush=True)
    _common.database_fresh()
    first = full_import(path)
    _report("(b) first roster, all new", first, args.rows, copy_s)
    again = work / f"roster-{args.rows}-next.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame["备注"] = "第二期"
    frame.to_csv(again, index=False)
    _report("(c) next roster, all known", full_import(again, period="2027"), args.rows, copy_s)


def _report(label: str, outcome: dict, rows: int, copy_s: float) -> None:
    if outcome.get("status") != "accepted":
        print(f"{label}: FAILED {json.dumps(outcome, ensure_ascii=False)[:2000]}")
        sys.exit(1)
    seconds = outcome["seconds"]
    print(f"{label}: {seconds:6.2f} s  {rows / seconds:12,.0f} rows/s  = {seconds / copy_s:4.1f} × raw COPY;"
          f"  peak RSS {outcome['peak_mib']:,.0f} MiB", flush=True)
    for phase in outcome["phases"]:
        print(f"    {phase.split('; ', 1)[-1]}")


if __name__ == "__main__":
    main()
