"""The treasury statement file: its columns, the parsing of its amounts and every check of its rows.

A file holds daily statements of one or more treasuries (区划代码, 日期, 期初库款余额, 本期库款流入, 本期库款流出,
期末库款余额, and optionally the inflow and outflow broken down by kind). Checks run on whole columns; the
relations between days (gaps, jumps) run on the file's rows merged with the stored neighbours of its days,
which `statements_check` is given by the caller (services.statements_import reads them under a lock).
"""

import datetime
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext_lazy as _

from disbursement.accounts.scoping import in_jurisdiction
from disbursement.money import fen_to_yuan
from disbursement.registry import validators
from disbursement.registry.tabular import alias_table, columns_canonical
from disbursement.rosters.checks import ErrorList
from geo.models import Region, RegionLevel

TREASURY_LEVELS = (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY)


@dataclass(frozen=True)
class Column:
    name: str  # canonical (English) header, also the error's field
    header: str  # the Chinese header of the treasury system's export
    aliases: tuple[str, ...] = ()
    required: bool = True


AMOUNT_COLUMNS = ("opening", "inflow", "outflow", "closing")
INFLOW_PARTS = ("inflow_transfer", "inflow_tax", "inflow_bond", "inflow_other")
OUTFLOW_PARTS = ("outflow_wages", "outflow_subsidy", "outflow_other")
COLUMNS = (
    Column("region_code", "区划代码", ("行政区划代码", "region")),
    Column("date", "日期", ("统计日期", "day")),
    Column("opening", "期初库款余额", ("期初余额", "opening_yuan")),
    Column("inflow", "本期库款流入", ("库款流入", "inflow_yuan")),
    Column("outflow", "本期库款流出", ("库款流出", "outflow_yuan")),
    Column("closing", "期末库款余额", ("期末余额", "closing_yuan")),
    Column("inflow_transfer", "上级转移支付流入", ("转移支付流入",), required=False),
    Column("inflow_tax", "税收收入流入", ("税收流入",), required=False),
    Column("inflow_bond", "债券资金流入", ("债券流入",), required=False),
    Column("inflow_other", "其他流入", (), required=False),
    Column("outflow_wages", "三保工资流出", ("工资流出",), required=False),
    Column("outflow_subsidy", "补贴发放流出", ("一卡通补贴流出",), required=False),
    Column("outflow_other", "其他流出", (), required=False),
)
ALIASES = alias_table({column.name: [column.header, *column.aliases] for column in COLUMNS})
REQUIRED = {column.name: column.header for column in COLUMNS if column.required}
FIGURES = (*AMOUNT_COLUMNS, *INFLOW_PARTS, *OUTFLOW_PARTS)

_AMOUNT = r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?"
_PLAIN = r"^[0-9]{1,12}(?:\.[0-9]{1,2})?$"
AMOUNT_ERRORS = ("required", "not_a_number", "too_many_decimals", "negative", "too_large")
# Amounts below a trillion yuan (disbursement.money.MAX_YUAN): at most 12 digits before the point.
_MAX_WHOLE_DIGITS = 12

MESSAGES = {
    "region_code.required": _("The region code is missing; write the treasury's 12-digit region code."),
    "region_code.bad_format": _("A region code has 12 digits (e.g. 430321000000)."),
    "region_code.unknown": _("No region has this code."),
    "region_code.not_treasury": _("Only the province, a city or a county-level unit (not a statistics-only zone) "
                                  "keeps a treasury account; this code is none of them."),
    "region_code.outside_jurisdiction": _("This treasury is outside your jurisdiction; you may import only your "
                                          "own region's statements."),
    "amount.required": _("This amount is missing; write it in yuan such as 1234.56 (0 when nothing moved)."),
    "amount.not_a_number": _("This is not an amount; write yuan with up to 2 decimals, such as 1234.56, without "
                             "units or words."),
    "amount.too_many_decimals": _("Too many decimal places: amounts have at most 2 (fen); check the figure "
                                  "instead of rounding it."),
    "amount.negative": _("An amount in a treasury statement is never negative."),
    "amount.too_large": _("The amount is implausibly large (a trillion yuan or more); check for extra digits."),
    "closing.arithmetic": _("Opening + inflow − outflow is %(expected)s yuan, not this closing balance."),
    "inflow.breakdown": _("The inflow parts add up to %(parts)s yuan, not to this inflow."),
    "outflow.breakdown": _("The outflow parts add up to %(parts)s yuan, not to this outflow."),
    "date.duplicate_in_file": _("Row %(first)s already holds this treasury's statement of this day."),
    "date.gap": _("Days are missing between %(previous)s and %(day)s: every day from one to the next needs a "
                  "statement."),
    "date.gap_next": _("Days are missing between %(day)s and the stored statement of %(next)s: every day in "
                       "between needs a statement."),
    "opening.jump": _("This day opens at %(opening)s yuan but %(previous)s closed at %(closing)s yuan; each day "
                      "opens where the previous one closed."),
    "closing.jump_next": _("This day closes at %(closing)s yuan but the stored statement of %(next)s opens at "
                           "%(opening)s yuan; correct that day in the same file."),
}


def _message(field: str, code: str) -> str:
    kind = "amount" if field in FIGURES else field
    text = MESSAGES.get(f"{field}.{code}") or MESSAGES.get(f"{kind}.{code}")
    if text is None and field == "date":
        text = validators.ERROR_MESSAGES.get(f"date.{code}")
    return str(text) if text is not None else code


def amounts(raw: pd.Series, *, required: bool = True) -> pd.DataFrame:
    """Yuan text to integer fen, whole columns at a time; zero is an amount here. Columns: value (int64, 0 on
    error or empty), empty (bool), code (0, or 1 + the index in AMOUNT_ERRORS: required, not_a_number,
    too_many_decimals, negative, too_large, the first that fails). No float: digits are parsed as integers.

    What a treasury system exports ("1234.56", "0") takes a fast path in pyarrow (drop the point, cast, scale by
    the decimals written); the rest (thousands separators, a minus sign, junk) the general path, on those rows."""
    text = raw.astype("str").fillna("").str.strip()
    arrow = pa.array(text.array)
    if isinstance(arrow, pa.ChunkedArray):
        arrow = arrow.combine_chunks()
    plain = pc.match_substring_regex(arrow, _PLAIN).to_numpy(zero_copy_only=False)
    cells = pc.if_else(plain, arrow, "0")
    point = pc.find_substring(cells, ".").to_numpy()
    decimals = np.where(point >= 0, pc.utf8_length(cells).to_numpy() - point - 1, 0)
    digits = pc.cast(pc.replace_substring(cells, ".", ""), pa.int64()).to_numpy()
    value = digits * np.array([100, 10, 1], dtype=np.int64)[decimals]
    codes = np.zeros(len(text), dtype=np.int8)
    empty = (text == "").to_numpy(dtype=bool)
    codes[empty & required] = 1
    other = ~plain & ~empty
    if other.any():
        value = value.copy()
        value[other], codes[other] = _amounts_general(text[other])
    return pd.DataFrame({"value": np.where(codes == 0, value, 0), "empty": empty, "code": codes}, index=raw.index)


def _amounts_general(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(fen, error code 0..5) of non-empty cells off the fast path: separators, a sign, too many digits, junk."""
    shaped = text.str.fullmatch(_AMOUNT).to_numpy(dtype=bool, na_value=False)
    body = text.where(shaped, "0").str.replace(",", "", regex=False).str.lstrip("-")
    whole = body.str.replace(r"\..*", "", regex=True).str.lstrip("0")
    fraction = body.str.replace(r"^[^.]*\.?", "", regex=True).str.rstrip("0")
    too_many = (fraction.str.len() > 2).to_numpy()
    huge = (whole.str.len() > _MAX_WHOLE_DIGITS).to_numpy()
    negative = text.str.startswith("-").to_numpy(dtype=bool, na_value=False)
    usable = shaped & ~too_many & ~huge
    value = whole.where(usable & (whole != ""), "0").astype("int64").to_numpy() * 100
    value += fraction.where(usable, "").str.pad(2, side="right", fillchar="0").astype("int64").to_numpy()
    checks = [np.zeros(len(text), dtype=bool), ~shaped, shaped & too_many, shaped & negative & (value > 0),
              shaped & huge]
    codes = np.zeros(len(text), dtype=np.int8)
    for position, failed in enumerate(checks, start=1):
        codes[(codes == 0) & failed] = position
    return value, codes


def statements_read(frame: pd.DataFrame, *, actor, today: datetime.date) -> tuple[pd.DataFrame, ErrorList]:
    """Single values and relations inside the file: region (known, a treasury, in reach), date, amounts,
    the arithmetic of each day and of its breakdown, a treasury's day twice. Returns the parsed rows
    (region_id, day as ISO text, every figure in fen as Int64 with <NA> when not given, usable) and the errors
    so far; `statements_link` adds those between days."""
    frame = columns_canonical(frame, ALIASES, REQUIRED)
    errors = ErrorList(_message)
    rows = pd.DataFrame(index=frame.index)

    # 1. Region: 12 digits (an Excel number cell arrives as "430321000000.0"), a treasury, inside reach.
    code = frame["region_code"].astype("str").str.strip().str.replace(r"\.0+$", "", regex=True)
    empty = code == ""
    shaped = code.str.fullmatch(r"[0-9]{12}").fillna(False).astype(bool)
    errors.add(frame.index[empty], "region_code", "required")
    errors.add(frame.index[~empty & ~shaped], "region_code", "bad_format")
    wanted = code[shaped].unique().tolist()
    regions = pd.DataFrame(Region.objects.filter(code__in=wanted).values_list("code", "level", "is_statistical"),
                           columns=["code", "level", "is_statistical"]).set_index("code")
    treasuries = set(regions.index[regions["level"].isin(TREASURY_LEVELS) & ~regions["is_statistical"]])
    known = code.isin(regions.index)
    treasury = code.isin(treasuries)
    reachable = code.isin({c for c in treasuries if actor is None or in_jurisdiction(actor, c)})
    errors.add(frame.index[shaped & ~known], "region_code", "unknown")
    errors.add(frame.index[known & ~treasury], "region_code", "not_treasury")
    errors.add(frame.index[treasury & ~reachable], "region_code", "outside_jurisdiction")
    rows["region_id"] = code
    region_ok = reachable

    # 2. Date: a real day, not after today in China.
    parsed = validators.dates(frame["date"], required=True, not_after=today)
    errors.add_codes("date", parsed["error"])
    rows["day"] = parsed["value"]
    date_ok = parsed["error"] == ""

    # 3. Amounts, and the day's arithmetic to the fen.
    amounts_ok = np.ones(len(frame), dtype=bool)
    values, given = {}, {}
    for name in FIGURES:
        if name not in frame:
            values[name], given[name] = np.zeros(len(frame), dtype=np.int64), np.zeros(len(frame), dtype=bool)
            continue
        parsed_amount = amounts(frame[name], required=name in AMOUNT_COLUMNS)
        code = parsed_amount["code"].to_numpy()
        ok = code == 0
        if not ok.all():
            for number, error in enumerate(AMOUNT_ERRORS, start=1):
                errors.add(frame.index[code == number], name, error)
        if name in AMOUNT_COLUMNS:
            amounts_ok &= ok
        values[name] = parsed_amount["value"].to_numpy(dtype=np.int64)
        given[name] = ok & ~parsed_amount["empty"].to_numpy(dtype=bool)
    for name in FIGURES:
        rows[name] = pd.arrays.IntegerArray(values[name], ~given[name])
    expected = values["opening"] + values["inflow"] - values["outflow"]
    wrong = amounts_ok & (expected != values["closing"])
    errors.add(frame.index[wrong], "closing", "arithmetic",
               expected=pd.Series(expected[wrong], index=frame.index[wrong]).map(fen_to_yuan))
    for total, parts in (("inflow", INFLOW_PARTS), ("outflow", OUTFLOW_PARTS)):
        if not any(part in frame for part in parts):
            continue
        any_given = np.logical_or.reduce([given[part] for part in parts])
        summed = np.sum([values[part] for part in parts], axis=0)
        wrong = amounts_ok & any_given & (summed != values[total])
        errors.add(frame.index[wrong], total, "breakdown",
                   parts=pd.Series(summed[wrong], index=frame.index[wrong]).map(fen_to_yuan))

    # 4. The same treasury and day twice in the file.
    keyed = (region_ok & date_ok).to_numpy(dtype=bool)
    rows["ordinal"] = parsed["date"].to_numpy(dtype="M8[D]").astype(np.int64)
    key = rows.loc[keyed, ["region_id", "ordinal"]]
    repeated = pd.Series(dtype="int64")
    duplicated = key.duplicated(keep="first").to_numpy()
    if duplicated.any():
        first = pd.Series(key.index, index=key.index).groupby([key["region_id"], key["ordinal"]]).transform("min")
        repeated = first[first != first.index]
        errors.add(repeated.index, "date", "duplicate_in_file", first=repeated)

    rows["usable"] = keyed & amounts_ok & ~rows.index.isin(repeated.index)
    return rows, errors


def statements_link(rows: pd.DataFrame, stored: pd.DataFrame, errors: ErrorList) -> None:
    """Days in sequence: each treasury's usable file rows merged with its stored days around and between them
    (`stored`: region_id, day, opening, closing of the stored statements the file does not replace), in day
    order; every consecutive pair with a file row in it must be consecutive days, the later opening where the
    earlier closed. Errors go on the file's row, naming both days."""
    mine = rows.loc[rows["usable"], ["region_id", "day", "ordinal", "opening", "closing"]]
    mine = mine.assign(row=mine.index.astype("int64"))
    theirs = stored[["region_id", "day", "opening", "closing"]].assign(
        row=-1, ordinal=np.asarray(stored["day"].to_numpy(dtype=str), dtype="M8[D]").astype(np.int64))
    both = pd.concat([mine.reset_index(drop=True), theirs], ignore_index=True) if len(theirs) else mine
    if len(both) < 2:
        return
    if len(theirs) or not _ordered(both):
        both = both.sort_values(["region_id", "ordinal"], kind="stable")
    both = both.reset_index(drop=True)
    before, after = both.iloc[:-1].reset_index(drop=True), both.iloc[1:].reset_index(drop=True)
    pair = (before["region_id"] == after["region_id"]) & ((before["row"] >= 0) | (after["row"] >= 0))
    gap = pair & (after["ordinal"] - before["ordinal"] > 1)
    jump = pair & ~gap & (after["opening"].to_numpy(dtype=np.int64) != before["closing"].to_numpy(dtype=np.int64))

    def named(mask, row_of, field, code, **params):
        if not mask.any():
            return
        rows_index = pd.Index(row_of[mask].astype("int64"))
        values = {k: v[mask].map(fen_to_yuan) if k in ("opening", "closing") else v[mask] for k, v in params.items()}
        errors.add(rows_index, field, code, **{k: pd.Series(v.to_numpy(), index=rows_index)
                                               for k, v in values.items()})

    on_after = after["row"] >= 0
    named(gap & on_after, after["row"], "date", "gap", previous=before["day"], day=after["day"])
    named(gap & ~on_after, before["row"], "date", "gap_next", day=before["day"], next=after["day"])
    named(jump & on_after, after["row"], "opening", "jump", opening=after["opening"], previous=before["day"],
          closing=before["closing"])
    named(jump & ~on_after, before["row"], "closing", "jump_next", closing=before["closing"], next=after["day"],
          opening=after["opening"])


def _ordered(frame: pd.DataFrame) -> bool:
    """Already in (region, day) order, as a treasury export usually is: the sort can be skipped."""
    region = frame["region_id"].to_numpy(dtype=object)
    ordinal = frame["ordinal"].to_numpy()
    same = region[1:] == region[:-1]
    return bool(np.all((region[1:] >= region[:-1]) & (~same | (ordinal[1:] > ordinal[:-1]))))
