"""Effective-dated regional standards: which amount an item pays in a region on a date, and for whom.

Resolution: of the rows in force on a date (valid_from <= date <= valid_to, valid_to empty = open), the most
specific region on the path from the township up to the province wins; all of that region's bands apply.
Standards are decided by governments (province, city, county, township), so a village is never a standard's
region. Bands (one grammar, see BAND):
  ""            everyone;
  "age:80-89"   whole years of age on the period's last day, from the ID number's birth date (inclusive);
  "age:100+"    that age or older;
  "grade:1"     a grade (disability level, class) the roster does not carry: a roster row may then pay any
                of the bands' amounts, and the rate column must say which.
A change of standard is a new row from its effective date; the open row before it is closed the day before.
Rosters keep the amounts they were checked with, so no change ever alters an approved roster or a payment.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disbursement.accounts.permissions import action_check, action_refusal
from disbursement.audit.services import audit_record
from disbursement.catalog.models import Item, Standard
from disbursement.errors import Conflict, NotFound, ValidationFailed
from disbursement.money import fen_to_yuan
from geo import codes
from geo.models import Region, RegionLevel

BAND = re.compile(r"^(?:age:(?P<low>\d{1,3})(?:-(?P<high>\d{1,3})|(?P<plus>\+))|grade:(?P<grade>[0-9A-Za-z]{1,4}))$")
STANDARD_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY, RegionLevel.TOWNSHIP)

UNIT_SHORT = {
    "person": gettext_lazy("yuan/person"), "household": gettext_lazy("yuan/household"), "mu": gettext_lazy("yuan/mu"),
    "head": gettext_lazy("yuan/head"), "tonne": gettext_lazy("yuan/tonne"), "set": gettext_lazy("yuan/set"),
    "square_metre": gettext_lazy("yuan/m²"), "hectare": gettext_lazy("yuan/hectare"),
}
FREQUENCY_SHORT = {
    "monthly": gettext_lazy("·month"), "quarterly": gettext_lazy("·quarter"),
    "semiannual": gettext_lazy("·half-year"), "annual": gettext_lazy("·year"), "once": "",
}


@dataclass(frozen=True)
class Band:
    kind: str  # "", "age" or "grade"
    low: int = 0
    high: int = 999
    grade: str = ""


def band_parse(text: str) -> Band:
    """ValueError when `text` is not "", age:LOW-HIGH, age:LOW+ or grade:G."""
    text = (text or "").strip()
    if not text:
        return Band("")
    match = BAND.match(text)
    if not match:
        raise ValueError(text)
    if match["grade"]:
        return Band("grade", grade=match["grade"])
    low = int(match["low"])
    high = 999 if match["plus"] else int(match["high"])
    if high < low:
        raise ValueError(text)
    return Band("age", low, high)


def bands_overlap(a: str, b: str) -> bool:
    """Two bands of one item and region may not be in force together when they cover the same people.
    The empty band covers everyone."""
    first, second = band_parse(a), band_parse(b)
    if not first.kind or not second.kind:
        return True
    if first.kind != second.kind:
        return True  # mixing age and grade bands would make a person's amount ambiguous
    if first.kind == "grade":
        return first.grade == second.grade
    return first.low <= second.high and second.low <= first.high


def band_label(text: str) -> str:
    band = band_parse(text)
    if band.kind == "age":
        if band.high == 999:
            return _("age %(low)s and over") % {"low": band.low}
        return _("age %(low)s–%(high)s") % {"low": band.low, "high": band.high}
    if band.kind == "grade":
        return _("grade %(grade)s") % {"grade": band.grade}
    return ""


def standard_label(standard: Standard, *, region_name: str | None = None) -> str:
    """What a person reads as the standard used: 「湘潭县 2026-01-01 起 110.00 元/人·月」 (with its band, if any)."""
    item = standard.item
    text = _("%(region)s from %(date)s: %(amount)s %(unit)s%(frequency)s") % {
        "region": region_name or standard.region.name, "date": standard.valid_from.isoformat(),
        "amount": fen_to_yuan(standard.amount_fen), "unit": UNIT_SHORT[item.unit],
        "frequency": FREQUENCY_SHORT[item.frequency],
    }
    if standard.band:
        text += f" ({band_label(standard.band)})"
    return text


def _in_force(on: date) -> Q:
    return Q(valid_from__lte=on) & (Q(valid_to__isnull=True) | Q(valid_to__gte=on))


def standards_in_force(item: Item | str, region_code: str, on: date) -> list[Standard]:
    """Every standard in force on `on` for the region and the regions above it, most specific region first
    (bands in order within a region). The first region's rows are the ones that apply."""
    path = codes.ancestor_codes(region_code)
    rows = list(Standard.objects.filter(_in_force(on), item=item, region_id__in=path)
                .select_related("region", "item"))
    depth = {code: i for i, code in enumerate(path)}
    return sorted(rows, key=lambda s: (-depth[s.region_id], _band_order(s.band)))


def standard_in_force(item: Item | str, township_code: str, on: date) -> list[Standard]:
    """The standards that apply in the township (or any region) on `on`: the most specific region's rows."""
    rows = standards_in_force(item, township_code, on)
    return [s for s in rows if s.region_id == rows[0].region_id] if rows else []


def _band_order(band: str):
    parsed = band_parse(band)
    return (parsed.kind, parsed.low, parsed.grade)


# ------------------------------------------------------------------------------------------- roster rows


@dataclass
class RowStandards:
    """What a roster's rows must pay: `expected` fen per row (NA where no single amount applies), `choices` the
    amounts any row may pay when the bands need a fact the roster lacks, and the label of each row's standard."""

    standards: list[Standard]
    expected: pd.Series
    label: pd.Series
    choices: list[int]


def standards_for_rows(item: Item, township_code: str, on: date, birth_dates: pd.Series) -> RowStandards:
    """Age bands are read from each row's birth date (NaT for rows whose ID failed: no amount, its own error)."""
    applying = standard_in_force(item, township_code, on)
    expected = pd.Series(pd.NA, index=birth_dates.index, dtype="Int64")
    label = pd.Series("", index=birth_dates.index, dtype=object)
    if not applying:
        return RowStandards([], expected, label, [])
    bands = [band_parse(s.band) for s in applying]
    if all(b.kind == "" for b in bands):
        expected[:] = applying[0].amount_fen
        label[:] = standard_label(applying[0])
        return RowStandards(applying, expected, label, [])
    if all(b.kind == "age" for b in bands):
        end = pd.Timestamp(on)
        birth = pd.to_datetime(birth_dates, errors="coerce")
        before_birthday = (birth.dt.month > end.month) | ((birth.dt.month == end.month) & (birth.dt.day > end.day))
        age = end.year - birth.dt.year - before_birthday.astype("int64")
        for standard, band in zip(applying, bands, strict=True):
            inside = (age >= band.low) & (age <= band.high)
            expected[inside.fillna(False)] = standard.amount_fen
            label[inside.fillna(False)] = standard_label(standard)
        return RowStandards(applying, expected, label, [])
    # Grade bands: the roster does not carry the grade, so any of the bands' amounts is accepted.
    label[:] = "; ".join(standard_label(s) for s in applying)
    return RowStandards(applying, expected, label, sorted({s.amount_fen for s in applying}))


def standards_by_roster_key(keys: pd.DataFrame) -> pd.DataFrame:
    """For distinct (item_id, township_id, period_end) keys, the amounts that apply: one row per key and standard
    with amount_fen, born_after and born_until (birth-date bounds of an age band; open for other bands), kind.
    One query for every standard of the items involved, then resolution in memory (keys are rosters, not lines)."""
    columns = ["item_id", "township_id", "period_end", "amount_fen", "born_after", "born_until", "kind"]
    if keys.empty:
        return pd.DataFrame(columns=columns)
    rows = list(Standard.objects.filter(item_id__in=keys["item_id"].unique().tolist())
                .values_list("item_id", "region_id", "valid_from", "valid_to", "amount_fen", "band"))
    by_item_region: dict[tuple[str, str], list] = {}
    for item_id, region_id, valid_from, valid_to, amount, band in rows:
        by_item_region.setdefault((item_id, region_id), []).append((valid_from, valid_to, amount, band))
    out = []
    for key in keys.itertuples(index=False):
        end = key.period_end
        for region in reversed(codes.ancestor_codes(key.township_id)):
            found = [r for r in by_item_region.get((key.item_id, region), ())
                     if r[0] <= end and (r[1] is None or r[1] >= end)]
            if not found:
                continue
            for _from, _to, amount, band in found:
                parsed = band_parse(band)
                if parsed.kind == "age":
                    # age in [low, high] on `end`  <=>  end - (high + 1) years < birth <= end - low years
                    born_after = _years_before(end, parsed.high + 1) if parsed.high < 999 else date(1, 1, 1)
                    born_until = _years_before(end, parsed.low)
                else:
                    born_after, born_until = date(1, 1, 1), date(9999, 12, 31)
                out.append((key.item_id, key.township_id, end, amount, born_after, born_until, parsed.kind))
            break
    return pd.DataFrame(out, columns=columns)


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --------------------------------------------------------------------------------------------- changes


@dataclass(frozen=True)
class StandardInput:
    item_code: str
    region_code: str
    valid_from: date
    valid_to: date | None
    amount_fen: int
    band: str
    document: str


def standard_problems(entry: StandardInput, *, actor) -> list[tuple[str, str, str]]:
    """(field, code, message) for one proposed standard, against the database (not against other new rows)."""
    problems = []
    item = Item.objects.filter(code=entry.item_code).first()
    if item is None:
        problems.append(("item", "unknown", _("No subsidy item %(code)s.") % {"code": entry.item_code}))
    region = Region.objects.filter(code=entry.region_code).first()
    if region is None:
        problems.append(("region_code", "unknown", _("No region %(code)s.") % {"code": entry.region_code}))
    elif region.level not in STANDARD_LEVELS:
        problems.append(("region_code", "level", _("Standards are set by a township or a higher government, "
                                                   "not by a village.")))
    else:
        refusal = action_refusal(actor, "standard.edit", region_code=region.code,
                                 department=item.department if item else None, existing=False)
        if refusal is not None:
            problems.append(("region_code", "not_allowed", refusal.message))
    try:
        band_parse(entry.band)
    except ValueError:
        problems.append(("band", "bad_format", _("Write the band as age:80-89, age:100+ or grade:1.")))
    if entry.valid_to is not None and entry.valid_to < entry.valid_from:
        problems.append(("valid_to", "before_from", _("The end date is before the start date.")))
    if entry.amount_fen <= 0:
        problems.append(("amount", "not_positive", _("The amount must be more than zero.")))
    if not entry.document.strip():
        problems.append(("document", "required", _("Give the document number (文号) that sets the standard.")))
    elif len(entry.document.strip()) > 200:
        problems.append(("document", "too_long", _("The document number is longer than 200 characters.")))
    if problems:
        return problems
    for other in _overlapping(entry):
        if _replaces(entry, other):
            continue  # an open standard is closed the day before the new open one starts
        problems.append(("valid_from", "overlap", _("Overlaps the standard in force: %(standard)s.")
                         % {"standard": standard_label(other)}))
    return problems


def _replaces(entry: StandardInput, other: Standard) -> bool:
    """A new open-ended standard replaces an open one that started earlier (a change from a date); anything else
    that overlaps is a mistake to correct, never silently cut."""
    return entry.valid_to is None and other.valid_to is None and other.valid_from < entry.valid_from


def _overlapping(entry: StandardInput) -> list[Standard]:
    end = entry.valid_to or date(9999, 12, 31)
    rows = (Standard.objects.filter(item_id=entry.item_code, region_id=entry.region_code, valid_from__lte=end)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=entry.valid_from)).select_related("item", "region"))
    return [row for row in rows if bands_overlap(row.band, entry.band)]


def standard_write(entry: StandardInput, *, actor) -> Standard:
    """Close the open standards the new one replaces, insert it, audit it (the audit is the last write)."""
    closed = []
    for other in _overlapping(entry):
        if not _replaces(entry, other):
            raise Conflict(_("Overlaps the standard in force: %(standard)s.") % {"standard": standard_label(other)})
        other.valid_to = entry.valid_from - timedelta(days=1)
        other.save(update_fields=["valid_to"])
        closed.append(other.pk)
    standard = Standard.objects.create(
        item_id=entry.item_code, region_id=entry.region_code, valid_from=entry.valid_from, valid_to=entry.valid_to,
        amount_fen=entry.amount_fen, band=entry.band.strip(), document=entry.document.strip(),
        created_by=actor if actor is not None and actor.is_authenticated else None,
    )
    audit_record(actor=actor, action="standard.create", obj=standard, region_code=entry.region_code,
                 item=entry.item_code, valid_from=entry.valid_from.isoformat(),
                 valid_to=entry.valid_to.isoformat() if entry.valid_to else None, amount_fen=entry.amount_fen,
                 band=entry.band, document=entry.document, closed=closed)
    return standard


def standard_create(*, actor, entry: StandardInput) -> Standard:
    """Set a standard from its effective date. Province admin: anywhere; county finance and the item's county
    department: their county and below. Locks the item row first, so two changes of one item run one after
    the other and the overlap check sees the earlier one."""
    region = Region.objects.filter(code=entry.region_code).first()
    if region is not None:
        item = Item.objects.filter(code=entry.item_code).first()
        action_check(actor, "standard.edit", region_code=region.code, existing=False,
                     department=item.department if item else None)
    with transaction.atomic():
        if not Item.objects.select_for_update().filter(code=entry.item_code).exists():
            raise NotFound(_("No subsidy item %(code)s.") % {"code": entry.item_code})
        problems = standard_problems(entry, actor=actor)
        if problems:
            field, code, message = problems[0]
            raise (Conflict(message, field=field) if code == "overlap" else ValidationFailed(message, field=field))
        return standard_write(entry, actor=actor)
