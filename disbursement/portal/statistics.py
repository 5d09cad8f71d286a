"""Open statistics (公开统计): paid amounts and households by county, subsidy item and year.

One aggregation in PostgreSQL over paid payments; no person-level row leaves the database. "Households" are
distinct households, and a person with no household on the register counts as one household of their own.
A cell of fewer than SUPPRESS_BELOW households shows neither its count nor its amount, so a single family's
payment cannot be read off the page. No totals are published: a total beside a suppressed cell would give it
away by subtraction.
"""

import io
from dataclasses import dataclass

import pandas as pd
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Concat, ExtractYear, Left
from django.utils.translation import gettext as _

from disbursement.catalog.models import Item
from disbursement.money import fen_to_yuan
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.validators import neutralise_formula
from geo import codes
from geo.models import Region, RegionLevel

SUPPRESS_BELOW = 5


@dataclass(frozen=True)
class StatisticsCell:
    county_code: str
    county_name: str
    item_code: str
    item_name: str
    year: int
    households: int | None  # None when suppressed
    amount_fen: int | None

    @property
    def suppressed(self) -> bool:
        return self.households is None


def statistics_counties() -> list[Region]:
    return list(Region.objects.filter(level=RegionLevel.COUNTY).order_by("code"))


def statistics_cells(*, year: int | None = None, county_code: str | None = None) -> list[StatisticsCell]:
    """Paid amount and households per (county, item, year of payment), suppressed below SUPPRESS_BELOW."""
    payments = Payment.objects.filter(status=PaymentStatus.PAID, settled_at__isnull=False)
    if year:
        payments = payments.filter(settled_at__year=year)
    if county_code:
        low, high = codes.subtree_bounds(county_code)
        payments = payments.filter(village_id__gte=low, village_id__lte=high)
    rows = list(
        payments.annotate(
            county=Concat(Left("village_id", 6), Value("000000")),
            year=ExtractYear("settled_at"),  # in TIME_ZONE (Asia/Shanghai), the year a payee saw the money
            item=F("roster__item_id"),
        )
        .values("county", "item", "year")
        .annotate(
            amount=Sum("amount_fen"),
            households=Count("person__household_id", distinct=True)
            + Count("person_id", distinct=True, filter=Q(person__household_id__isnull=True)),
        )
        .order_by("county", "item", "year")
    )
    counties = dict(Region.objects.filter(code__in={r["county"] for r in rows}).values_list("code", "name"))
    items = dict(Item.objects.filter(code__in={r["item"] for r in rows}).values_list("code", "name"))
    cells = []
    for r in rows:
        shown = r["households"] >= SUPPRESS_BELOW
        cells.append(StatisticsCell(
            county_code=r["county"], county_name=counties.get(r["county"], ""), item_code=r["item"],
            item_name=items.get(r["item"], ""), year=r["year"],
            households=r["households"] if shown else None, amount_fen=r["amount"] if shown else None,
        ))
    return cells


def statistics_csv(*, cells: list[StatisticsCell]) -> bytes:
    """UTF-8 with a BOM so Excel opens it as Chinese text; suppressed cells read "<5" with a blank amount."""
    frame = pd.DataFrame(
        {
            _("County code"): [c.county_code for c in cells],
            _("County"): [c.county_name for c in cells],
            _("Item code"): [c.item_code for c in cells],
            _("Subsidy item"): [c.item_name for c in cells],
            _("Year paid"): [str(c.year) for c in cells],
            _("Households"): [f"<{SUPPRESS_BELOW}" if c.suppressed else str(c.households) for c in cells],
            _("Amount (yuan)"): ["" if c.suppressed else fen_to_yuan(c.amount_fen) for c in cells],
        },
        dtype="string",
    )
    for column in (_("County"), _("Subsidy item")):
        frame[column] = neutralise_formula(frame[column])
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue().encode("utf-8-sig")
