"""The treasury's warning tables as the pages and the read API show them: the monthly and the daily table per
region, the county × month grid of red and yellow days, one region's days and level history, the forecast of the
counties in reach. Pure reads, scoped to the reader's subtree (the `treasury_status` contract is
selectors.treasury_status, reached through `treasury_regions` for the reach). Each table is a few grouped
queries over the statements and levels, never one per region.
"""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import ExtractMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_check
from disbursement.accounts.scoping import jurisdiction_q
from disbursement.errors import NotFound, ValidationFailed
from disbursement.treasury.models import TreasuryBand, TreasuryLevel, TreasuryStatement
from disbursement.treasury.statements import TREASURY_LEVELS
from geo import codes
from geo.models import Region

# Worst first: the order a "sort by level" puts regions in, and the order bands are counted in.
BAND_ORDER = (TreasuryBand.WARNING, TreasuryBand.LOW, TreasuryBand.NORMAL, TreasuryBand.IDLE)
# A history chart shows this many months ending with the month on the page.
HISTORY_MONTHS = 12


def month_parse(text: str | None) -> datetime.date | None:
    """'2026-03' -> 2026-03-01; empty -> None; anything else is refused naming the field."""
    if not text:
        return None
    text = text.strip()
    try:
        if len(text) != 7:
            raise ValueError(text)
        return datetime.datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        return _bad("month")


def day_parse(text: str | None, *, name: str = "date") -> datetime.date | None:
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return _bad(name)


def year_parse(text: str | None) -> int | None:
    if not text:
        return None
    text = text.strip()
    if not (text.isdigit() and len(text) == 4 and 1900 < int(text) < 2200):
        return _bad("year")
    return int(text)


def _bad(name: str):
    messages = {"month": _("A month is written YYYY-MM."), "date": _("A date is written YYYY-MM-DD."),
                "start": _("A date is written YYYY-MM-DD."), "end": _("A date is written YYYY-MM-DD."),
                "year": _("A year is written with four digits.")}
    raise ValidationFailed(messages[name], field=name)


def month_end(month: datetime.date) -> datetime.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_shift(month: datetime.date, count: int) -> datetime.date:
    """The first day of the month `count` months after (negative: before) `month`."""
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def treasury_regions(*, actor, region_code: str | None = None) -> QuerySet[Region]:
    """The treasury regions the actor may watch, narrowed to `region_code`'s subtree. A role that does not
    watch treasuries is PermissionDenied; a region out of reach NotFound; a malformed code names the field."""
    if region_code:
        try:
            codes.region_level(region_code)
        except ValueError:
            raise ValidationFailed(_("A region code has 12 digits."), field="region") from None
        action_check(actor, "treasury.view", region_code=region_code, not_found=_("Not found."))
    else:
        action_check(actor, "treasury.view", check_region=False)
    regions = Region.objects.filter(level__in=TREASURY_LEVELS, is_statistical=False)
    if actor is not None:
        regions = regions.filter(jurisdiction_q(actor, "code"))
    if region_code:
        regions = regions.within(region_code)
    return regions.order_by("code")


def treasury_region(*, actor, code: str) -> Region:
    """One treasury region in reach; NotFound when absent, out of reach, or without a treasury."""
    if not (len(code) == codes.CODE_LENGTH and code.isdigit()):
        raise NotFound(_("Not found."))
    region = treasury_regions(actor=actor, region_code=code).filter(code=code).first()
    if region is None:
        raise NotFound(_("Not found."))
    return region


def _codes(regions: QuerySet[Region]) -> Subquery:
    return Subquery(regions.values("code"))


def latest_day(regions: QuerySet[Region]) -> datetime.date | None:
    """The latest statement day of any of these regions (the tables' default)."""
    return TreasuryStatement.objects.filter(region_id__in=_codes(regions)).aggregate(last=Max("day"))["last"]


@dataclass
class TableRow:
    code: str
    name: str
    region_level: str
    opening_fen: int
    inflow_fen: int
    outflow_fen: int
    closing_fen: int
    level: Decimal | None = None
    band: str = ""
    days_of_cover: Decimal | None = None
    avg_monthly_outflow_fen: int | None = None
    red_days: int = 0
    yellow_days: int = 0
    days: int = 1

    @property
    def band_label(self) -> str:
        return str(TreasuryBand(self.band).label) if self.band else ""


@dataclass
class Table:
    """A warning table: a month's (`month` set) or one day's rows, with the filters that made it."""

    rows: list[TableRow]
    region_code: str | None
    sort: str
    month: datetime.date | None = None
    day: datetime.date | None = None
    band_counts: dict[str, int] = field(default_factory=dict)


def _sorted(rows: list[TableRow], sort: str) -> list[TableRow]:
    """By code (the tree's order) unless sorted by level: ascending puts the worst first; regions without a
    level (no outflow in the window) go last either way."""
    if sort in ("level", "-level"):
        with_level = sorted((r for r in rows if r.level is not None), key=lambda r: (r.level, r.code),
                            reverse=sort == "-level")
        return with_level + [r for r in rows if r.level is None]
    return rows


def _band_counts(rows: list[TableRow]) -> dict[str, int]:
    counts = {band: 0 for band in BAND_ORDER}
    for row in rows:
        if row.band in counts:
            counts[row.band] += 1
    return counts


def month_table(*, actor, month: datetime.date | None = None, region_code: str | None = None,
                sort: str = "") -> Table:
    """One row per treasury region in reach with statements in the month: 期初 = the first stored day's
    opening, 流入/流出 = the month's sums, 期末 = the last stored day's closing, level and band on that last
    day, and the month's count of red (warning) and yellow (low) days. Default month: the latest with data."""
    regions = treasury_regions(actor=actor, region_code=region_code)
    if month is None:
        last = latest_day(regions)
        month = (last or timezone.localdate()).replace(day=1)
    start, end = month, month_end(month)
    in_month = TreasuryStatement.objects.filter(region_id__in=_codes(regions), day__gte=start, day__lte=end)
    same_region = TreasuryStatement.objects.filter(region_id=OuterRef("region_id"), day__gte=start, day__lte=end)
    sums = (in_month.order_by().values("region_id", "region__name", "region__level")
            .annotate(inflow=Sum("inflow_fen"), outflow=Sum("outflow_fen"), days=Count("id"),
                      opening=Subquery(same_region.order_by("day").values("opening_fen")[:1]),
                      closing=Subquery(same_region.order_by("-day").values("closing_fen")[:1])))
    levels = TreasuryLevel.objects.filter(region_id__in=_codes(regions), day__gte=start, day__lte=end)
    last_levels = {lv.region_id: lv for lv in levels.filter(
        day=Subquery(levels.filter(region_id=OuterRef("region_id")).order_by("-day").values("day")[:1]))}
    coloured = dict(((r, b), n) for r, b, n in levels.filter(band__in=[TreasuryBand.WARNING, TreasuryBand.LOW])
                    .order_by().values("region_id", "band").annotate(n=Count("id")).values_list("region_id", "band",
                                                                                              "n"))
    rows = []
    for s in sums:
        code = s["region_id"]
        level = last_levels.get(code)
        rows.append(TableRow(
            code=code, name=s["region__name"], region_level=s["region__level"], opening_fen=s["opening"],
            inflow_fen=s["inflow"], outflow_fen=s["outflow"], closing_fen=s["closing"], days=s["days"],
            level=level.level if level else None, band=level.band if level else "",
            days_of_cover=level.days_of_cover if level else None,
            avg_monthly_outflow_fen=level.avg_monthly_outflow_fen if level else None,
            red_days=coloured.get((code, TreasuryBand.WARNING), 0),
            yellow_days=coloured.get((code, TreasuryBand.LOW), 0)))
    rows.sort(key=lambda r: r.code)
    return Table(rows=_sorted(rows, sort), region_code=region_code, sort=sort, month=month,
                 band_counts=_band_counts(rows))


def day_table(*, actor, day: datetime.date | None = None, region_code: str | None = None, sort: str = "") -> Table:
    """One row per treasury region in reach with a statement on the day (default: the latest day with data)."""
    regions = treasury_regions(actor=actor, region_code=region_code)
    if day is None:
        day = latest_day(regions) or timezone.localdate()
    levels = {lv.region_id: lv for lv in TreasuryLevel.objects.filter(region_id__in=_codes(regions), day=day)}
    rows = []
    for s in (TreasuryStatement.objects.filter(region_id__in=_codes(regions), day=day)
              .select_related("region").order_by("region_id")):
        level = levels.get(s.region_id)
        rows.append(TableRow(
            code=s.region_id, name=s.region.name, region_level=s.region.level, opening_fen=s.opening_fen,
            inflow_fen=s.inflow_fen, outflow_fen=s.outflow_fen, closing_fen=s.closing_fen,
            level=level.level if level else None, band=level.band if level else "",
            days_of_cover=level.days_of_cover if level else None,
            avg_monthly_outflow_fen=level.avg_monthly_outflow_fen if level else None,
            red_days=int(bool(level) and level.band == TreasuryBand.WARNING),
            yellow_days=int(bool(level) and level.band == TreasuryBand.LOW)))
    return Table(rows=_sorted(rows, sort), region_code=region_code, sort=sort, day=day,
                 band_counts=_band_counts(rows))


@dataclass
class GridCell:
    month: datetime.date
    red: int = 0
    yellow: int = 0

    @property
    def worse(self) -> str:
        """The cell's colour: red when any day was red, else yellow when any was yellow, else none."""
        return "warning" if self.red else ("low" if self.yellow else "")


@dataclass
class GridRow:
    code: str
    name: str
    cells: list[GridCell]

    @property
    def red(self) -> int:
        return sum(c.red for c in self.cells)

    @property
    def yellow(self) -> int:
        return sum(c.yellow for c in self.cells)


@dataclass
class Grid:
    year: int
    region_code: str | None
    months: list[datetime.date]
    rows: list[GridRow]


def county_grid(*, actor, year: int | None = None, region_code: str | None = None) -> Grid:
    """Every county in reach × the months of a year: the number of red (warning) and yellow (low) days.
    One grouped query; default year: the latest with data."""
    regions = treasury_regions(actor=actor, region_code=region_code)
    if year is None:
        year = (latest_day(regions) or timezone.localdate()).year
    counties = list(regions.filter(level="county").values_list("code", "name"))
    counted = (TreasuryLevel.objects.filter(region_id__in=_codes(regions.filter(level="county")),
                                            day__gte=datetime.date(year, 1, 1), day__lte=datetime.date(year, 12, 31),
                                            band__in=[TreasuryBand.WARNING, TreasuryBand.LOW])
               .annotate(month=ExtractMonth("day")).order_by().values("region_id", "month", "band")
               .annotate(n=Count("id")).values_list("region_id", "month", "band", "n"))
    by_key = {(code, month, band): n for code, month, band, n in counted}
    months = [datetime.date(year, m, 1) for m in range(1, 13)]
    rows = [GridRow(code=code, name=name, cells=[
        GridCell(month=m, red=by_key.get((code, m.month, TreasuryBand.WARNING), 0),
                 yellow=by_key.get((code, m.month, TreasuryBand.LOW), 0)) for m in months])
        for code, name in counties]
    return Grid(year=year, region_code=region_code, months=months, rows=rows)


@dataclass
class RegionDay:
    statement: TreasuryStatement
    level: TreasuryLevel | None
    paid_fen: int | None = None  # our own payments settled that day (counties, on the region page)

    @property
    def band(self) -> str:
        return self.level.band if self.level else ""

    @property
    def band_label(self) -> str:
        return str(TreasuryBand(self.band).label) if self.band else ""


def region_days(*, actor, code: str, start: datetime.date, end: datetime.date) -> list[RegionDay]:
    """One treasury region's statements between two days (inclusive), each with its level."""
    region = treasury_region(actor=actor, code=code)
    if end < start:
        raise ValidationFailed(_("The end comes before the start."), field="end")
    levels = {lv.day: lv for lv in TreasuryLevel.objects.filter(region_id=region.code, day__gte=start, day__lte=end)}
    return [RegionDay(statement=s, level=levels.get(s.day))
            for s in TreasuryStatement.objects.filter(region_id=region.code, day__gte=start, day__lte=end)
            .order_by("day")]


def region_latest_day(*, actor, code: str) -> datetime.date | None:
    region = treasury_region(actor=actor, code=code)
    return TreasuryStatement.objects.filter(region_id=region.code).aggregate(last=Max("day"))["last"]


def region_month(*, actor, code: str, month: datetime.date | None = None) -> tuple[Region, datetime.date,
                                                                                  list[RegionDay]]:
    """The region, the month shown (default: its latest month with data) and that month's days; a county's days
    carry our own payments settled that day (the statement's subsidy line should match them)."""
    region = treasury_region(actor=actor, code=code)
    if month is None:
        month = (region_latest_day(actor=actor, code=code) or timezone.localdate()).replace(day=1)
    days = region_days(actor=actor, code=code, start=month, end=month_end(month))
    if region.level == "county":
        paid = settled_payments(region=region, start=month, end=month_end(month))
        for day in days:
            day.paid_fen = paid.get(day.statement.day, 0)
    return region, month, days


def level_history(*, region_code: str, month: datetime.date, months: int = HISTORY_MONTHS) -> list[tuple]:
    """(day, level) of the `months` months ending with `month`, for the history chart (region already in reach)."""
    start = month_shift(month, -(months - 1))
    return list(TreasuryLevel.objects.filter(region_id=region_code, day__gte=start, day__lte=month_end(month))
                .order_by("day").values_list("day", "level"))


def has_breakdown(days: list[RegionDay]) -> bool:
    fields = ("inflow_transfer_fen", "inflow_tax_fen", "inflow_bond_fen", "inflow_other_fen", "outflow_wages_fen",
              "outflow_subsidy_fen", "outflow_other_fen")
    return any(getattr(d.statement, f) is not None for d in days for f in fields)


def level_number(level: Decimal | None) -> float | None:
    return None if level is None else float(level.quantize(Decimal("0.0001")))


def open_treasury_alerts(*, actor, region_code: str):
    """The region's open treasury alerts, read through the alert package's own selectors."""
    from disbursement.alerts.selectors import alert_queue

    return alert_queue(actor=actor, filters={"source": "treasury", "status": "open", "region": region_code}).filter(
        Q(region_id=region_code))


@dataclass
class CountyForecast:
    code: str
    name: str
    forecast: object  # disbursement.treasury.forecast.Forecast


def forecast_table(*, actor, region_code: str | None = None) -> list[CountyForecast]:
    """The 三保 forecast of every county in reach (narrowed to `region_code`'s subtree) that has statements,
    computed for all of them at once by the forecast module."""
    from disbursement.treasury.forecast import forecasts

    counties = list(treasury_regions(actor=actor, region_code=region_code).filter(level="county")
                    .values_list("code", "name"))
    found = forecasts([code for code, _name in counties])
    return [CountyForecast(code=code, name=name, forecast=found[code]) for code, name in counties
            if found.get(code) is not None and found[code].latest_day is not None]


def settled_payments(*, region: Region, start: datetime.date, end: datetime.date) -> dict[datetime.date, int]:
    """Our own payments settled as paid in a county per day (fen), beside its statements; {} above county level."""
    if region.level != "county":
        return {}
    from disbursement.treasury.forecast import settled_by_day

    frame = settled_by_day([region.code], start, end)
    return {day: int(fen) for day, fen in zip(frame["day"], frame["paid_fen"], strict=True)}
