"""Reads of the treasury tables; other packages and the pages come through here."""

import datetime
from decimal import Decimal

from django.db.models import Max, OuterRef, QuerySet, Subquery

from disbursement.treasury.models import TreasuryBand, TreasuryLevel, TreasurySettings, TreasuryStatement


def treasury_settings() -> TreasurySettings:
    """The thresholds, created with their defaults on first use."""
    settings, _ = TreasurySettings.objects.get_or_create(pk=1)
    return settings


def band_for(level: Decimal | None, settings: TreasurySettings, *, closing_fen: int | None = None) -> str:
    """The one place band boundaries live: < warning_below → warning; < low_below → low; ≤ idle_above → normal;
    above → idle. A region with no outflow in its window has no level: idle when it holds cash, else warning."""
    if level is None:
        return TreasuryBand.IDLE if (closing_fen or 0) > 0 else TreasuryBand.WARNING
    if level < settings.warning_below:
        return TreasuryBand.WARNING
    if level < settings.low_below:
        return TreasuryBand.LOW
    if level <= settings.idle_above:
        return TreasuryBand.NORMAL
    return TreasuryBand.IDLE


def _in_regions(queryset: QuerySet, region_codes) -> QuerySet:
    if region_codes is None:
        return queryset
    return queryset.filter(region_id__in=list(region_codes))


def levels_on(day: datetime.date, region_codes=None) -> QuerySet[TreasuryLevel]:
    """Each region's level on that exact day (regions without a statement that day are absent)."""
    return _in_regions(TreasuryLevel.objects.filter(day=day), region_codes).order_by("region_id")


def levels_between(region_code: str, start: datetime.date, end: datetime.date) -> QuerySet[TreasuryLevel]:
    return TreasuryLevel.objects.filter(region_id=region_code, day__gte=start, day__lte=end).order_by("day")


def latest_levels(region_codes=None, *, on_or_before: datetime.date | None = None) -> dict[str, TreasuryLevel]:
    """Each region's level on its latest statement day (up to `on_or_before` when given), by region code."""
    base = _in_regions(TreasuryLevel.objects.all(), region_codes)
    if on_or_before is not None:
        base = base.filter(day__lte=on_or_before)
    latest_day = base.filter(region_id=OuterRef("region_id")).order_by("-day").values("day")[:1]
    rows = base.filter(day=Subquery(latest_day))
    return {level.region_id: level for level in rows}


def bands_on(day: datetime.date, region_codes) -> dict[str, str]:
    return dict(levels_on(day, region_codes).values_list("region_id", "band"))


def statements(region_code: str, start: datetime.date, end: datetime.date) -> QuerySet[TreasuryStatement]:
    return TreasuryStatement.objects.filter(region_id=region_code, day__gte=start, day__lte=end).order_by("day")


def last_statement_day(region_code: str) -> datetime.date | None:
    return TreasuryStatement.objects.filter(region_id=region_code).aggregate(last=Max("day"))["last"]


def treasury_regions(within: str | None = None) -> list[str]:
    """The codes of the regions that keep a treasury account (province, cities, county-level units that are not
    statistics-only zones), in the subtree of `within` when given."""
    from disbursement.treasury.statements import TREASURY_LEVELS
    from geo.models import Region

    regions = Region.objects.filter(level__in=TREASURY_LEVELS, is_statistical=False)
    if within:
        regions = regions.within(within)
    return list(regions.order_by("code").values_list("code", flat=True))


def treasury_status(day: datetime.date, region_code: str | None = None) -> dict:
    """Each treasury's level as of `day` (its latest statement day on or before it), for the treasury_status
    command: amounts as yuan strings, the level as a number rounded to 4 decimals."""
    from disbursement.money import fen_to_yuan

    codes = treasury_regions(region_code)
    levels = latest_levels(codes, on_or_before=day)
    regions = []
    for code in codes:
        level = levels.get(code)
        if level is None:
            continue
        regions.append({
            "region": code,
            "day": level.day.isoformat(),
            "closing_yuan": fen_to_yuan(level.closing_fen),
            "avg_monthly_outflow_yuan": fen_to_yuan(level.avg_monthly_outflow_fen),
            "level": None if level.level is None else float(round(level.level, 4)),
            "band": level.band,
            "days_of_cover": None if level.days_of_cover is None else float(level.days_of_cover),
        })
    return {"date": day.isoformat(), "regions": regions}
