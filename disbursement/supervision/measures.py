"""The five map measures, one value per county of a province or city.

Definitions (year = the year of the roster's period; item or category narrows every figure but the treasury's):
- paid_per_household: paid fen ÷ households reached (distinct households with a paid payment in the year; a
  payee without a household counts as one), in yuan per household; None when no household was reached.
- paid_per_person: paid fen ÷ persons on the register living in the county (their village today), in yuan per
  person; None when the register has nobody there.
- change_vs_previous_year: (paid(y) − paid(y−1)) ÷ paid(y−1), as a fraction (0.123 shows "+12.3%"); None when
  nothing was paid in y−1.
- alerts_per_10k: open alerts whose region lies in the county (now) × 10,000 ÷ paid payments of the year (item or
  category narrows the alerts by their item too); None when no payment was made.
- treasury_band: the county's latest treasury band (warning/low/normal/idle, `band`; `display` its name, 库款预警 …);
  `value` is the coverage level (closing balance ÷ average monthly outflow, disbursement.treasury), None when the
  county has no level yet (or no outflow to measure it by).
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from disbursement.money import fen_to_yuan_grouped
from disbursement.supervision import facts, selectors
from disbursement.treasury.models import TreasuryBand
from disbursement.treasury.selectors import latest_levels
from geo import codes

MEASURES = ("paid_per_household", "paid_per_person", "change_vs_previous_year", "alerts_per_10k", "treasury_band")


@dataclass(frozen=True)
class MeasureRow:
    code: str
    name: str
    value: float | None
    display: str
    figures: dict[str, str]
    band: str | None = None  # treasury band code of the county (every measure carries it, for the tooltip)


def _yuan(fen: int) -> str:
    return _("%(amount)s yuan") % {"amount": fen_to_yuan_grouped(fen)}


def county_measure(*, user, region_code: str, measure: str, year: int, item: str | None = None,
                   category: str | None = None) -> list["MeasureRow"]:
    """One row per county-level region under `region_code` (a city's counties; the province's counties), by code.

    `figures` (the tooltip) has the same keys, in the same order, for every row and every measure."""
    if measure not in MEASURES:
        from disbursement.errors import ValidationFailed

        raise ValidationFailed(_("Unknown measure."), field="measure")
    year = selectors.year_clean(year)
    rows = selectors.counties_rows(user=user, region_code=region_code, year=year, item=item, category=category)
    if not rows:
        return []
    low = min(codes.subtree_bounds(r.code)[0] for r in rows)
    high = max(codes.subtree_bounds(r.code)[1] for r in rows)
    previous = facts.totals(low=low, high=high, year=year - 1, item=item, category=category, prefix_len=6)
    register = facts.register_persons(low=low, high=high, prefix_len=6)
    levels = latest_levels([r.code for r in rows])
    band_labels = {code: str(label) for code, label in TreasuryBand.choices}
    result = []
    for row in rows:
        key = row.code[:6]
        before = previous.get(key, {}).get("paid_fen", 0)
        persons = register.get(key, 0)
        level = levels.get(row.code)
        band = getattr(level, "band", None)
        value, display = _value(measure, row, before, persons, level, band_labels)
        figures = {
            _("Amount paid"): _yuan(row.paid_fen),
            _("Households reached"): f"{row.households:,}",
            _("Persons reached"): f"{row.persons:,}",
            _("Persons on the register"): f"{persons:,}",
            _("Number of payments"): f"{row.payments:,}",
            _("Open alerts"): f"{row.open_alerts:,}",
            _("Paid the year before"): _yuan(before),
            _("Treasury band"): band_labels.get(band, band) if band else "—",
        }
        result.append(MeasureRow(code=row.code, name=row.name, value=value, display=display, figures=figures,
                                 band=band))
    return result


def _value(measure, row, before, persons, level, band_labels) -> tuple[float | None, str]:
    if measure == "paid_per_household":
        if not row.households:
            return None, "—"
        value = row.paid_fen / row.households / 100
        return value, _("%(amount)s yuan/household") % {"amount": f"{value:,.2f}"}
    if measure == "paid_per_person":
        if not persons:
            return None, "—"
        value = row.paid_fen / persons / 100
        return value, _("%(amount)s yuan/person") % {"amount": f"{value:,.2f}"}
    if measure == "change_vs_previous_year":
        if not before:
            return None, "—"
        value = (row.paid_fen - before) / before
        return value, f"{value * 100:+.1f}%"
    if measure == "alerts_per_10k":
        if not row.payments:
            return None, "—"
        value = row.open_alerts * 10000 / row.payments
        return value, _("%(rate)s per 10,000 payments") % {"rate": f"{value:,.1f}"}
    band = getattr(level, "band", None)
    if not band:
        return None, "—"
    raw = getattr(level, "level", None)
    return (float(raw) if raw is not None else None), band_labels.get(band, band)
