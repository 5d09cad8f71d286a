"""Vectorised validation of single roster columns: names, resident ID numbers, bank card numbers, amounts.

A roster holds up to 1,000,000 rows, so each bulk function takes a whole column (a Series of raw cell text;
NA and "" are both empty) and answers with a DataFrame on the same index, built from pandas `.str` methods
(pyarrow / RE2 underneath) and numpy arrays, never a Python loop over rows:

    value   the normalised value ("" — for `money`, 0 — when the row has an error)
    error   "" when valid, else one bare code, the first failing check in the order listed per function
    ...     derived columns (birth_date, sex, from_15, bank): blank (NaT, "", False) whenever error is set

Each bulk function has a one-value `*_reference` twin written the plain way (python-stdnum, Decimal) that
the tests run against the bulk function on hundreds of thousands of generated values: they must agree on
value and error for every input.

Messages: the `error` column holds bare codes ("required", "bad_format", ...) because the same code means
different things per column; `ERROR_MESSAGES` is keyed "<kind>.<code>" with kind "id", "card", "name" or "money"
(e.g. ERROR_MESSAGES["card.bad_format"]); `money` with decimals=3 (quantities) uses the "money." keys too.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from datetime import date, datetime
from decimal import Context, Decimal, localcontext
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from django.utils.translation import gettext_lazy as _
from stdnum import luhn, numdb
from stdnum.cn import ric
from stdnum.exceptions import InvalidComponent

ID_ERRORS = ("required", "excel_number", "bad_format", "bad_birth_date", "unknown_region", "bad_checksum")
CARD_ERRORS = ("required", "excel_number", "bad_format", "bad_length", "bad_luhn")
MONEY_ERRORS = ("required", "not_a_number", "too_many_decimals", "not_positive", "too_large")
NAME_ERRORS = ("required", "too_long", "formula", "control_character", "digit", "bad_character", "mixed_scripts",
               "bad_separator")
MONEY_MAX_UNITS = 10**12
NAME_MAX_LENGTH = 50  # Person.name and the bank file's payee name
DATE_ERRORS = ("required", "bad_format", "bad_date", "future")

ERROR_MESSAGES: dict[str, str] = {
    "id.required": _("The ID number is missing; enter the 18-character resident ID number."),
    "id.excel_number": _(
        "Excel stored this ID number as a number and lost its last digits (it shows as scientific notation, "
        "ends in .0, or ends in 000 with a wrong check digit); format the column as text and type the number "
        "again from the ID card."
    ),
    "id.bad_format": _(
        "An ID number must be 17 digits followed by a digit or X (old 15-digit numbers are also accepted); "
        "check for missing, extra or non-digit characters."
    ),
    "id.bad_birth_date": _(
        "The birth date inside this ID number (characters 7–14) is not a real date, is in the future or is "
        "before 1900; check those digits against the ID card."
    ),
    "id.unknown_region": _(
        "The first 6 digits of this ID number are not a known administrative region code; check them against "
        "the ID card."
    ),
    "id.bad_checksum": _(
        "The last character of this ID number does not match the other 17 (a digit was mistyped or two were "
        "swapped); check the whole number against the ID card."
    ),
    "card.required": _("The card number is missing; enter the bank or social-security card number."),
    "card.excel_number": _(
        "Excel stored this card number as a number and lost its last digits (it shows as scientific notation, "
        "ends in .0, or ends in 000 and fails the check); format the column as text and type the number again "
        "from the card."
    ),
    "card.bad_format": _(
        "A card number may contain only digits (spaces and hyphens are ignored); remove letters and other characters."
    ),
    "card.bad_length": _("A card number has 16 to 19 digits; check for a missing or extra digit."),
    "card.bad_luhn": _(
        "This card number fails the card check digit (a digit was mistyped or two were swapped); check it "
        "against the card or the bank passbook."
    ),
    "name.required": _("The name is empty; enter the name as on the ID card or passport."),
    "name.too_long": _("The name is longer than 50 characters."),
    "name.formula": _("A name may not start with =, +, - or @ (spreadsheet formula)."),
    "name.control_character": _(
        "The name contains an invisible control character (often pasted from another program); type the name "
        "again."
    ),
    "name.digit": _("A name may not contain digits; write the name as on the ID card or passport."),
    "name.bad_character": _(
        "A name may contain only Chinese characters, the middle dot · of minority names, or Latin letters with "
        "spaces, hyphens and apostrophes; remove commas, quotes, other punctuation, symbols and emoji."
    ),
    "name.mixed_scripts": _(
        "A name is either in Chinese characters or in Latin letters, not both; write it as on the ID card or "
        "passport."
    ),
    "name.bad_separator": _(
        "A middle dot, hyphen or apostrophe must stand between two parts of the name, once; remove it from the "
        "start or end, or the doubled one."
    ),
    "money.required": _("This cell is empty; enter the amount or quantity as a number such as 105.50."),
    "money.not_a_number": _(
        "This is not a number; write digits with an optional decimal point, such as 1234.56 or 1,234.56, "
        "without units or words."
    ),
    "money.too_many_decimals": _(
        "Too many decimal places: amounts have at most 2 (fen) and quantities at most 3; check the figure "
        "instead of rounding it."
    ),
    "money.not_positive": _(
        "The number must be greater than zero; correct a negative or zero figure, or leave out the row if nothing "
        "is due."
    ),
    "date.required": _("The date is missing; write it as YYYY-MM-DD, e.g. 2025-11-14."),
    "date.bad_format": _("Write dates as YYYY-MM-DD, e.g. 2025-11-14 (format the column as text or as a date)."),
    "date.bad_date": _("This is not a real date (check the month and the day), or it is before 1900."),
    "date.future": _("This date lies in the future; check the year."),
    "money.too_large": _(
        "The number is implausibly large (over 10 billion yuan, or 1 billion for a quantity); check for extra "
        "digits or a missing decimal point."
    ),
}

# Whitespace as Python's str.isspace() sees it, plus zero-width space and BOM; spelled out (and used as
# literal characters inside [...]) so RE2 (pyarrow, ASCII-only \s) and Python's re strip the same ones.
_SPACES = "".join(chr(code) for code in range(0x2000, 0x200C)) + (
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2028\u2029\u202f\u205f\u3000\ufeff"
)
# C0 controls, DEL and C1 controls: never part of a name, number or remark.
CONTROL_CHARACTERS = "[\x00-\x1f\x7f-\x9f]"
_HYPHENS = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# Full-width ASCII forms (０-９, Ｘ, ｘ, ．, ，, ＋ ...) typed with a Chinese input method, folded to ASCII.
_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}

_EXCEL = r"[0-9]+(?:\.[0-9]*)?[eE][+-]?[0-9]+|[0-9]+\.0+"
_ID18 = r"[0-9]{17}[0-9X]"
_ID15 = r"[0-9]{15}"
_DIGITS = r"[0-9]+"
_AMOUNT = rf"(?:[+-]?[¥￥]?|[¥￥][+-])[{_SPACES}]*(?:[0-9]{{1,3}}(?:,[0-9]{{3}})+|[0-9]+)?(?:\.[0-9]*)?"
_FORMULA = rf"^(?:[\t\r]|[{_SPACES}]*[=+\-@])"

_ID_WEIGHTS = np.array([pow(2, 17 - i, 11) for i in range(17)], dtype=np.int32)
_ID_CHECK_CHARS = np.frombuffer(b"10X98765432", dtype=np.uint8)
_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_CARD_BINS_FILE = Path(__file__).parent / "data" / "card_bins.csv"
_CARD_WIDTH = 19
_TIMEZONE = ZoneInfo("Asia/Shanghai")


def china_today() -> date:
    """Birth dates are compared with the date in China, whatever the server's clock zone."""
    return datetime.now(_TIMEZONE).date()


# ---------------------------------------------------------------------------------------------- helpers


def _text(raw: pd.Series) -> pd.Series:
    """Raw cells as the pyarrow-backed `str` dtype with NA as "", on a RangeIndex: the work is positional
    and the caller's index (possibly with duplicates) is put back by `_frame`."""
    return raw.astype("str").fillna("").reset_index(drop=True)


def _one_text(text: str | None) -> str:
    return "" if text is None or pd.isna(text) else str(text)


def _frame(columns: dict, index: pd.Index) -> pd.DataFrame:
    frame = pd.DataFrame(columns)
    frame.index = index
    return frame


def _fold(text: pd.Series) -> pd.Series:
    """Full-width ASCII forms to ASCII. str.translate runs per value, so only on the rare non-ASCII rows."""
    wide = ~text.str.isascii()
    if wide.any():
        text = text.copy()
        text[wide] = text[wide].str.translate(_FULLWIDTH)
    return text


def _fixed_bytes(text: pd.Series, width: int) -> np.ndarray:
    """An (n, width) uint8 view of a column whose values are all exactly `width` ASCII characters."""
    array = pa.array(text.array)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    fixed = pc.cast(array, pa.binary(width))
    buffer = np.frombuffer(fixed.buffers()[1], dtype=np.uint8)
    return buffer[fixed.offset * width : (fixed.offset + len(fixed)) * width].reshape(len(fixed), width)


def _first_error(checks: list[np.ndarray]) -> np.ndarray:
    """Code 1..k of the first failing check per row (0 when all pass); checks are boolean arrays in order."""
    codes = np.zeros(len(checks[0]), dtype=np.int8)
    for position, failed in enumerate(checks, start=1):
        codes[(codes == 0) & failed] = position
    return codes


def _labels(codes: np.ndarray, labels: tuple[str, ...]) -> pd.Series:
    """A str column from small integer codes; code 0 is ""."""
    return pd.Series(np.array(("", *labels), dtype=object)[codes], dtype="str")


def _as_bool(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=bool, na_value=False)


# ---------------------------------------------------------------------------------- resident ID numbers


def _id_normalise(text: pd.Series) -> pd.Series:
    return _fold(text).str.replace(f"[{_SPACES}]+", "", regex=True).str.replace("x", "X", regex=False)


def _id_normalise_one(text: str | None) -> str:
    return re.sub(f"[{_SPACES}]+", "", _one_text(text).translate(_FULLWIDTH)).replace("x", "X")


@cache
def _known_regions() -> np.ndarray:
    """Lookup table by 6-digit code: every county-level code python-stdnum knows, abolished ones included.

    stdnum's own check also requires the county to exist in the birth year, but codes are given where and
    when the person registered, not at birth, so that check rejects genuine IDs (someone born in 1950 in a
    district created in 1986). Only membership is checked here.
    """
    known = np.zeros(1_000_000, dtype=bool)
    for length, low, high, _props, children in numdb.get("cn/loc").prefixes:
        for province in range(int(low), int(high) + 1):
            for child_length, child_low, child_high, _child_props, _grandchildren in children:
                if length + child_length == 6:
                    known[province * 10_000 + int(child_low) : province * 10_000 + int(child_high) + 1] = True
    return known


@cache
def _region_known_one(code: str) -> bool:
    parts = numdb.get("cn/loc").info(code)
    return len(parts) == 2 and all(props for _part, props in parts)


def id_numbers(raw: pd.Series, *, today: date | None = None) -> pd.DataFrame:
    """Validate resident ID numbers (GB 11643-1999); 15-digit numbers are converted to 18.

    Columns: value, error, birth_date (datetime64[ns]), sex ("M"/"F"), from_15 (bool).
    Errors in order: required, excel_number, bad_format, bad_birth_date, unknown_region, bad_checksum.

    1. Normalise: drop all whitespace, fold full-width forms, x -> X.
    2. Build an (n, 18) byte matrix: 18-character candidates as they are, 15-digit ones with "19" inserted
       before the year and their check character computed, anything else a row of zeros.
    3. Check digit, date, region and Excel damage are whole-column numpy expressions on that matrix.
    """
    today = today or china_today()
    text = _id_normalise(_text(raw))
    is18 = _as_bool(text.str.fullmatch(_ID18))
    is15 = _as_bool(text.str.fullmatch(_ID15))

    matrix = _fixed_bytes(text.where(is18, "0" * 18), 18).copy()
    if is15.any():
        old = _fixed_bytes(text.where(is15, "0" * 15), 15)[is15]
        matrix[is15, :6] = old[:, :6]
        matrix[is15, 6:8] = np.frombuffer(b"19", dtype=np.uint8)
        matrix[is15, 8:17] = old[:, 6:]
    digits = matrix.astype(np.int32) - ord("0")
    expected = _ID_CHECK_CHARS[(digits[:, :17] @ _ID_WEIGHTS) % 11]
    matrix[is15, 17] = expected[is15]
    checksum_ok = matrix[:, 17] == expected

    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1], dtype=np.int32)
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_ok = (month >= 1) & (month <= 12)
    last_day = _DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    ymd = year * 10_000 + month * 100 + day
    today_ymd = today.year * 10_000 + today.month * 100 + today.day
    date_ok = month_ok & (day >= 1) & (day <= last_day) & (ymd >= 19000101) & (ymd <= today_ymd)

    region_ok = _known_regions()[digits[:, :6] @ np.array([100_000, 10_000, 1_000, 100, 10, 1], dtype=np.int32)]

    empty = _as_bool(text == "")
    excel_text = _as_bool(text.str.fullmatch(_EXCEL))
    lost_digits = is18 & (matrix[:, 15:18] == ord("0")).all(axis=1) & ~checksum_ok
    codes = _first_error([empty, excel_text | lost_digits, ~(is18 | is15), ~date_ok, ~region_ok, ~checksum_ok])
    ok = codes == 0

    value = text.copy()
    if is15.any():
        rows = np.flatnonzero(is15)
        converted = pa.FixedSizeBinaryArray.from_buffers(pa.binary(18), len(rows), [None, pa.py_buffer(matrix[rows])])
        value.iloc[rows] = pc.cast(converted, pa.string()).to_numpy(zero_copy_only=False)
    months = (np.where(ok, year, 1970) - 1970).astype("M8[Y]").astype("M8[M]") + np.where(ok, month - 1, 0)
    births = months.astype("M8[D]") + np.where(ok, day - 1, 0)
    births[~ok] = np.datetime64("NaT")
    sex = np.where(ok, np.where(digits[:, 16] % 2 == 1, "M", "F"), "")
    columns = {
        "value": value.where(ok, ""),
        "error": _labels(codes, ID_ERRORS),
        "birth_date": births.astype("M8[ns]"),
        "sex": pd.Series(sex, dtype="str"),
        "from_15": ok & is15,
    }
    return _frame(columns, raw.index)


def id_number_reference(text: str | None, *, today: date | None = None) -> tuple[str, str]:
    """One ID number the plain way, with python-stdnum's pieces: (value, error).

    Uses the parts of `stdnum.cn.ric.validate` (get_birth_date, calc_check_digit, the cn/loc database)
    rather than validate itself: its place check rejects genuine numbers (see `_known_regions`) and raises
    KeyError instead of a ValidationError for an unknown county in a known province (e.g. 439999).
    """
    today = today or china_today()
    value = _id_normalise_one(text)
    if not value:
        return "", "required"
    if re.fullmatch(_EXCEL, value):
        return "", "excel_number"
    if re.fullmatch(_ID15, value):
        value = value[:6] + "19" + value[6:] + "0"
        value = value[:17] + ric.calc_check_digit(value)
    elif not re.fullmatch(_ID18, value):
        return "", "bad_format"
    elif value.endswith("000") and ric.calc_check_digit(value) != value[-1]:
        return "", "excel_number"
    try:
        born = ric.get_birth_date(value)
    except InvalidComponent:
        return "", "bad_birth_date"
    if not date(1900, 1, 1) <= born <= today:
        return "", "bad_birth_date"
    if not _region_known_one(value[:6]):
        return "", "unknown_region"
    if ric.calc_check_digit(value) != value[-1]:
        return "", "bad_checksum"
    return value, ""


# ---------------------------------------------------------------------------------------------- names

# CJK unified ideographs with every extension block (A, B–I): rare characters in names are real and the banks'
# core systems carry them. Compatibility ideographs are folded into these by NFKC first.
_HAN = "".join(f"{chr(low)}-{chr(high)}" for low, high in (
    (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF), (0x2A700, 0x2EE5F),
    (0x2F800, 0x2FA1F), (0x30000, 0x323AF)))
_DOT = "\u00b7"
# Dots typed for the middle dot of minority names (阿依古丽·买买提): bullet, katakana middle dot (full and half
# width), full-width full stop, hyphenation point, bullet and dot operators, Greek ano teleia.
_DOT_LOOKALIKES = "\u2022\u30fb\uff65\uff0e\u2027\u2219\u22c5\u0387"
_APOSTROPHES = "\u2018\u2019\u02bc\u00b4\uff07"
# Invisible characters that are not spaces: C0/C1 controls, zero-width and direction marks, BOM.
_CONTROL = "\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff"
_NAME_SPACES = " \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
_HAN_NAME = f"[{_HAN}]+(?:{_DOT}[{_HAN}]+)*"
_LATIN_NAME = "[A-Za-z]+(?:[ '-][A-Za-z]+)*"


def _name_normalise(text: pd.Series) -> pd.Series:
    """NFKC (full-width letters and spaces, compatibility ideographs), look-alike dots and apostrophes to one
    each, surrounding whitespace trimmed, inner spaces one ASCII space — and none at all in a Chinese name,
    where a space is alignment padding (张　三), not part of the name."""
    # Dots and apostrophes first: NFKC would turn the full-width full stop into "." and the acute accent into
    # a space and a combining mark.
    text = text.str.replace(f"[{_DOT_LOOKALIKES}]", "\u00b7", regex=True)
    text = text.str.replace(f"[{_APOSTROPHES}]", "'", regex=True).str.normalize("NFKC").str.strip(_SPACES)
    text = text.str.replace(f"[{_NAME_SPACES}]+", " ", regex=True)
    latin = _as_bool(text.str.contains("[A-Za-z]", regex=True))
    return text.where(latin, text.str.replace(" ", "", regex=False))


def names(raw: pd.Series) -> pd.DataFrame:
    """Validate personal names, the one rule for the register, rosters and the bank file. Columns: value, error.

    A name is Chinese characters with an optional middle dot between parts (欧阳明, 阿依古丽·买买提), or Latin
    letters for foreign nationals, in parts joined by one space, hyphen or apostrophe (John Smith, O'Brien,
    Anne-Marie); at most 50 characters after `_name_normalise`. Nothing else reaches a bank file: no comma or
    quote (the file's delimiters), no control character, digit, symbol or emoji.

    Errors in order: required, too_long, formula, control_character, digit, bad_character, mixed_scripts,
    bad_separator.
    """
    text = _name_normalise(_text(raw))
    han = _as_bool(text.str.contains(f"[{_HAN}]", regex=True))
    latin = _as_bool(text.str.contains("[A-Za-z]", regex=True))
    shaped = _as_bool(text.str.fullmatch(_HAN_NAME)) | _as_bool(text.str.fullmatch(_LATIN_NAME))
    checks = [
        _as_bool(text == ""),
        text.str.len().to_numpy(dtype=np.int64) > NAME_MAX_LENGTH,
        _as_bool(text.str.contains("^[=+\\-@]", regex=True)),
        _as_bool(text.str.contains(f"[{_CONTROL}]", regex=True)),
        _as_bool(text.str.contains("[0-9]", regex=True)),
        _as_bool(text.str.contains(f"[^{_HAN}{_DOT}A-Za-z '\\-]", regex=True)),
        han & latin,
        ~shaped,
    ]
    codes = _first_error(checks)
    return _frame({"value": text.where(codes == 0, ""), "error": _labels(codes, NAME_ERRORS)}, raw.index)


def names_printable(text: str) -> bool:
    """True when a free text (a reason, a remark) has none of the invisible characters a name may not have."""
    return re.search(f"[{_CONTROL}]", text) is None


def _han_one(c: str) -> bool:
    return any(low <= ord(c) <= high for low, high in (
        (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF), (0x2A700, 0x2EE5F),
        (0x2F800, 0x2FA1F), (0x30000, 0x323AF)))


def name_reference(text: str | None) -> tuple[str, str]:
    """One name the plain way, character by character with unicodedata: (value, error)."""
    value = "".join("\u00b7" if c in "\u2022\u30fb\uff65\uff0e\u2027\u2219\u22c5\u0387" else
                    "'" if c in "\u2018\u2019\u02bc\u00b4\uff07" else c for c in _one_text(text))
    value = unicodedata.normalize("NFKC", value).strip(_SPACES)
    value = re.sub("[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+", " ", value)
    if not any(c.isascii() and c.isalpha() for c in value):
        value = value.replace(" ", "")
    han = any(_han_one(c) for c in value)
    latin = any(c.isascii() and c.isalpha() for c in value)
    if not value:
        return "", "required"
    if len(value) > NAME_MAX_LENGTH:
        return "", "too_long"
    if value[0] in "=+-@":
        return "", "formula"
    if any(unicodedata.category(c) == "Cc" or 0x200B <= ord(c) <= 0x200F or 0x2028 <= ord(c) <= 0x202E
           or 0x2060 <= ord(c) <= 0x2064 or c == "\ufeff" for c in value):
        return "", "control_character"
    if any(c in "0123456789" for c in value):
        return "", "digit"
    if not all(_han_one(c) or (c.isascii() and c.isalpha()) or c in "\u00b7 '-" for c in value):
        return "", "bad_character"
    if han and latin:
        return "", "mixed_scripts"
    separators = set(re.findall("[\u00b7 '-]", value))
    parts = re.split("[\u00b7 '-]", value)
    fits = (han and separators <= {"\u00b7"}) or (latin and "\u00b7" not in separators)
    if not fits or not all(parts):
        return "", "bad_separator"
    return value, ""


# -------------------------------------------------------------------------------------- card numbers


def _card_normalise(text: pd.Series) -> pd.Series:
    return _fold(text).str.replace(f"[{_SPACES}{_HYPHENS}]+", "", regex=True)


def _card_normalise_one(text: str | None) -> str:
    return re.sub(f"[{_SPACES}{_HYPHENS}]+", "", _one_text(text).translate(_FULLWIDTH))


@cache
def _card_bins() -> tuple[dict[int, tuple[np.ndarray, np.ndarray]], tuple[str, ...]]:
    """BIN table from data/card_bins.csv: {prefix length: (sorted BINs, bank index)}, bank names."""
    with _CARD_BINS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = [(row["bin"].strip(), row["bank"].strip()) for row in csv.DictReader(handle)]
    bins = [b for b, _bank in rows]
    if len(set(bins)) != len(bins) or not all(b.isascii() and b.isdigit() and 4 <= len(b) <= 12 for b in bins):
        raise ValueError(f"{_CARD_BINS_FILE}: BINs must be unique strings of 4-12 digits")
    banks = tuple(sorted({bank for _bin, bank in rows}))
    table = {}
    for length in sorted({len(b) for b in bins}, reverse=True):
        pairs = sorted((int(b), banks.index(bank)) for b, bank in rows if len(b) == length)
        table[length] = (np.array([p[0] for p in pairs], dtype=np.int64), np.array([p[1] for p in pairs]))
    return table, banks


def _luhn_ok(right_aligned: np.ndarray) -> np.ndarray:
    """Luhn over (n, width) digit rows padded with leading zeros (which do not change the sum)."""
    digits = right_aligned.astype(np.int64) - ord("0")
    doubled = digits[:, -2::-2] * 2
    total = digits[:, ::-2].sum(axis=1) + (doubled - 9 * (doubled > 9)).sum(axis=1)
    return total % 10 == 0


def card_numbers(raw: pd.Series) -> pd.DataFrame:
    """Validate bank / social-security card numbers. Columns: value, error, bank (from the longest BIN).

    Errors in order: required, excel_number, bad_format, bad_length, bad_luhn.
    """
    text = _card_normalise(_text(raw))
    digits_only = _as_bool(text.str.fullmatch(_DIGITS))
    length = text.str.len().to_numpy(dtype=np.int64)
    shaped = digits_only & (length >= 16) & (length <= _CARD_WIDTH)
    candidates = text.where(shaped, "0" * _CARD_WIDTH)
    luhn_ok = _luhn_ok(_fixed_bytes(candidates.str.pad(_CARD_WIDTH, side="left", fillchar="0"), _CARD_WIDTH))
    lost_digits = shaped & _as_bool(text.str.endswith("000")) & ~luhn_ok
    checks = [
        _as_bool(text == ""),
        _as_bool(text.str.fullmatch(_EXCEL)) | lost_digits,
        ~digits_only,
        ~shaped,
        ~luhn_ok,
    ]
    codes = _first_error(checks)
    ok = codes == 0

    left_aligned = _fixed_bytes(candidates.str.pad(_CARD_WIDTH, side="right", fillchar="0"), _CARD_WIDTH)
    left_digits = left_aligned.astype(np.int64) - ord("0")
    table, banks = _card_bins()
    bank = np.full(len(text), -1)
    for prefix_length, (bins, bank_of_bin) in table.items():  # longest first
        prefix = left_digits[:, :prefix_length] @ (10 ** np.arange(prefix_length - 1, -1, -1, dtype=np.int64))
        position = np.clip(np.searchsorted(bins, prefix), 0, len(bins) - 1)
        hit = ok & (bank < 0) & (bins[position] == prefix)
        bank[hit] = bank_of_bin[position[hit]]
    columns = {"value": text.where(ok, ""), "error": _labels(codes, CARD_ERRORS), "bank": _labels(bank + 1, banks)}
    return _frame(columns, raw.index)


def card_number_reference(text: str | None) -> tuple[str, str]:
    """One card number the plain way, with python-stdnum's Luhn: (value, error)."""
    value = _card_normalise_one(text)
    if not value:
        return "", "required"
    if re.fullmatch(_EXCEL, value):
        return "", "excel_number"
    if not re.fullmatch(_DIGITS, value):
        return "", "bad_format"
    if not 16 <= len(value) <= _CARD_WIDTH:
        return "", "bad_length"
    if not luhn.is_valid(value):
        return "", "excel_number" if value.endswith("000") else "bad_luhn"
    return value, ""


# ------------------------------------------------------------------------------------ amounts, quantities


def _check_decimals(decimals: int) -> None:
    if not 0 <= decimals <= 6:  # 10**12 integer digits * 10**6 still fits in int64
        raise ValueError("decimals must be between 0 and 6")


def money(raw: pd.Series, *, decimals: int = 2) -> pd.DataFrame:
    """Parse amounts (decimals=2: value in fen) or quantities (decimals=3: thousandths) into int64.

    Errors in order: required, not_a_number, too_many_decimals, not_positive, too_large (> 10**12 units).
    Integer arithmetic only: the integer and fraction digits are parsed separately and combined, so no
    amount ever passes through a float. Trailing zeros do not count as decimals ("1.230" is 123 fen).
    """
    _check_decimals(decimals)
    text = _fold(_text(raw)).str.strip(_SPACES)
    grammar_ok = _as_bool(text.str.fullmatch(_AMOUNT)) & _as_bool(text.str.contains("[0-9]", regex=True))
    negative = _as_bool(text.str.contains("-", regex=False))
    body = text.str.replace("[^0-9.]", "", regex=True)
    whole = body.str.replace(r"\..*", "", regex=True).str.lstrip("0")
    fraction = body.str.replace(r"^[^.]*\.?", "", regex=True).str.rstrip("0")
    fraction_length = fraction.str.len().to_numpy(dtype=np.int64)
    whole_length = whole.str.len().to_numpy(dtype=np.int64)
    too_many = fraction_length > decimals
    huge = whole_length > 12
    usable = grammar_ok & ~too_many & ~huge

    units = whole.where(usable & (whole_length > 0), "0").astype("int64").to_numpy() * 10**decimals
    if decimals:
        fraction_digits = fraction.where(usable, "").str.pad(decimals, side="right", fillchar="0")
        units += fraction_digits.astype("int64").to_numpy()
    checks = [
        _as_bool(text == ""),
        ~grammar_ok,
        too_many,
        negative | (usable & (units == 0)),
        huge | (units > MONEY_MAX_UNITS),
    ]
    codes = _first_error(checks)
    columns = {"value": np.where(codes == 0, units, 0).astype(np.int64), "error": _labels(codes, MONEY_ERRORS)}
    return _frame(columns, raw.index)


def money_reference(text: str | None, decimals: int = 2) -> tuple[int, str]:
    """One amount the plain way, with Decimal: (units, error)."""
    _check_decimals(decimals)
    cleaned = _one_text(text).translate(_FULLWIDTH).strip(_SPACES)
    if not cleaned:
        return 0, "required"
    if not re.fullmatch(_AMOUNT, cleaned) or not re.search("[0-9]", cleaned):
        return 0, "not_a_number"
    number = re.sub(r"[^0-9.+\-]", "", cleaned)
    with localcontext(Context(prec=len(number) + decimals + 2)):
        amount = Decimal(number)
        scaled = amount.scaleb(decimals)
        if scaled != scaled.to_integral_value():
            return 0, "too_many_decimals"
        if amount <= 0:
            return 0, "not_positive"
        if scaled > MONEY_MAX_UNITS:
            return 0, "too_large"
        return int(scaled), ""


# ------------------------------------------------------------------------------------------------ dates

# YYYY-MM-DD; an Excel date cell arrives as "YYYY-MM-DD 00:00:00", which is the same day.
_DATE = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?: 00:00:00)?"


def dates(raw: pd.Series, *, required: bool = True, not_after: date | None = None) -> pd.DataFrame:
    """Validate calendar dates written YYYY-MM-DD. Columns: value (ISO text, "" when empty or wrong), date
    (datetime64[ns], NaT likewise), error. Errors in order: required, bad_format, bad_date (no such day, or
    before 1900), future (after `not_after`). An empty cell is valid when not `required`."""
    text = _fold(_text(raw)).str.strip(_SPACES)
    empty = _as_bool(text == "")
    shaped = _as_bool(text.str.fullmatch(_DATE))
    digits = _fixed_bytes(text.str.slice(0, 10).where(shaped, "1970-01-01"), 10).astype(np.int32) - ord("0")
    year = digits[:, 0:4] @ np.array([1000, 100, 10, 1], dtype=np.int32)
    month = digits[:, 5] * 10 + digits[:, 6]
    day = digits[:, 8] * 10 + digits[:, 9]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    last_day = _DAYS_IN_MONTH[np.clip(month, 1, 12) - 1] + ((month == 2) & leap)
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= last_day) & (year >= 1900)
    ymd = year * 10_000 + month * 100 + day
    limit = 99_991_231 if not_after is None else not_after.year * 10_000 + not_after.month * 100 + not_after.day
    codes = _first_error([empty & required, ~empty & ~shaped, ~empty & shaped & ~real, ~empty & shaped & real
                          & (ymd > limit)])
    ok = (codes == 0) & ~empty
    value = text.str.slice(0, 10).where(ok, "")
    parsed = pd.to_datetime(value.where(ok, None), format="%Y-%m-%d", errors="coerce").to_numpy(dtype="M8[ns]")
    columns = {"value": value, "date": parsed, "error": _labels(codes, DATE_ERRORS)}
    return _frame(columns, raw.index)


def date_reference(text: str | None, *, required: bool = True, not_after: date | None = None) -> tuple[str, str]:
    """One date the plain way, with datetime: (ISO value, error)."""
    value = _one_text(text).translate(_FULLWIDTH).strip(_SPACES)
    if not value:
        return "", "required" if required else ""
    if not re.fullmatch(_DATE, value):
        return "", "bad_format"
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return "", "bad_date"
    if day.year < 1900:
        return "", "bad_date"
    if not_after is not None and day > not_after:
        return "", "future"
    return day.isoformat(), ""


# --------------------------------------------------------------------------------- formula injection


def formula_cells(raw: pd.Series) -> pd.Series:
    """True where a spreadsheet would run the cell as a formula (CSV injection): after leading whitespace
    it starts with =, +, - or @, or it starts with a tab or carriage return."""
    return pd.Series(_as_bool(_text(raw).str.contains(_FORMULA, regex=True)), index=raw.index)


def neutralise_formula(raw: pd.Series) -> pd.Series:
    """Cells for export (NA as ""): formula-like ones prefixed with ' so the spreadsheet shows them as text."""
    text = _text(raw)
    neutral = text.mask(_as_bool(text.str.contains(_FORMULA, regex=True)), "'" + text)
    neutral.index = raw.index
    return neutral
