"""What the supervisor's desk reads: headline figures, a region's children, by item, by month, a village's
rosters and a region's open alerts — all within the caller's jurisdiction (NotFound outside it).

Years: a payment belongs to the year of its roster's period (2026, 2026H2, 2026Q4 and 2026-11 are all 2026),
which is what supervisors mean by "the 2026 subsidies"; months (`by_month`) are the months money moved
(settled, or created while not yet settled), in Asia/Shanghai.

Figures, per region and year (item or category optional):
- paid_fen, payments: amount and number of payments the bank paid (status paid);
- failed: payments the bank failed, whatever became of them since (failed, re-issued or returned), failed_fen;
- reissued: failed payments re-issued (their re-issue is a payment of its own); returned, returned_fen: failed
  payments whose money went back to its indicator;
- households, persons: distinct households and persons with at least one paid payment (a payee without a
  household on the register counts as a household of one).
"""

from dataclasses import dataclass

from django.db.models import Case, Count, Q, Value, When
from django.db.models.functions import Substr
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from disbursement.accounts.scoping import in_jurisdiction
from disbursement.alerts.models import OPEN_STATUSES, Alert, Severity
from disbursement.catalog.models import Item
from disbursement.errors import NotFound, ValidationFailed
from disbursement.rosters.models import Roster
from disbursement.supervision import facts
from disbursement.treasury.selectors import latest_levels
from geo import codes
from geo.models import Region, RegionLevel

CHILD_LEVEL = {"province": "city", "city": "county", "county": "township", "township": "village"}


@dataclass(frozen=True)
class Figure:
    """One headline figure: `value` is fen when `unit` is "fen", else a count; `url` opens its list."""

    key: str
    value: int
    unit: str
    url: str


@dataclass(frozen=True)
class Overview:
    region_code: str
    region_name: str
    year: int
    item: str | None
    category: str | None
    figures: dict[str, Figure]
    alerts_by_severity: dict[str, int]
    bands: dict[str, int]  # treasury band -> number of counties (empty until treasury levels exist)
    as_of: object = None  # datetime of the facts, None when never refreshed


@dataclass(frozen=True)
class ChildRow:
    code: str
    name: str
    level: str
    paid_fen: int = 0
    payments: int = 0
    households: int = 0
    persons: int = 0
    failed: int = 0
    failed_fen: int = 0
    reissued: int = 0
    returned: int = 0
    returned_fen: int = 0
    open_alerts: int = 0


def region_in_reach(*, user, region_code: str) -> Region:
    """The region if it exists and lies in the user's subtree; NotFound otherwise (existence not revealed)."""
    try:
        codes.region_level(region_code or "")
    except ValueError:
        raise NotFound(_("Region not found.")) from None
    region = Region.objects.filter(code=region_code).first()
    if region is None or not in_jurisdiction(user, region_code):
        raise NotFound(_("Region not found."))
    return region


def home_region(*, user) -> Region:
    """The root of the user's jurisdiction (the province for a superuser)."""
    if user.is_authenticated and user.is_superuser and not user.region_id:
        region = Region.objects.filter(level=RegionLevel.PROVINCE).order_by("code").first()
        if region is None:
            raise NotFound(_("Region not found."))
        return region
    if not (user.is_authenticated and user.is_active and user.region_id):
        raise NotFound(_("Region not found."))
    return region_in_reach(user=user, region_code=user.region_id)


def year_clean(year) -> int:
    """A period year (2000–2100) from an int or text; ValidationFailed naming the field otherwise."""
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        value = 0
    if not 2000 <= value <= 2100:
        raise ValidationFailed(_("A year between 2000 and 2100."), field="year")
    return value


def _filters_clean(item: str | None, category: str | None) -> tuple[str | None, str | None]:
    if item and not Item.objects.filter(code=item).exists():
        raise ValidationFailed(_("Unknown subsidy item."), field="item")
    if category and not Item.objects.filter(category_id=category).exists():
        raise ValidationFailed(_("Unknown subsidy category."), field="category")
    return item or None, category or None


def _url(name: str, fallback: str, **query) -> str:
    try:
        base = reverse(name)
    except NoReverseMatch:
        base = fallback
    query = {k: v for k, v in query.items() if v}
    return f"{base}?{urlencode(query)}" if query else base


def open_alert_counts(*, prefix_len: int, low: str, high: str, item: str | None = None,
                      category: str | None = None) -> dict[str, int]:
    """Open alerts (now) per region prefix: the alert's region code cut to `prefix_len` digits."""
    bucket = Substr("region_id", 1, prefix_len) if prefix_len else Value("")
    rows = (_open_alerts_qs(low, high, item, category).order_by().annotate(bucket=bucket).values("bucket")
            .annotate(n=Count("id")))
    return {row["bucket"]: int(row["n"]) for row in rows}


def _open_alerts_qs(low: str, high: str, item: str | None, category: str | None):
    alerts = Alert.objects.filter(status__in=list(OPEN_STATUSES), region_id__gte=low, region_id__lte=high)
    if item:
        alerts = alerts.filter(item_id=item)
    elif category:
        alerts = alerts.filter(item__category_id=category)
    return alerts


def overview(*, user, year: int, item: str | None = None, category: str | None = None) -> Overview:
    """Headline figures of the user's jurisdiction for one year (optionally one item or category)."""
    item, category = _filters_clean(item, category)
    year = year_clean(year)
    region = home_region(user=user)
    low, high = codes.subtree_bounds(region.code)
    totals = facts.totals(low=low, high=high, year=year, item=item, category=category, prefix_len=0).get("", {})
    reach = facts.reach(low=low, high=high, year=year, item=item, category=category, prefix_len=0).get("", {})
    severities = dict(_open_alerts_qs(low, high, item, category).order_by().values_list("severity")
                      .annotate(n=Count("id")).values_list("severity", "n"))
    alerts_by_severity = {s: int(severities.get(s, 0)) for s in Severity.values}
    county_codes = list(Region.objects.within(region.code).filter(level=RegionLevel.COUNTY)
                        .values_list("code", flat=True))
    bands = treasury_bands(county_codes)
    band_counts: dict[str, int] = {}
    for band in bands.values():
        if band:
            band_counts[band] = band_counts.get(band, 0) + 1
    payments_url = "/payments/"
    alerts_url = "/alerts/"

    def payments_link(status: str) -> str:
        # The payment list takes the desk's own filters, so the figure and the list it opens agree.
        return _url("payment-list", payments_url, status=status, region=region.code, year=year, item=item)

    figures = {
        "paid_fen": Figure("paid_fen", totals.get("paid_fen", 0), "fen", payments_link("paid")),
        "payments": Figure("payments", totals.get("payments", 0), "count", payments_link("paid")),
        "households": Figure("households", reach.get("households", 0), "count",
                             payments_link("paid")),
        "persons": Figure("persons", reach.get("persons", 0), "count", payments_link("paid")),
        "failed": Figure("failed", totals.get("failed", 0), "count", payments_link("failed")),
        "reissued": Figure("reissued", totals.get("reissued", 0), "count", payments_link("reissued")),
        "returned": Figure("returned", totals.get("returned", 0), "count", payments_link("returned")),
        "returned_fen": Figure("returned_fen", totals.get("returned_fen", 0), "fen",
                               payments_link("returned")),
        "alerts_open": Figure("alerts_open", sum(alerts_by_severity.values()), "count",
                              _url("alert-list", alerts_url, status="open", region=region.code, item=item)),
        # Counted as disbursement.payments.selectors.payments_stopped counts them, for the year, from the facts.
        "stopped": Figure("stopped", totals.get("stopped", 0), "count", _url("risk-stopped", "/risk/stopped/")),
        "stopped_fen": Figure("stopped_fen", totals.get("stopped_fen", 0), "fen",
                              _url("risk-stopped", "/risk/stopped/")),
    }
    for severity in Severity.values:
        figures[f"alerts_{severity}"] = Figure(f"alerts_{severity}", alerts_by_severity[severity], "count",
                                               _url("alert-list", alerts_url, status="open", severity=severity,
                                                    region=region.code, item=item))
    treasury_url = _url("treasury-months", "/treasury/", region=region.code)
    for band, count in band_counts.items():
        figures[f"band_{band}"] = Figure(f"band_{band}", count, "count", treasury_url)
    return Overview(region_code=region.code, region_name=region.name, year=year, item=item, category=category,
                    figures=figures, alerts_by_severity=alerts_by_severity, bands=band_counts,
                    as_of=facts_as_of(region_code=region.code))


def treasury_bands(county_codes: list[str]) -> dict[str, str | None]:
    """Each county's latest treasury band (warning/low/normal/idle), None where no level exists."""
    levels = latest_levels(county_codes)
    return {code: (levels[code].band if code in levels else None) for code in county_codes}


def children(*, user, region_code: str, year: int, item: str | None = None,
             category: str | None = None) -> list[ChildRow]:
    """One row per child region (a city's counties, a county's townships, a township's villages), by code,
    with every child listed even when nothing was paid there. A village has no children: ValidationFailed."""
    item, category = _filters_clean(item, category)
    region = region_in_reach(user=user, region_code=region_code)
    if region.level not in CHILD_LEVEL:
        raise ValidationFailed(_("A village has no regions below it."), field="region")
    return _rows_for(list(Region.objects.filter(parent_id=region.code).order_by("code")), year_clean(year), item,
                     category)


def _rows_for(regions: list[Region], year: int, item, category) -> list[ChildRow]:
    if not regions:
        return []
    prefix_len = codes.PREFIX_LENGTHS[regions[0].level]
    low = min(codes.subtree_bounds(r.code)[0] for r in regions)
    high = max(codes.subtree_bounds(r.code)[1] for r in regions)
    totals = facts.totals(low=low, high=high, year=year, item=item, category=category, prefix_len=prefix_len)
    reach = facts.reach(low=low, high=high, year=year, item=item, category=category, prefix_len=prefix_len)
    alerts = open_alert_counts(prefix_len=prefix_len, low=low, high=high, item=item, category=category)
    rows = []
    for region in regions:
        key = region.code[:prefix_len]
        t, r = totals.get(key, {}), reach.get(key, {})
        rows.append(ChildRow(
            code=region.code, name=region.name, level=region.level,
            paid_fen=t.get("paid_fen", 0), payments=t.get("payments", 0), households=r.get("households", 0),
            persons=r.get("persons", 0), failed=t.get("failed", 0), failed_fen=t.get("failed_fen", 0),
            reissued=t.get("reissued", 0), returned=t.get("returned", 0), returned_fen=t.get("returned_fen", 0),
            open_alerts=alerts.get(key, 0)))
    return rows


def counties_rows(*, user, region_code: str, year: int, item: str | None = None,
                  category: str | None = None) -> list[ChildRow]:
    """One row per county-level region in the subtree of a province or city (a county: itself)."""
    item, category = _filters_clean(item, category)
    region = region_in_reach(user=user, region_code=region_code)
    if region.level not in ("province", "city", "county"):
        raise ValidationFailed(_("Maps cover a province, a city or a county."), field="region")
    counties = list(Region.objects.within(region.code).filter(level=RegionLevel.COUNTY).order_by("code"))
    return _rows_for(counties, year_clean(year), item, category)


def by_item(*, user, region_code: str, year: int) -> list[tuple[str, str, int, int]]:
    """(item code, item name, paid fen, payments) of the region's year, largest amount first."""
    region = region_in_reach(user=user, region_code=region_code)
    low, high = codes.subtree_bounds(region.code)
    rows = facts.paid_by_item(low=low, high=high, year=year_clean(year))
    names = dict(Item.objects.filter(code__in=[r[0] for r in rows]).values_list("code", "name"))
    return sorted(((code, names.get(code, code), fen, n) for code, fen, n in rows), key=lambda r: (-r[2], r[0]))


def by_month(*, user, region_code: str, year: int, item: str | None = None,
             category: str | None = None) -> list[tuple[str, int, int]]:
    """("YYYY-MM", paid fen, payments) of the region's year, by the month the money moved, in month order."""
    item, category = _filters_clean(item, category)
    region = region_in_reach(user=user, region_code=region_code)
    low, high = codes.subtree_bounds(region.code)
    return facts.paid_by_month(low=low, high=high, year=year_clean(year), item=item, category=category)


def village_rosters(*, user, village_code: str, year: int) -> list[dict]:
    """Rosters of the year with lines in the village: roster id, item code and name, period, status, the
    village's (non-void) lines and their amount in fen. Read live (a village is small)."""
    region = region_in_reach(user=user, region_code=village_code)
    if region.level != RegionLevel.VILLAGE:
        raise ValidationFailed(_("Not a village."), field="region")
    township = codes.ancestor_codes(region.code)[3]
    rosters = (Roster.objects.filter(township_id=township, period__startswith=str(year_clean(year)))
               .annotate(village_lines=Count("lines", filter=Q(lines__village_id=region.code, lines__is_void=False)),
                         village_fen=facts.sum_filtered("lines__amount_fen",
                                                        Q(lines__village_id=region.code, lines__is_void=False)))
               .filter(village_lines__gt=0).select_related("item").order_by("-period", "item_id", "id"))
    return [{"roster": r.pk, "item": r.item_id, "item_name": r.item.name, "period": r.period, "status": r.status,
             "status_label": r.get_status_display(), "lines": r.village_lines, "amount_fen": int(r.village_fen or 0)}
            for r in rosters]


def open_alerts(*, user, region_code: str, limit: int = 20) -> list[Alert]:
    """The region's open alerts (its subtree), highest severity then newest first."""
    region = region_in_reach(user=user, region_code=region_code)
    low, high = codes.subtree_bounds(region.code)
    rank = Case(When(severity=Severity.HIGH, then=0), When(severity=Severity.MEDIUM, then=1), default=2)
    return list(_open_alerts_qs(low, high, None, None).select_related("region", "item")
                .annotate(rank=rank).order_by("rank", "-first_seen_at", "-id")[: max(int(limit), 0)])


def facts_as_of(*, region_code: str | None = None):
    """When the figures of a region were last computed (the oldest refresh among its counties), None if never."""
    return facts.as_of(region_code=region_code)
