"""Builders for treasury tests: statement files (CSV) made from day-by-day figures in yuan."""

import csv
import datetime
import io

HEADER = ["区划代码", "日期", "期初库款余额", "本期库款流入", "本期库款流出", "期末库款余额"]


def statement_rows(region: str, start: datetime.date, days: int, *, opening: int = 1_000_000, inflow: int = 1_000,
                   outflow: int = 1_000) -> list[list[str]]:
    """`days` consecutive daily statements from `start`, whole yuan, each opening where the last closed."""
    rows, balance = [], opening
    for offset in range(days):
        closing = balance + inflow - outflow
        rows.append([region, (start + datetime.timedelta(days=offset)).isoformat(), f"{balance}.00", f"{inflow}.00",
                     f"{outflow}.00", f"{closing}.00"])
        balance = closing
    return rows


def statement_csv(rows, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")
