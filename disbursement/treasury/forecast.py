"""The 三保 shortfall forecast of county treasuries, and what county finance sees when it approves a roster.

Pure reads: statements, levels and scheduled transfers of this package, and the money path's rosters and
payments (committed outflow and our own settled payments), one query per kind for any number of counties.

For each county the forecast starts the day after its latest statement (on or before `as_of`) and runs
`forecast_months` calendar months; the first row covers only the rest of its month. Per month m:
- opening(m): the latest closing balance for the first month, then the previous month's projected close.
- expected inflow(m): the same calendar month a year earlier when every day of it has a statement, else the
  daily average of the trailing 3 months (up to 92 statement days ending on the latest) × days of m; scaled to
  the days the row covers; plus the transfers scheduled for m (ScheduledTransfer) in full.
- recurring outflow(m) (wages, operations, everything not paid through this system): estimated the same way
  from each day's outflow minus the subsidy line of the statement's breakdown (the one-card system's own
  settled payments), or minus our own payments settled that day when the statement has no breakdown.
- committed outflow: payments of finance-approved rosters not yet sent to the bank (pending, or held by an
  alert: still owed), all in the first month (a bank file follows approval within days), split into 三保 and
  other by the item's category (Category.basic_livelihood).
- gap(m) = committed 三保(m) − (opening(m) + expected inflow(m) − other committed(m) − recurring outflow(m))
  (docs: MONITORING.md "Treasury cash"); projected close(m) = that bracket − committed 三保(m) = −gap(m), and the
  next month opens there. A positive gap is a shortfall at the end of m: the amount a transfer must bring by
  then. Rows keep the gap at zero when the month closes with money left.
"""

import datetime
from calendar import monthrange
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from disbursement.bulk import rows_fetch
from disbursement.catalog.models import Category, Item
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.rosters.models import Roster, RosterStatus
from disbursement.treasury.models import ScheduledTransfer, TreasuryBand, TreasuryStatement
from disbursement.treasury.selectors import band_for, latest_levels, treasury_settings
from geo import codes
from geo.models import Region

TRAILING_DAYS = 92  # "the trailing 3 months" of the inflow and outflow estimates, in statement days
# Payments that are approved and owed but have not left for the bank.
COMMITTED_STATUSES = (PaymentStatus.PENDING, PaymentStatus.HELD)


@dataclass(frozen=True)
class ForecastMonth:
    month: datetime.date  # the first day of the month
    days: int  # days of the month the row covers (the first row: from the day after the latest statement)
    opening_fen: int
    expected_inflow_fen: int  # the history estimate plus scheduled transfers
    scheduled_fen: int  # of which scheduled transfers
    recurring_outflow_fen: int
    committed_basic_fen: int  # 三保
    committed_other_fen: int
    closing_fen: int  # projected
    gap_fen: int  # shortfall at the end of the month (0 when none)
    basis: str  # "last_year" or "trailing": where the inflow and recurring estimates come from

    @property
    def label(self) -> str:
        return self.month.strftime("%Y-%m")


@dataclass(frozen=True)
class Forecast:
    region_code: str
    latest_day: datetime.date | None  # the statement the forecast starts from (None: no statements)
    closing_fen: int = 0  # on latest_day
    rows: list[ForecastMonth] = field(default_factory=list)

    @property
    def shortfalls(self) -> list[ForecastMonth]:
        return [row for row in self.rows if row.gap_fen > 0]

    @property
    def first_shortfall(self) -> ForecastMonth | None:
        return next(iter(self.shortfalls), None)


def treasury_forecast(region_code: str, *, as_of: datetime.date | None = None,
                      months: int | None = None) -> Forecast:
    """One county's forecast (see the module's docstring)."""
    return forecasts([region_code], as_of=as_of, months=months)[region_code]


def forecasts(region_codes, *, as_of: datetime.date | None = None, months: int | None = None) -> dict[str, Forecast]:
    """Forecasts for many counties at once: one query each for statements, our settled payments (only when
    some statement lacks the breakdown), committed payments and scheduled transfers."""
    region_codes = list(dict.fromkeys(region_codes))
    as_of = as_of or timezone.localdate()
    months = months or treasury_settings().forecast_months
    if not region_codes:
        return {}
    start = _add_months(as_of.replace(day=1), -12)
    statements = _statements(region_codes, start, as_of)
    if statements.empty:
        return {code: Forecast(code, None) for code in region_codes}
    missing = statements["outflow_subsidy_fen"].isna()
    if missing.any():
        ours = settled_by_day(sorted(set(statements.loc[missing, "region_id"])), start, as_of)
        statements = statements.merge(ours, how="left", on=["region_id", "day"])
        subsidy = statements["outflow_subsidy_fen"].fillna(statements["paid_fen"]).fillna(0)
    else:
        subsidy = statements["outflow_subsidy_fen"]
    statements["recurring_fen"] = (statements["outflow_fen"] - subsidy.astype("int64")).clip(lower=0)
    committed = committed_by_county(region_codes)
    latest_month = _add_months(as_of.replace(day=1), 1)
    scheduled = _scheduled(region_codes, start=start, end=_add_months(latest_month, months))
    history = _history(statements)
    result = {}
    for code in region_codes:
        if code not in history:
            result[code] = Forecast(code, None)
            continue
        result[code] = _county_forecast(code, history[code], months=months, committed=committed.get(code, (0, 0)),
                                        scheduled=scheduled)
    return result


@dataclass(frozen=True)
class _History:
    latest: datetime.date
    closing_fen: int
    trailing_inflow_fen: int
    trailing_recurring_fen: int
    trailing_days: int
    monthly: dict  # first of month → (inflow, recurring, statement days)


def _history(statements: pd.DataFrame) -> dict[str, _History]:
    """What each county's forecast reads from its statements, computed for all counties at once: the latest day
    and closing, sums over the trailing days, and sums per calendar month."""
    statements = statements.sort_values(["region_id", "day"], kind="stable")
    latest = statements.groupby("region_id", sort=False).tail(1).set_index("region_id")
    statements = statements.join(latest["day"].rename("latest"), on="region_id")
    since = statements["latest"] - datetime.timedelta(days=TRAILING_DAYS)
    trailing = statements[statements["day"] > since].groupby("region_id").agg(
        inflow=("inflow_fen", "sum"), recurring=("recurring_fen", "sum"), days=("day", "count"))
    statements["month"] = pd.to_datetime(statements["day"]).to_numpy().astype("datetime64[M]")
    sums = statements.groupby(["region_id", "month"]).agg(
        inflow=("inflow_fen", "sum"), recurring=("recurring_fen", "sum"), days=("day", "count"))
    monthly: dict[str, dict] = {}
    for (code, month), inflow, recurring, days in sums.itertuples():
        monthly.setdefault(code, {})[month.date()] = (int(inflow), int(recurring), int(days))
    sums_by_code = trailing.to_dict("index")
    return {code: _History(latest=day, closing_fen=int(closing), trailing_inflow_fen=int(sums_by_code[code]["inflow"]),
                           trailing_recurring_fen=int(sums_by_code[code]["recurring"]),
                           trailing_days=int(sums_by_code[code]["days"]), monthly=monthly[code])
            for code, day, closing in zip(latest.index, latest["day"], latest["closing_fen"], strict=True)}


def _county_forecast(code: str, history: _History, *, months: int, committed: tuple[int, int],
                     scheduled: dict) -> Forecast:
    latest, closing = history.latest, history.closing_fen
    first_day = latest + datetime.timedelta(days=1)
    opening, out = closing, []
    basic, other = committed
    for k in range(months):
        month = _add_months(first_day.replace(day=1), k)
        days_in = _days_in(month)
        covers = days_in - first_day.day + 1 if k == 0 else days_in
        last_year = _add_months(month, -12)
        known = history.monthly.get(last_year)
        if known is not None and known[2] == _days_in(last_year):
            inflow, recurring, _ = known
            basis = "last_year"
        else:
            inflow = _share(history.trailing_inflow_fen, days_in, history.trailing_days)
            recurring = _share(history.trailing_recurring_fen, days_in, history.trailing_days)
            basis = "trailing"
        inflow, recurring = _share(inflow, covers, days_in), _share(recurring, covers, days_in)
        transfers = scheduled.get((code, month), 0)
        month_basic, month_other = (basic, other) if k == 0 else (0, 0)
        available = opening + inflow + transfers - month_other - recurring
        close = available - month_basic
        out.append(ForecastMonth(month=month, days=covers, opening_fen=opening, expected_inflow_fen=inflow + transfers,
                                 scheduled_fen=transfers, recurring_outflow_fen=recurring,
                                 committed_basic_fen=month_basic, committed_other_fen=month_other, closing_fen=close,
                                 gap_fen=max(0, month_basic - available), basis=basis))
        opening = close
    return Forecast(code, latest, closing, out)


def _days_in(month: datetime.date) -> int:
    return monthrange(month.year, month.month)[1]


def _share(total: int, numerator: int, denominator: int) -> int:
    """total × numerator ÷ denominator rounded half up to the fen, in integers (never a float near money)."""
    if denominator <= 0:
        return 0
    value = Decimal(total) * numerator / denominator
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _add_months(first: datetime.date, months: int) -> datetime.date:
    index = first.year * 12 + first.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _statements(region_codes: list[str], start: datetime.date, end: datetime.date) -> pd.DataFrame:
    columns = ["region_id", "day", "inflow_fen", "outflow_fen", "closing_fen", "outflow_subsidy_fen"]
    marks = ", ".join(["%s"] * len(region_codes))
    frame = _fetch(f"""
        SELECT {", ".join(columns)} FROM {TreasuryStatement._meta.db_table}
        WHERE region_id IN ({marks}) AND day >= %s AND day <= %s""", [*region_codes, start, end], columns)
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    for column in ("inflow_fen", "outflow_fen", "closing_fen"):
        frame[column] = frame[column].astype("int64")
    frame["outflow_subsidy_fen"] = frame["outflow_subsidy_fen"].astype("Int64")
    return frame


def _local_date(column: str) -> tuple[str, list]:
    """SQL for the local calendar date (settings.TIME_ZONE) of a timestamp column, and its parameters."""
    if connection.vendor == "postgresql":
        return f"CAST(({column} AT TIME ZONE %s) AS date)", [django_settings.TIME_ZONE]
    # SQLite keeps UTC text; the zone has no daylight saving (Asia/Shanghai), so one offset fits every date.
    offset = timezone.localtime().utcoffset()
    return f"date({column}, %s)", [f"{int(offset.total_seconds() // 60):+d} minutes"]


def settled_by_day(region_codes, start: datetime.date, end: datetime.date) -> pd.DataFrame:
    """Our own payments settled as paid per county and local day in [start, end]: columns region_id (the county
    code), day, paid_fen. Counties are found by their rosters' townships. One query for every county."""
    tz = timezone.get_current_timezone()
    low = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    high = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    day_sql, day_params = _local_date("p.settled_at")
    frame = _fetch(f"""
        SELECT substr(r.township_id, 1, 6) AS county, {day_sql} AS day, SUM(p.amount_fen) AS paid_fen
        FROM {Payment._meta.db_table} p JOIN {Roster._meta.db_table} r ON r.id = p.roster_id
        WHERE p.status = %s AND p.settled_at >= %s AND p.settled_at < %s
        GROUP BY 1, 2""", [*day_params, PaymentStatus.PAID, low, high], ["county", "day", "paid_fen"])
    wanted = set(region_codes)
    frame["region_id"] = frame["county"].astype(str).str.ljust(codes.CODE_LENGTH, "0")
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    frame["paid_fen"] = frame["paid_fen"].astype("int64")
    return frame.loc[frame["region_id"].isin(wanted), ["region_id", "day", "paid_fen"]].reset_index(drop=True)


def committed_by_county(region_codes) -> dict[str, tuple[int, int]]:
    """county code → (三保, other) fen of payments approved by finance and not yet sent to the bank."""
    frame = _fetch(f"""
        SELECT substr(r.township_id, 1, 6) AS county, c.basic_livelihood AS basic, SUM(p.amount_fen) AS fen
        FROM {Roster._meta.db_table} r
        JOIN {Payment._meta.db_table} p ON p.roster_id = r.id
        JOIN {Item._meta.db_table} i ON i.code = r.item_id
        JOIN {Category._meta.db_table} c ON c.code = i.category_id
        WHERE r.status = %s AND p.status IN (%s, %s)
        GROUP BY 1, 2""",
                   [RosterStatus.FINANCE_APPROVED, *COMMITTED_STATUSES], ["county", "basic", "fen"])
    wanted, out = set(region_codes), {}
    for county, basic, fen in frame.itertuples(index=False):
        code = str(county).ljust(codes.CODE_LENGTH, "0")
        if code in wanted:
            basic_fen, other_fen = out.get(code, (0, 0))
            out[code] = (basic_fen + int(fen), other_fen) if basic else (basic_fen, other_fen + int(fen))
    return out


def _scheduled(region_codes: list[str], *, start: datetime.date, end: datetime.date) -> dict:
    rows = (ScheduledTransfer.objects.filter(region_id__in=region_codes, month__gte=start, month__lt=end)
            .values_list("region_id", "month", "amount_fen"))
    out: dict = {}
    for code, month, amount in rows:
        out[(code, month)] = out.get((code, month), 0) + amount
    return out


def _fetch(sql: str, params: list, columns: list[str]) -> pd.DataFrame:
    with connection.cursor() as cursor:
        return rows_fetch(cursor, sql, params, columns)


@dataclass(frozen=True)
class Outlook:
    """What county finance sees beside a roster it is about to approve."""

    region_code: str
    region_name: str
    day: datetime.date
    closing_fen: int
    avg_monthly_outflow_fen: int
    level: Decimal | None
    band: str
    days_of_cover: Decimal | None
    roster_total_fen: int
    level_after: Decimal | None  # (closing − roster total) ÷ average monthly outflow
    band_after: str
    warning_below: Decimal
    warns: bool  # the roster would push the county below the warning threshold
    forecast: Forecast

    @property
    def band_label(self) -> str:
        return str(TreasuryBand(self.band).label)

    @property
    def band_after_label(self) -> str:
        return str(TreasuryBand(self.band_after).label)


def approval_outlook(roster) -> Outlook | None:
    """The county's band, level, days of cover and forecast, and whether paying this roster out of the latest
    closing balance would leave the level below `warning_below` (a warning: approval is never blocked).
    None when the county has no treasury statements."""
    county = roster.township_id[:6].ljust(codes.CODE_LENGTH, "0")
    level = latest_levels([county]).get(county)
    if level is None:
        return None
    settings = treasury_settings()
    total = int(roster.total_fen)
    after_fen = level.closing_fen - total
    if level.avg_monthly_outflow_fen > 0:
        level_after = (Decimal(after_fen) / Decimal(level.avg_monthly_outflow_fen)).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP)
    else:
        level_after = None
    band_after = band_for(level_after, settings, closing_fen=after_fen)
    warns = level_after < settings.warning_below if level_after is not None else after_fen <= 0
    name = Region.objects.filter(pk=county).values_list("name", flat=True).first() or county
    return Outlook(region_code=county, region_name=name, day=level.day, closing_fen=level.closing_fen,
                   avg_monthly_outflow_fen=level.avg_monthly_outflow_fen, level=level.level, band=level.band,
                   days_of_cover=level.days_of_cover, roster_total_fen=total, level_after=level_after,
                   band_after=band_after, warning_below=settings.warning_below, warns=warns,
                   forecast=treasury_forecast(county))
