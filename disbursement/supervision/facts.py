"""Reads of the pre-aggregated facts (disbursement.supervision.models), keyed by a region-code prefix.

Each function takes a code range (a subtree), a year, an optional item or category (item wins), and the length
of the prefix to group by (0: one group keyed ""). Figures are as of the last refresh (`as_of`).
"""

from django.db.models import Count, Min, Q, Sum, Value
from django.db.models.functions import Substr

from disbursement.supervision.models import FactsRefresh, PaymentFact, ReachFact, ReachScope, RegisterFact
from geo import codes

TOTALS = ("paid_fen", "paid", "failed_fen", "failed", "reissued_fen", "reissued", "returned_fen", "returned",
          "stopped_fen", "stopped", "open_fen", "open")


def sum_filtered(field: str, condition: Q):
    return Sum(field, filter=condition)


def _key(prefix_len: int):
    return Substr("village_id", 1, prefix_len) if prefix_len else Value("")


def _payment_facts(low: str, high: str, year: int, item: str | None, category: str | None):
    rows = PaymentFact.objects.filter(year=year, village_id__gte=low, village_id__lte=high)
    if item:
        rows = rows.filter(item_id=item)
    elif category:
        rows = rows.filter(category=category)
    return rows.order_by()


def totals(*, low: str, high: str, year: int, item: str | None = None, category: str | None = None,
           prefix_len: int = 0) -> dict[str, dict[str, int]]:
    """{prefix: {paid_fen, payments, failed_fen, failed, reissued_fen, reissued, returned_fen, returned,
    stopped_fen, stopped, open_fen, open}}; `payments` is the number of paid payments."""
    rows = (_payment_facts(low, high, year, item, category).annotate(key=_key(prefix_len)).values("key")
            .annotate(**{f"s_{name}": Sum(name) for name in TOTALS}))
    result = {}
    for row in rows:
        figures = {name: int(row[f"s_{name}"] or 0) for name in TOTALS}
        figures["payments"] = figures["paid"]
        result[row["key"]] = figures
    return result


def reach(*, low: str, high: str, year: int, item: str | None = None, category: str | None = None,
          prefix_len: int = 0) -> dict[str, dict[str, int]]:
    """{prefix: {households, persons}} reached (paid) in the year."""
    if item:
        scope, code = ReachScope.ITEM, item
    elif category:
        scope, code = ReachScope.CATEGORY, category
    else:
        scope, code = ReachScope.ALL, ""
    rows = (ReachFact.objects.filter(year=year, scope=scope, scope_code=code, village_id__gte=low,
                                     village_id__lte=high).order_by()
            .annotate(key=_key(prefix_len)).values("key")
            .annotate(h=Sum("households"), p=Sum("persons")))
    return {row["key"]: {"households": int(row["h"] or 0), "persons": int(row["p"] or 0)} for row in rows}


def register_persons(*, low: str, high: str, prefix_len: int) -> dict[str, int]:
    """Persons on the register living in each region (their village today)."""
    rows = (RegisterFact.objects.filter(village_id__gte=low, village_id__lte=high).order_by()
            .annotate(key=_key(prefix_len)).values("key").annotate(n=Sum("persons")))
    return {row["key"]: int(row["n"] or 0) for row in rows}


def paid_by_item(*, low: str, high: str, year: int) -> list[tuple[str, int, int]]:
    rows = (_payment_facts(low, high, year, None, None).values("item_id")
            .annotate(fen=Sum("paid_fen"), n=Sum("paid")).filter(n__gt=0))
    return [(r["item_id"], int(r["fen"] or 0), int(r["n"])) for r in rows]


def paid_by_month(*, low: str, high: str, year: int, item: str | None = None,
                  category: str | None = None) -> list[tuple[str, int, int]]:
    rows = (_payment_facts(low, high, year, item, category).values("month")
            .annotate(fen=Sum("paid_fen"), n=Sum("paid")).filter(n__gt=0).order_by("month"))
    return [(r["month"], int(r["fen"] or 0), int(r["n"])) for r in rows]


def as_of(*, region_code: str | None = None):
    """The oldest refresh among the counties of the region (or of all counties); None when none was refreshed."""
    refreshes = FactsRefresh.objects.all()
    if region_code:
        county = region_code[:6].ljust(12, "0") if codes.region_level(region_code) in ("township", "village") \
            else region_code
        low, high = codes.subtree_bounds(county)
        refreshes = refreshes.filter(county_id__gte=low, county_id__lte=high)
    found = refreshes.aggregate(at=Min("refreshed_at"), n=Count("county_id"))
    return found["at"] if found["n"] else None
