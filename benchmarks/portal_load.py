"""Resident self-lookup under load: POST /api/v1/public/lookup at 50 concurrent clients against gunicorn, with a
register of 1,000,000 persons, beside a bare django-ninja endpoint doing one indexed lookup, in the same run.

    .venv/bin/python benchmarks/portal_load.py [--rows 1000000] [--seconds 20] [--connections 50]

Needs `wrk` (Debian package). Setup (not timed): a 1,000,000-row roster imported (1 M persons) and approved
(1 M payments). Load: wrk with 50 connections, 2 threads, POST bodies cycling through 20,000 real name/ID pairs
(every one found), against gunicorn with 4 sync workers on 127.0.0.1 — all on the same 2 cores.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402
import roster_ingest  # noqa: E402

PORT = 8801
LUA = """
local bodies = {}
for line in io.lines("%s") do bodies[#bodies + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, bodies[(counter %% #bodies) + 1])
end
"""


def setup(path: Path) -> None:
    _common.database_fresh()
    _common.django_setup()
    from django.utils import timezone

    from disbursement.accounts.roles import Role
    from disbursement.accounts.services import user_create
    from disbursement.budget.services import indicator_issue
    from disbursement.rosters.services import import_job_execute, roster_import_submit
    from disbursement.rosters.workflow import roster_act

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
    roster_act(actor=finance, roster_id=roster.pk, action="finance_approve")


def server_start() -> subprocess.Popen:
    env = {**_common.bench_env(), "DJANGO_SETTINGS_MODULE": "portal_bench_settings", "ALLOWED_HOSTS": "127.0.0.1",
           "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "backend.wsgi:application", "--pythonpath", "benchmarks",
         "--bind", f"127.0.0.1:{PORT}", "--workers", "4", "--log-level", "warning"],
        cwd=_common.ROOT, env=env, start_new_session=True,
    )
    for _ in range(60):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)
            return process
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("gunicorn did not start")


def wrk(url: str, script: Path, seconds: int, connections: int) -> dict:
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50%"), "p99": ms("99%"),
            "errors": int(non_2xx.group(1)) if non_2xx else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")
    work = _common.ROOT / "var" / "bench"
    work.mkdir(parents=True, exist_ok=True)
    path = work / f"roster-{args.rows}.csv"
    if not path.exists():
        roster_ingest.roster_file(path, args.rows, args.seed)
    print(f"setup: a register of {args.rows:,} persons with their payments …", flush=True)
    setup(path)
    sample = pd.read_csv(path, dtype=str, usecols=["姓名", "身份证号"]).sample(n=20_000, random_state=args.seed)
    bodies = work / "portal-bodies.txt"  # fake people of the benchmark's own register
    bodies.write_text("\n".join(json.dumps({"name": n, "id_number": i}, ensure_ascii=False)
                                for n, i in zip(sample["姓名"], sample["身份证号"], strict=True)) + "\n")
    script = work / "portal.lua"
    script.write_text(LUA % bodies)
    server = server_start()
    try:
        wrk(f"http://127.0.0.1:{PORT}/api/v1/public/lookup", script, 3, args.connections)  # warm-up
        bare = wrk(f"http://127.0.0.1:{PORT}/bare/lookup", script, args.seconds, args.connections)
        portal = wrk(f"http://127.0.0.1:{PORT}/api/v1/public/lookup", script, args.seconds, args.connections)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    for label, result in (("bare ninja endpoint, one indexed lookup", bare), ("resident self-lookup", portal)):
        print(f"{label:<40} {result['rps']:9.1f} req/s  p50 {result['p50']:6.1f} ms  p99 {result['p99']:6.1f} ms"
              f"  non-2xx {result['errors']}")
    print(f"self-lookup / bare = {portal['rps'] / bare['rps']:.2f} (target ≥ 0.7); p99 {portal['p99']:.1f} ms "
          f"(target ≤ 50 ms)")


if __name__ == "__main__":
    main()
