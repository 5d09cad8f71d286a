"""Builders for treasury tests: statement files (CSV) made from day-by-day figures in yuan."""

import csv
import datetime
import io

from disbursement.money import fen_to_yuan

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


# Histories with hand-known bands: a constant daily outflow makes every level closing ÷ (30 × outflow), whatever
# the window (the pages', API's and browser tests' histories).
OUTFLOW_FEN = 10_000  # 100 yuan a day: the average monthly outflow is 3,000 yuan, so level = closing / 300,000 fen
# Closing balances (fen) that land in each band at the default thresholds (0.3 / 0.5 / 0.8).
WARNING, LOW, NORMAL, IDLE = 60_000, 120_000, 200_000, 300_000


def runs(*parts: tuple[int, int]) -> list[int]:
    """Closing balances from (days, closing fen) runs: runs((10, NORMAL), (5, WARNING)) is 15 days."""
    return [closing for days, closing in parts for _ in range(days)]


def closing_rows(region: str, start: datetime.date, closings: list[int], *,
                 outflow_fen: int = OUTFLOW_FEN) -> list[list[str]]:
    """One statement a day from `start` reaching each closing balance (fen) with a constant outflow: the first
    day opens at its own closing, each later one where the previous closed; the inflow makes the sum hold."""
    rows, opening = [], closings[0]
    for offset, closing in enumerate(closings):
        inflow = closing - opening + outflow_fen
        assert inflow >= 0, "a closing may fall by at most one day's outflow"
        rows.append([region, (start + datetime.timedelta(days=offset)).isoformat(), fen_to_yuan(opening),
                     fen_to_yuan(inflow), fen_to_yuan(outflow_fen), fen_to_yuan(closing)])
        opening = closing
    return rows


def treasury_history(rows: list[list[str]]) -> None:
    """Import the statements through the treasury's own import service, as the system (any region)."""
    from disbursement.treasury.services import statements_import

    result = statements_import(actor=None, content=statement_csv(rows), file_name="statements.csv")
    assert result.status == "accepted", result.errors[:3]
