"""Treasury histories for the page, API and browser tests: daily statements built from a list of closing balances
with a constant daily outflow, so each day's level is closing ÷ (30 × outflow) by hand."""

import datetime

from disbursement.money import fen_to_yuan

HEADER = ["区划代码", "日期", "期初库款余额", "本期库款流入", "本期库款流出", "期末库款余额"]
OUTFLOW_FEN = 10_000  # 100 yuan a day: the average monthly outflow is 3,000 yuan, so level = closing / 300,000 fen
# Closing balances (fen) that land in each band at the default thresholds (0.3 / 0.5 / 0.8).
WARNING, LOW, NORMAL, IDLE = 60_000, 120_000, 200_000, 300_000


def statement_rows(region_code: str, start: datetime.date, closings: list[int], *,
                   outflow_fen: int = OUTFLOW_FEN) -> list[dict]:
    """One statement a day from `start`: the first opens at its own closing; each later one opens where the
    previous closed, and its inflow makes the arithmetic hold."""
    rows, opening = [], closings[0]
    for offset, closing in enumerate(closings):
        inflow = closing - opening + outflow_fen
        assert inflow >= 0, "a history whose closing falls by more than a day's outflow needs a bigger outflow"
        rows.append({"region": region_code, "day": start + datetime.timedelta(days=offset), "opening_fen": opening,
                     "inflow_fen": inflow, "outflow_fen": outflow_fen, "closing_fen": closing})
        opening = closing
    return rows


def runs(*parts: tuple[int, int]) -> list[int]:
    """Closing balances from (days, closing) runs: runs((10, NORMAL), (5, WARNING)) is 15 days."""
    return [closing for days, closing in parts for _ in range(days)]


def statements_csv(rows: list[dict]) -> bytes:
    lines = [",".join(HEADER)]
    for r in rows:
        lines.append(",".join([r["region"], r["day"].isoformat(), fen_to_yuan(r["opening_fen"]),
                               fen_to_yuan(r["inflow_fen"]), fen_to_yuan(r["outflow_fen"]),
                               fen_to_yuan(r["closing_fen"])]))
    return ("\n".join(lines) + "\n").encode()


def treasury_history(rows: list[dict]) -> None:
    """Import the statements through the treasury's own import service (as the system, so any region)."""
    try:
        from disbursement.treasury.services import statements_import
    except ImportError:
        return _interim_write(rows)
    outcome = statements_import(actor=None, content=statements_csv(rows), file_name="statements.csv")
    assert not getattr(outcome, "errors", None), outcome


def _interim_write(rows: list[dict]) -> None:  # TEMPORARY until tr-a's import service is merged
    from decimal import Decimal

    from django.utils import timezone

    from disbursement.treasury.models import TreasuryLevel, TreasuryStatement
    from disbursement.treasury.selectors import band_for, treasury_settings

    settings = treasury_settings()
    for r in rows:
        TreasuryStatement.objects.create(region_id=r["region"], day=r["day"], opening_fen=r["opening_fen"],
                                         inflow_fen=r["inflow_fen"], outflow_fen=r["outflow_fen"],
                                         closing_fen=r["closing_fen"], imported_at=timezone.now())
        avg = r["outflow_fen"] * 30
        level = (Decimal(r["closing_fen"]) / avg).quantize(Decimal("0.0001"))
        TreasuryLevel.objects.create(region_id=r["region"], day=r["day"], closing_fen=r["closing_fen"],
                                     avg_monthly_outflow_fen=avg, level=level, band=band_for(level, settings),
                                     days_of_cover=(Decimal(r["closing_fen"]) / r["outflow_fen"]).quantize(
                                         Decimal("0.1")))
