"""Treasury histories for the forecast and alert tests: statements day by day (opening + inflow − outflow =
closing, each day opening where the previous closed) and coverage levels with the bands a test wants."""

import datetime
from decimal import Decimal

from django.utils import timezone

from disbursement.treasury.models import TreasuryLevel, TreasuryStatement


def statements_write(region: str, first_day: datetime.date, flows, *, opening: int) -> int:
    """One statement a day from `first_day`, one per (inflow, outflow, subsidy-or-None) of `flows`; returns the
    last closing balance."""
    now, rows = timezone.now(), []
    for offset, (inflow, outflow, subsidy) in enumerate(flows):
        closing = opening + inflow - outflow
        rows.append(TreasuryStatement(region_id=region, day=first_day + datetime.timedelta(days=offset),
                                      opening_fen=opening, inflow_fen=inflow, outflow_fen=outflow,
                                      closing_fen=closing, outflow_subsidy_fen=subsidy, imported_at=now))
        opening = closing
    TreasuryStatement.objects.bulk_create(rows)
    return opening


def levels_write(region: str, first_day: datetime.date, bands: str, *, average: int = 3_000_000) -> None:
    """One level a day from `first_day`, band by letter: W warning, L low, N normal, I idle. The level is a
    value inside the band (0.20, 0.40, 0.65, 1.20) with the closing balance scaled to match."""
    values = {"W": ("warning", "0.2"), "L": ("low", "0.4"), "N": ("normal", "0.65"), "I": ("idle", "1.2")}
    rows = []
    for offset, letter in enumerate(bands):
        band, level = values[letter]
        rows.append(TreasuryLevel(region_id=region, day=first_day + datetime.timedelta(days=offset),
                                  closing_fen=int(average * Decimal(level)), avg_monthly_outflow_fen=average,
                                  level=Decimal(level), band=band, days_of_cover=Decimal(level) * 30))
    TreasuryLevel.objects.bulk_create(rows)


def month_start(day: datetime.date, months: int = 0) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)
