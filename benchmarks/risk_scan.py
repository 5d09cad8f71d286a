"""Risk rules at provincial scale: the full scan of every rule and the pre-payment check of one new roster,
against a payment history of N payments, each beside a raw baseline measured in the same run.

    .venv/bin/python benchmarks/risk_scan.py [--payments 10000000] [--roster-lines 100000] [--seed 11]

Setup (not timed): a register and payment history written straight into PostgreSQL by COPY, not through the
import (so 10,000,000 payments build in minutes): persons ≈ N/10 in the villages of 湘潭市, households of ~3,
one card each; rosters per item, period and township with one paid payment per line, ten per person over
several years and items (耕地地力保护补贴 yearly for 70 %, 农村低保 monthly for 20 %, 高龄津贴 monthly for 10 %);
side registers at realistic sizes: deaths ~1 % of persons, public payroll ~3 %, vehicles ~10 %, pensions ~8 %,
enterprises ~2 %, household moves ~0.3 %, three cadres per village, land contracts for the farmland payees,
drawn mostly from people the rules have nothing against, with a small planted share that they do; and
one new roster of --roster-lines lines (approved by the department, not yet by finance).
(a) risk_scan() of every enabled rule (timed rule by rule, so the output says where the time goes);
(b) lines_held() of the new roster: every roster-checking rule on its lines against the whole history, then
    the lines an open high-severity alert holds (what finance approval and bank-file generation run);
baseline: one SELECT count(*) join of the payments to the death register (paid after the death).
The last line is JSON: {"full_scan_s", "precheck_s", "baseline_s", "full_scan_x_baseline",
"precheck_x_baseline"}. Uses its own database (onecard_bench).
"""

import argparse
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _common  # noqa: E402

CITY = "4303"  # 湘潭市: 70 townships, ~960 villages
FARMLAND, DIBAO, ELDERLY = "0101", "0404", "0801"
PAYMENTS_PER_PERSON = 10
NOW = "2026-11-29 08:00:00+08"


def uuids(n: int, rng: np.random.Generator) -> np.ndarray:
    """n random UUIDs as 32 hex digits (PostgreSQL's uuid accepts them)."""
    high, low = (rng.integers(0, 2**64, n, dtype=np.uint64) for _ in range(2))
    return np.char.add(np.char.mod("%016x", high), np.char.mod("%016x", low))


def masked_ids(ids: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(np.char.ljust(ids.astype("U6"), 6), "********"),
                       np.array([value[-4:] for value in ids]))


def copy(cursor, table: str, frame: pd.DataFrame) -> None:
    """COPY a frame (its columns named as the table's) in chunks; empty cells are NULL, "" stays empty."""
    columns = ", ".join(f'"{column}"' for column in frame.columns)  # "group" is an SQL keyword
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv)") as stream:
        for start in range(0, len(frame), 500_000):
            buffer = io.BytesIO()
            pa_csv.write_csv(pa.Table.from_pandas(frame.iloc[start:start + 500_000], preserve_index=False), buffer,
                             write_options=pa_csv.WriteOptions(include_header=False))
            stream.write(buffer.getvalue())


def day_text(rng: np.random.Generator, n: int, first: str, last: str) -> np.ndarray:
    start, end = np.datetime64(first), np.datetime64(last)
    days = rng.integers(0, int((end - start).astype(int)) + 1, n)
    return np.datetime_as_string(start + days.astype("timedelta64[D]"), unit="D")


def history_build(cursor, tables: dict[str, str], *, payments: int, roster_lines: int, seed: int) -> dict:
    """Write the register, the payment history, the side registers and the new roster; return their sizes."""
    rng = np.random.default_rng(seed)
    cursor.execute(f"SELECT code FROM {tables['region']} WHERE level = 'village' AND code LIKE %s ORDER BY code",
                   [CITY + "%"])
    villages = np.array([row[0] for row in cursor.fetchall()])
    persons_n = max(payments // PAYMENTS_PER_PERSON, 1)
    households_n = max(persons_n // 3, 1)
    # Households, each in one village; persons in households (so in their household's village).
    household_village = villages[rng.integers(0, len(villages), households_n)]
    copy(cursor, tables["household"], pd.DataFrame({
        "id": np.arange(1, households_n + 1), "village_id": household_village, "group": "一组", "created_at": NOW}))
    household = np.sort(rng.integers(1, households_n + 1, persons_n))
    village = household_village[household - 1]
    ids = _common.id_numbers(persons_n, rng, prefix="430321")
    person_hash = uuids(persons_n, rng)
    # Who is paid what: ten payments per person, by group (0 farmland, 1 rural 低保, 2 高龄津贴 80–89).
    group = rng.choice(3, persons_n, p=[0.7, 0.2, 0.1])
    # Ages that fit the items (高龄津贴 is for 80–89 on every period's last day), so A3 fires on planted cases only.
    birth = np.where(group == 2, day_text(rng, persons_n, "1937-01-01", "1945-12-31"),
                     day_text(rng, persons_n, "1950-01-01", "2005-12-31"))
    person = pd.DataFrame({
        "id": np.arange(1, persons_n + 1), "name": _common.names(persons_n, rng), "id_hash": person_hash,
        "id_cipher": "bench", "id_masked": masked_ids(ids), "sex": np.where(rng.random(persons_n) < 0.5, "M", "F"),
        "birth_date": birth, "village_id": village, "group": "一组", "household_id": household, "phone_cipher": "",
        "phone_masked": "", "attributes": "{}", "created_at": NOW})
    copy(cursor, tables["person"], person)
    copy(cursor, tables["card"], pd.DataFrame({
        "id": np.arange(1, persons_n + 1), "person_id": np.arange(1, persons_n + 1), "bank": "中国农业银行",
        "kind": "social_security", "number_hash": uuids(persons_n, rng), "number_cipher": "bench",
        "number_masked": np.char.add("622848*********", np.char.zfill(np.arange(persons_n).astype(str), 4)),
        "status": "active", "created_at": NOW}))
    area_milli = rng.integers(1_000, 8_000, persons_n) * 1
    slots = []
    for years_back in range(PAYMENTS_PER_PERSON):
        slots.append((0, FARMLAND, str(2026 - years_back), 10_500))
        slots.append((1, DIBAO, f"2026-{10 - years_back:02d}", 60_000))
        slots.append((2, ELDERLY, f"2026-{10 - years_back:02d}", 5_000))
    lines = []
    for group_id, item, period, rate in slots:
        who = np.flatnonzero(group == group_id)
        quantity = area_milli[who] if item == FARMLAND else np.full(len(who), 1000)
        lines.append(pd.DataFrame({"person_id": who + 1, "item_id": item, "period": period, "rate_fen": rate,
                                   "quantity_milli": quantity}))
    line = pd.concat(lines, ignore_index=True)
    line["village_id"] = village[line["person_id"] - 1]
    # 湘潭县 pays its own 高龄津贴 standard (100.00 a month from 2024, catalog.toml); the rest of 湘潭市 the province's.
    line.loc[(line["item_id"] == ELDERLY) & line["village_id"].str.startswith("430321"), "rate_fen"] = 10_000
    line["amount_fen"] = (line["quantity_milli"] * line["rate_fen"] + 500) // 1000  # half up, as the import
    line["township"] = line["village_id"].str[:9] + "000"
    line = line.sort_values(["item_id", "period", "township", "person_id"], ignore_index=True)
    keys = line[["item_id", "period", "township"]].drop_duplicates(ignore_index=True)
    keys["roster_id"] = np.arange(1, len(keys) + 1)
    line = line.merge(keys, on=["item_id", "period", "township"])
    line["row_number"] = line.groupby("roster_id").cumcount() + 2  # row 1 is the file's header
    line["id"] = np.arange(1, len(line) + 1)
    totals = line.groupby("roster_id").agg(line_count=("id", "size"), total_fen=("amount_fen", "sum"))
    roster = keys.join(totals, on="roster_id")
    # The new roster for the pre-payment check: next year's first month of 低保.
    new_n = min(roster_lines, persons_n)
    # Its people are the 低保 group (the people a 低保 roster names), topped up from the others if too few.
    candidates = np.concatenate([rng.permutation(np.flatnonzero(group == 1)),
                                 rng.permutation(np.flatnonzero(group != 1))])
    new_people = np.sort(candidates[:new_n]) + 1
    new_roster_id = len(roster) + 1
    roster_frame = pd.DataFrame({
        "id": np.append(roster["roster_id"], new_roster_id), "item_id": np.append(roster["item_id"], DIBAO),
        "township_id": np.append(roster["township"], village[new_people[0] - 1][:9] + "000"),
        "period": np.append(roster["period"], "2027-01"),
        "status": np.append(np.full(len(roster), "settled"), "department_approved"),
        "file_sha256": [f"bench-{i}" for i in range(len(roster) + 1)], "rejected_reason": "",
        "line_count": np.append(roster["line_count"], new_n),
        "total_fen": np.append(roster["total_fen"], new_n * 60_000), "created_at": NOW})
    copy(cursor, tables["roster"], roster_frame)
    new_lines = pd.DataFrame({"id": np.arange(len(line) + 1, len(line) + new_n + 1), "roster_id": new_roster_id,
                              "row_number": np.arange(2, new_n + 2), "person_id": new_people, "card_id": new_people,
                              "village_id": village[new_people - 1], "group": "一组", "quantity_milli": 1000,
                              "rate_fen": 60_000, "amount_fen": 60_000, "remark": "", "is_void": False,
                              "item_id": DIBAO, "period": "2027-01"})
    line_frame = pd.DataFrame({"id": line["id"], "roster_id": line["roster_id"], "row_number": line["row_number"],
                               "person_id": line["person_id"], "card_id": line["person_id"],
                               "village_id": line["village_id"], "group": "一组",
                               "quantity_milli": line["quantity_milli"], "rate_fen": line["rate_fen"],
                               "amount_fen": line["amount_fen"], "remark": "", "is_void": False,
                               "item_id": line["item_id"], "period": line["period"]})
    copy(cursor, tables["rosterline"], pd.concat([line_frame, new_lines], ignore_index=True))
    # Indicators: one per item, county and year; payments funded by them, all paid.
    line["county"] = line["township"].str[:6] + "000000"
    line["year"] = line["period"].str[:4].astype(int)
    indicators = line[["item_id", "county", "year"]].drop_duplicates(ignore_index=True)
    indicators["indicator_id"] = np.arange(1, len(indicators) + 1)
    copy(cursor, tables["indicator"], pd.DataFrame({
        "id": indicators["indicator_id"],
        "document_number": [f"湘财预〔bench〕{i}号" for i in indicators["indicator_id"]],
        "item_id": indicators["item_id"], "county_id": indicators["county"], "fiscal_year": indicators["year"],
        "funding_level": "provincial", "created_at": NOW}))
    line = line.merge(indicators, on=["item_id", "county", "year"])
    paid_on = np.where(line["period"].str.len() == 4, line["period"] + "-06-30", line["period"] + "-20")
    copy(cursor, tables["payment"], pd.DataFrame({
        "id": line["id"], "reference": "P" + line["roster_id"].astype(str) + "-" + line["row_number"].astype(str)
        + "-1", "roster_id": line["roster_id"], "line_id": line["id"], "indicator_id": line["indicator_id"],
        "person_id": line["person_id"], "card_id": line["person_id"], "payee_name": person["name"].to_numpy()[
            line["person_id"] - 1], "card_masked": "622848*********0000", "bank": "中国农业银行",
        "village_id": line["village_id"], "amount_fen": line["amount_fen"], "status": "paid", "attempt": 1,
        "result_code": "", "bank_txn": "", "settled_at": pd.Series(paid_on) + " 10:00:00+08", "created_at": NOW}))
    # Side registers, keyed by the persons' blind index as the imports key them.
    side = {}

    def side_rows(kind: str, who: np.ndarray, **columns) -> None:
        frame = pd.DataFrame({"id_hash": person_hash[who], "id_cipher": "", "id_masked": person["id_masked"]
                              .to_numpy()[who], "name": person["name"].to_numpy()[who],
                              "scope_id": CITY + "00000000", "imported_at": NOW, **columns})
        copy(cursor, tables[kind], frame)
        side[kind] = len(frame)

    # The registers mostly name people the rules have nothing against (a car owner is rarely on 低保, a death is
    # mostly after the last payment); PLANTED of each is drawn from everyone, so each rule has cases to find
    # at the rate a real province would show, not one alert per line.
    on_dibao = np.isin(household, np.unique(household[group == 1]))
    PLANTED = 0.002

    def some(share: float) -> np.ndarray:
        clean = np.flatnonzero(~on_dibao)
        picked = rng.choice(clean, min(max(int(persons_n * share), 1), len(clean)), replace=False)
        planted = rng.choice(persons_n, max(int(persons_n * share * PLANTED), 1), replace=False)
        return np.unique(np.concatenate([picked, planted]))

    who = np.sort(rng.choice(persons_n, max(persons_n // 100, 1), replace=False))
    early = rng.random(len(who)) < PLANTED * 10  # a few deaths before payments that still went out
    side_rows("deaths", who, died_on=np.where(early, day_text(rng, len(who), "2020-01-01", "2026-09-30"),
                                              day_text(rng, len(who), "2026-11-01", "2026-11-28")), source="民政殡葬")
    who = some(0.03)
    side_rows("payroll", who, employer="湘潭县某事业单位", start=day_text(rng, len(who), "2000-01-01", "2020-12-31"))
    who = some(0.10)
    side_rows("vehicles", who, plate=np.char.add("湘C", np.char.zfill(np.arange(len(who)).astype(str), 5)),
              vehicle_type="小型汽车", registered_on=day_text(rng, len(who), "2010-01-01", "2026-06-30"))
    who = some(0.08)
    side_rows("pensions", who, monthly_fen=rng.integers(100_000, 500_000, len(who)),
              start=day_text(rng, len(who), "2005-01-01", "2024-12-31"))
    who = some(0.02)
    side_rows("enterprises", who, enterprise="湘潭某商贸有限公司",
              credit_code=np.char.add("91430300", np.char.zfill(np.arange(len(who)).astype(str), 10)),
              role=rng.choice(["legal_representative", "shareholder", "sole_trader"], len(who)))
    who = np.sort(rng.choice(persons_n, max(int(persons_n * 0.003), 1), replace=False))
    side_rows("moves", who, from_region_id=village[who], to_region_id=villages[rng.integers(0, len(villages),
                                                                                             len(who))],
              moved_on=day_text(rng, len(who), "2018-01-01", "2026-10-31"))
    # Three cadres per village (one person at most once), serving; not of households on 低保.
    first_in_village = pd.Series(np.flatnonzero(~on_dibao)).groupby(village[~on_dibao]).head(3).to_numpy()
    side_rows("cadres", np.sort(first_in_village), village_id=village[np.sort(first_in_village)], post="村委委员",
              term_start="2021-01-01")
    # Land: the farmland payees' contracts, 0.3 % missing and 0.2 % smaller than what is subsidised.
    farmers = np.flatnonzero(group == 0)
    farmers = farmers[rng.random(len(farmers)) >= 0.003]
    area = np.where(rng.random(len(farmers)) < 0.002, area_milli[farmers] // 2, area_milli[farmers])
    side_rows("land", farmers, village_id=village[farmers], contract_number=np.char.add(
        "HT", np.char.zfill(np.arange(len(farmers)).astype(str), 10)), area_milli_mu=area)
    for table in ("household", "person", "card", "roster", "rosterline", "indicator", "payment"):
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{tables[table]}', 'id'), "
                       f"(SELECT MAX(id) FROM {tables[table]}))")
    for table in tables.values():
        cursor.execute(f"ANALYZE {table}")
    return {"persons": persons_n, "households": households_n, "rosters": len(roster), "payments": len(line),
            "new_roster_id": new_roster_id, "new_roster_lines": new_n, **side}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=10_000_000)
    parser.add_argument("--roster-lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--reuse", action="store_true",
                        help="measure again on the history the last run built (its alerts are emptied first)")
    args = parser.parse_args()
    if not args.reuse:
        _common.database_fresh()
    _common.django_setup()

    import psycopg
    from django.db import connection

    from disbursement.alerts.models import Alert
    from disbursement.budget.models import Indicator
    from disbursement.payments.holds import lines_held
    from disbursement.payments.models import Payment
    from disbursement.registry.models import SIDE_REGISTERS, Card, Household, Person
    from disbursement.risk.services import risk_scan, rules_enabled
    from disbursement.rosters.models import Roster, RosterLine
    from geo.models import Region

    tables = {"region": Region._meta.db_table, "household": Household._meta.db_table,
              "person": Person._meta.db_table, "card": Card._meta.db_table, "roster": Roster._meta.db_table,
              "rosterline": RosterLine._meta.db_table, "indicator": Indicator._meta.db_table,
              "payment": Payment._meta.db_table,
              **{kind: model._meta.db_table for kind, model in SIDE_REGISTERS.items()}}
    if args.reuse:
        new_roster = Roster.objects.order_by("-id").first()
        sizes = {"new_roster_id": new_roster.pk, "new_roster_lines": new_roster.line_count}
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {Alert._meta.db_table} CASCADE")
        print(f"reusing the history of the last run ({Payment.objects.count():,} payments), alerts emptied")
    else:
        print(f"setup: {args.payments:,} payments, the register and side registers by COPY …", flush=True)
        started = time.perf_counter()
        with psycopg.connect(_common.bench_env()["DATABASE_URL"]) as conn, conn.cursor() as cursor:
            sizes = history_build(cursor, tables, payments=args.payments, roster_lines=args.roster_lines,
                                  seed=args.seed)
            conn.commit()
        print(f"      built in {time.perf_counter() - started:.1f} s: " + ", ".join(
            f"{key} {value:,}" for key, value in sizes.items() if key != "new_roster_id"), flush=True)

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(f"""
            SELECT COUNT(*) FROM {tables['payment']} p JOIN {tables['person']} pe ON pe.id = p.person_id
            JOIN {tables['deaths']} d ON d.id_hash = pe.id_hash WHERE p.settled_at::date > d.died_on""")
        paid_after_death = cursor.fetchone()[0]
    baseline_s = time.perf_counter() - started
    print(f"baseline: count(*) of payments joined to the death register: {baseline_s:6.2f} s "
          f"({paid_after_death:,} paid after a death)")

    # The full scan, one rule at a time so the figures say where the time goes (the sum is a full scan: each
    # rule runs its query and upserts its alerts exactly as risk_scan() does for all of them).
    per_rule = {}
    for rule in rules_enabled():
        started = time.perf_counter()
        outcome = risk_scan(codes=[rule.code])
        per_rule[rule.code] = (time.perf_counter() - started, outcome.counts.get(rule.code, 0))
    full_scan_s = sum(seconds for seconds, _count in per_rule.values())
    print(f"(a) full scan of every rule:          {full_scan_s:6.2f} s  = {full_scan_s / baseline_s:5.1f} × "
          f"baseline  ({Alert.objects.count():,} alerts)")
    for code, (seconds, count) in sorted(per_rule.items(), key=lambda item: -item[1][0]):
        print(f"      {code:<4} {seconds:7.2f} s  {count:>9,} alerts")

    started = time.perf_counter()
    held = lines_held(roster_id=sizes["new_roster_id"])
    precheck_s = time.perf_counter() - started
    print(f"(b) pre-payment check of {sizes['new_roster_lines']:,} lines: {precheck_s:6.2f} s  = "
          f"{precheck_s / baseline_s:5.1f} × baseline  ({len(held):,} lines held)")
    print(json.dumps({
        "full_scan_s": round(full_scan_s, 3),
        "precheck_s": round(precheck_s, 3), "baseline_s": round(baseline_s, 3),
        "full_scan_x_baseline": round(full_scan_s / baseline_s, 2),
        "precheck_x_baseline": round(precheck_s / baseline_s, 2)}))


if __name__ == "__main__":
    main()
