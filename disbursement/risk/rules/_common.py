"""What the rule modules share: table names, the scope clauses, subjects, regions and dates of result rows.

Queries run on PostgreSQL and SQLite alike (see disbursement.risk.sql); date arithmetic on periods happens in
pandas over the result frame, vectorised per distinct period.
"""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd
from django.conf import settings

from disbursement.catalog.models import Frequency, Item
from disbursement.money import fen_to_yuan
from disbursement.payments.models import Payment
from disbursement.registry.models import (
    Card,
    DeathRecord,
    Household,
    HouseholdMove,
    PayrollRecord,
    Pension,
    Person,
    VillageCadre,
)
from disbursement.risk.base import Scope, Subject
from disbursement.risk.sql import table
from disbursement.rosters.models import Roster, RosterApproval, RosterLine, RosterStatus
from disbursement.rosters.periods import period_bounds
from geo.codes import CODE_LENGTH, ancestor_codes, subtree_bounds

T = {
    "payment": table(Payment), "line": table(RosterLine), "roster": table(Roster), "person": table(Person),
    "card": table(Card), "item": table(Item), "death": table(DeathRecord), "payroll": table(PayrollRecord),
    "pension": table(Pension), "cadre": table(VillageCadre), "move": table(HouseholdMove),
    "approval": table(RosterApproval), "household": table(Household),
}
PAID = "paid"
# Rosters whose lines may still be paid: the pre-payment check's world (settled or closed rosters are history).
UNSETTLED = tuple(s for s in RosterStatus.values if s not in (RosterStatus.SETTLED, RosterStatus.CLOSED,
                                                              RosterStatus.REJECTED))


def scope_where(scope: Scope | None, *, village: str, roster: str) -> tuple[str, list]:
    """' AND …' restricting result rows to the scope: a region's subtree (by the row's village) or one roster."""
    sql, params = "", []
    if scope and scope.region_code:
        low, high = subtree_bounds(scope.region_code)
        sql += f" AND {village} BETWEEN %s AND %s"
        params += [low, high]
    if scope and scope.roster_id is not None:
        sql += f" AND {roster} = %s"
        params.append(scope.roster_id)
    return sql, params


def region_where(scope: Scope | None, column: str) -> tuple[str, list]:
    """' AND …' for the region part of a scope alone (rules whose roster part is a group filter of their own)."""
    return scope_where(Scope(region_code=scope.region_code) if scope else None, village=column, roster="")


def in_list(values) -> str:
    """A literal SQL list of catalog codes. Anything but letters and digits is dropped, so a code typed into a
    threshold (U4's exempt items) can never become SQL."""
    codes = [f"'{v}'" for v in values if str(v).isalnum()]
    return "(" + (", ".join(codes) or "''") + ")"  # no code at all: a list nothing matches


def region_lowest(codes) -> str:
    """The lowest region containing every code (their deepest common ancestor)."""
    paths = [ancestor_codes(str(c)) for c in codes if c and len(str(c)) == CODE_LENGTH]
    if not paths:
        return "430000000000"
    common = paths[0]
    for path in paths[1:]:
        common = [a for a, b in zip(common, path, strict=False) if a == b]
    return common[-1] if common else paths[0][0]


def line_subject(line_id, roster_id, row) -> Subject:
    return Subject("line", str(int(line_id)), {"roster_id": int(roster_id), "row": int(row)})


def payment_subject(payment_id, reference, roster_id, row) -> Subject:
    return Subject("payment", str(int(payment_id)),
                   {"reference": reference, "roster_id": int(roster_id), "row": int(row)})


def person_subject(person_id) -> Subject:
    return Subject("person", str(int(person_id)))


def iso(value) -> str:
    """A date (or date-like text from SQLite) as YYYY-MM-DD."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value)[:10]


def local_dates(series: pd.Series) -> pd.Series:
    """Timestamps (aware on PostgreSQL, UTC text on SQLite) as local calendar dates, YYYY-MM-DD."""
    stamps = pd.to_datetime(series, utc=True, format="mixed")
    return stamps.dt.tz_convert(ZoneInfo(settings.TIME_ZONE)).dt.strftime("%Y-%m-%d")


def _frequency_of(period: str) -> str:
    if "H" in period:
        return Frequency.SEMIANNUAL
    if "Q" in period:
        return Frequency.QUARTERLY
    if "-" in period:
        return Frequency.MONTHLY
    return Frequency.ANNUAL


def period_starts_ends(periods: pd.Series) -> tuple[pd.Series, pd.Series]:
    """First and last day (YYYY-MM-DD) of each row's period, computed once per distinct period."""
    bounds = {p: period_bounds(p, _frequency_of(p)) for p in periods.dropna().unique()}
    starts = periods.map({p: b[0].isoformat() for p, b in bounds.items()})
    ends = periods.map({p: b[1].isoformat() for p, b in bounds.items()})
    return starts, ends


def shift_days(iso_dates: pd.Series, days: int) -> pd.Series:
    return (pd.to_datetime(iso_dates) + timedelta(days=int(days))).dt.strftime("%Y-%m-%d")


def yuan(fen) -> str:
    return fen_to_yuan(int(fen))
