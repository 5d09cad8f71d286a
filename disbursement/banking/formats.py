"""The files exchanged with the agent bank (代发银行): the payment file (代发文件) we send and the return file
(回盘文件) it answers with. docs/bank-files.md is the specification; this module is its only writer and reader.

Pure functions over bytes, DataFrames and small dataclasses: no models, no database, no file system. A file
holds up to a few million lines, so every per-line step is a whole-column pyarrow/numpy operation (RE2 regexes,
pyarrow's CSV reader on the detail block); only the header and the trailer are handled as single strings.

Strictness: a file is taken whole or not at all. Any problem raises BankFileError whose message starts with
where it is ("line 17: ..." when reading, "row 3 (P12-345-1): ..." when writing) and never quotes a card number
or a payee name, so it can go to logs and Sentry.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from django.utils.translation import gettext as _

from disbursement.banking.codes import REASON_CODES
from disbursement.errors import ValidationFailed
from disbursement.money import fen_to_yuan
from disbursement.registry.validators import MONEY_MAX_UNITS

PAYMENT_VERSION = "OC1"
RETURN_VERSION = "OC1R"

# Field shapes, the same in Python's re and in RE2. Documented in docs/bank-files.md.
REFERENCE_PATTERN = r"P[0-9]{1,15}(?:-[0-9]{1,9})?-[1-9][0-9]{0,2}"
FILE_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}"
BANK_CODE_PATTERN = r"[A-Z0-9]{2,12}"
PAYER_PATTERN = r"[A-Za-z0-9][A-Za-z0-9-]{0,39}"
CARD_PATTERN = r"[0-9]{16,19}"
ITEM_PATTERN = r"[A-Za-z0-9]{1,8}"
PERIOD_PATTERN = r"[0-9]{4}(?:H[12]|Q[1-4]|-(?:0[1-9]|1[0-2]))?"
AMOUNT_PATTERN = r"(?:0|[1-9][0-9]*)\.[0-9]{2}"
BANK_TXN_PATTERN = r"[A-Za-z0-9-]{1,32}"
CHECKSUM_PATTERN = r"[0-9a-f]{64}"
NAME_MAX_LENGTH = 50
AMOUNT_MAX_FEN = MONEY_MAX_UNITS  # the same ceiling as a roster amount: 10 billion yuan

PAYMENT_COLUMNS = ("reference", "card_number", "name", "amount_fen", "item", "period")
RETURN_COLUMNS = ("reference", "result", "reason", "amount_fen", "bank_txn")
PAID, FAILED = "S", "F"

_BOM = b"\xef\xbb\xbf"
_CRLF = "\r\n"
# RE2 only (pyarrow): C0/C1 controls, DEL, line/paragraph separators and BOM may not appear in any field.
_CONTROLS = r"\x00-\x1f\x7f-\x9f\x{2028}\x{2029}\x{feff}"
_FORBIDDEN = rf'[",{_CONTROLS}]'
_EDGE_SPACES = r" \x{a0}\x{1680}\x{2000}-\x{200b}\x{202f}\x{205f}\x{3000}"
_NAME_RE2 = rf'^[^",{_CONTROLS}{_EDGE_SPACES}](?:[^",{_CONTROLS}]*[^",{_CONTROLS}{_EDGE_SPACES}])?$'
_PAYMENT_DETAIL = ("record", "reference", "card_number", "name", "amount", "item", "period")
_RETURN_DETAIL = ("record", "reference", "result", "reason", "amount", "bank_txn")


class BankFileError(ValidationFailed):
    """A bank file, or the rows for one, breaks the format; `line` is the 1-based line when reading."""

    code = "bank_file"

    def __init__(self, message: str, *, line: int | None = None):
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class PaymentHeader:
    file_id: str
    bank_code: str
    payer: str
    created: date
    record_count: int
    total_fen: int
    checksum: str  # SHA-256 hex of the detail lines, as in the trailer
    version: str = PAYMENT_VERSION


@dataclass(frozen=True)
class ReturnHeader:
    file_id: str
    payment_file_id: str
    bank_code: str
    processed: date
    record_count: int
    total_fen: int  # all lines, paid and failed
    checksum: str
    version: str = RETURN_VERSION


@dataclass(frozen=True)
class ReturnTotals:
    paid_count: int
    paid_fen: int
    failed_count: int
    failed_fen: int
    failed_by_reason: dict[str, int]  # reason code -> lines, codes in order


# ------------------------------------------------------------------------------------------------ helpers


@dataclass(frozen=True)
class _Check:
    failed: np.ndarray  # bool per row
    message: Callable[[int], str]  # row position -> what is wrong


def _fail(line: int, problem: str) -> BankFileError:
    return BankFileError(_("line %(line)d: %(problem)s") % {"line": line, "problem": problem}, line=line)


_SAFE_TO_SHOW = re.compile(r"P[0-9-]{0,30}|(?:[^0-9]|[0-9](?![0-9]{6}))*")


def _shown(value: str | None) -> str:
    """A value for an error message, or a placeholder when it might be a personal number (a card, ID or phone
    number in the wrong column: seven digits in a row) or is too long to be useful."""
    value = "" if value is None else str(value)
    if len(value) <= 24 and _SAFE_TO_SHOW.fullmatch(value):
        return repr(value)
    return _("(value not shown)")


def _at(array, position: int) -> str:
    return array[position].as_py()


def _mask(array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _matches(array, pattern: str) -> np.ndarray:
    return _mask(pc.match_substring_regex(array, f"^(?:{pattern})$"))


def _equals(array, text: str) -> np.ndarray:
    return _mask(pc.equal(array, text))


def _duplicates(array, usable: np.ndarray, order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(repeat, first): repeat marks every usable value seen earlier in the column; first[i] is the position of
    that earlier occurrence. One stable sort (or the caller's, `order`) instead of a hash table: equal values end
    up side by side, the earliest first."""
    if order is None:
        order = _sort_order(array)
    order = order[usable[order]]
    ordered = pc.take(array, pa.array(order))
    same = _mask(pc.equal(ordered[1:], ordered[:-1])) if len(order) > 1 else np.zeros(0, dtype=bool)
    repeat = np.zeros(len(array), dtype=bool)
    first = np.full(len(array), -1, dtype=np.int64)
    if same.any():
        group_start = np.maximum.accumulate(np.where(np.concatenate([[False], same]), 0, np.arange(len(order))))
        repeat[order[1:][same]] = True
        first[order[1:][same]] = order[group_start[1:][same]]
    return repeat, first


def _sort_order(array) -> np.ndarray:
    return np.asarray(pc.sort_indices(array).to_numpy(), dtype=np.int64)  # stable


def _raise_first(checks: list[_Check], *, where: Callable[[int], str], line: Callable[[int], int | None],
                 more: Callable[[int], str]) -> None:
    """Raise for the first failing row, naming its first failing check; say how many other rows fail."""
    if not checks or not any(check.failed.any() for check in checks):
        return
    failed = np.vstack([check.failed for check in checks])
    bad = failed.any(axis=0)
    position = int(np.argmax(bad))
    check = checks[int(np.argmax(failed[:, position]))]
    message = f"{where(position)}: {check.message(position)}"
    others = int(bad.sum()) - 1
    if others:
        message += more(others)
    raise BankFileError(message, line=line(position))


def _yuan_text(fen: np.ndarray) -> pa.Array:
    """Positive fen -> '1234.50', whole-column and exact."""
    whole = pc.cast(pa.array(fen // 100), pa.string())
    cents = pc.utf8_lpad(pc.cast(pa.array(fen % 100), pa.string()), 2, "0")
    return pc.binary_join_element_wise(whole, cents, ".")


def _concatenated(strings: pa.Array) -> bytes:
    """All values of a string array back to back: its data buffer between the first and the last offset."""
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    strings = strings.cast(pa.large_string())
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64)[strings.offset: strings.offset + len(strings) + 1]
    return strings.buffers()[2][offsets[0]: offsets[-1]].to_pybytes()


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, type=pa.large_string())


def _sha256(block: bytes | memoryview) -> str:
    return hashlib.sha256(block).hexdigest()


# ---------------------------------------------------------------------------------------- field checks


def _reference_checks(reference, where: Callable[[int], str], order: np.ndarray) -> tuple[list[_Check], list[_Check]]:
    """(shape checks, duplicate checks): duplicates are checked last so a malformed line says so first."""
    shaped = _matches(reference, REFERENCE_PATTERN)
    repeat, first = _duplicates(reference, shaped, order)
    shape = _Check(~shaped, lambda i: _(
        "reference %(value)s is not P, a number, an optional second number and the attempt 1-999, joined by "
        "hyphens (like P000000001234-1 or P12-345-1)") % {"value": _shown(_at(reference, i))})
    duplicate = _Check(repeat, lambda i: _("reference %(value)s repeats %(first)s") % {
        "value": repr(_at(reference, i)), "first": where(int(first[i]))})
    return [shape], [duplicate]


def _amount_text_checks(amount) -> tuple[np.ndarray, list[_Check]]:
    """Amount text -> fen with its checks. One canonical spelling (no sign, separators or currency sign), so
    dropping the decimal point gives the fen exactly."""
    shaped = _matches(amount, AMOUNT_PATTERN)
    too_long = _mask(pc.greater(pc.utf8_length(amount), len(str(AMOUNT_MAX_FEN)) + 1))
    usable = shaped & ~too_long
    digits = pc.replace_substring(pc.if_else(pa.array(usable), amount, "0.00"), ".", "")
    fen = np.asarray(pc.cast(digits, pa.int64()).to_numpy(zero_copy_only=False), dtype=np.int64)
    return fen, [
        _Check(~shaped, lambda i: _("amount %(value)s is not yuan with exactly two decimals and no sign or "
                                    "separators (like 1234.50)") % {"value": _shown(_at(amount, i))}),
        _Check(usable & (fen == 0), lambda i: _("amount must be greater than zero")),
        _Check(shaped & (too_long | (fen > AMOUNT_MAX_FEN)),
               lambda i: _("amount is over %(limit)s yuan") % {"limit": fen_to_yuan(AMOUNT_MAX_FEN)}),
    ]


def _amount_fen_checks(rows: pd.DataFrame) -> tuple[np.ndarray, list[_Check]]:
    series = rows["amount_fen"]
    if not pd.api.types.is_integer_dtype(series.dtype):
        raise BankFileError(_("amount_fen must be an integer column of fen, not %(dtype)s") % {"dtype": series.dtype})
    missing = series.isna().to_numpy(dtype=bool)
    fen = series.to_numpy(dtype=np.int64, na_value=0)
    return fen, [
        _Check(missing, lambda i: _("amount is missing")),
        _Check(~missing & (fen <= 0), lambda i: _("amount must be greater than zero")),
        _Check(fen > AMOUNT_MAX_FEN,
               lambda i: _("amount is over %(limit)s yuan") % {"limit": fen_to_yuan(AMOUNT_MAX_FEN)}),
    ]


def _payment_checks(cols: dict, amount_checks: list[_Check], where: Callable[[int], str],
                    order: np.ndarray) -> list[_Check]:
    reference_shape, reference_repeat = _reference_checks(cols["reference"], where, order)
    name = cols["name"]
    name_ok = _mask(pc.match_substring_regex(name, _NAME_RE2)) & _mask(
        pc.less_equal(pc.utf8_length(name), NAME_MAX_LENGTH))
    item, period = cols["item"], cols["period"]
    return [
        *reference_shape,
        _Check(~_matches(cols["card_number"], CARD_PATTERN), lambda i: _("the card number must be 16 to 19 digits")),
        _Check(~name_ok, lambda i: _(
            "the payee name must be 1 to %(max)d characters without commas, double quotes, control characters or "
            "spaces at either end; correct it in the register (the bank compares it with the account name)")
            % {"max": NAME_MAX_LENGTH}),
        *amount_checks,
        _Check(~_matches(item, ITEM_PATTERN), lambda i: _("item code %(value)s must be 1 to 8 letters or digits")
               % {"value": _shown(_at(item, i))}),
        _Check(~_matches(period, PERIOD_PATTERN), lambda i: _(
            "period %(value)s must be written 2026, 2026H2, 2026Q4 or 2026-11") % {"value": _shown(_at(period, i))}),
        *reference_repeat,
    ]


def _return_checks(cols: dict, amount_checks: list[_Check], where: Callable[[int], str],
                   order: np.ndarray) -> list[_Check]:
    reference_shape, reference_repeat = _reference_checks(cols["reference"], where, order)
    result, reason, txn = cols["result"], cols["reason"], cols["bank_txn"]
    paid, failed = _equals(result, PAID), _equals(result, FAILED)
    has_reason = ~_equals(reason, "")
    known = _mask(pc.is_in(reason, value_set=pa.array(sorted(REASON_CODES))))
    has_txn = ~_equals(txn, "")
    txn_shaped = _matches(txn, BANK_TXN_PATTERN)
    txn_repeat, txn_first = _duplicates(txn, has_txn & txn_shaped)
    return [
        *reference_shape,
        _Check(~(paid | failed), lambda i: _("result %(value)s must be S (paid) or F (failed)")
               % {"value": _shown(_at(result, i))}),
        _Check(paid & has_reason, lambda i: _("a paid line (S) must leave the reason code empty")),
        _Check(failed & ~has_reason, lambda i: _("a failed line (F) needs a reason code")),
        _Check(failed & has_reason & ~known, lambda i: _("unknown reason code %(value)s; the codes are %(codes)s")
               % {"value": _shown(_at(reason, i)), "codes": ", ".join(sorted(REASON_CODES))}),
        *amount_checks,
        _Check(has_txn & ~txn_shaped,
               lambda i: _("the bank transaction id must be 1 to 32 letters, digits or hyphens")),
        _Check(paid & ~has_txn, lambda i: _("a paid line (S) needs the bank transaction id")),
        *reference_repeat,
        _Check(txn_repeat, lambda i: _("bank transaction id %(value)s repeats %(first)s") % {
            "value": repr(_at(txn, i)), "first": where(int(txn_first[i]))}),
    ]


# ------------------------------------------------------------------------------------------ writing


def _header_value_check(value, pattern: str, label: str) -> None:
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise BankFileError(_("%(field)s %(value)s does not have the required shape %(pattern)s")
                            % {"field": label, "value": _shown(value), "pattern": pattern})


def _date_check(value, label: str) -> None:
    if not isinstance(value, date):
        raise BankFileError(_("%(field)s must be a date") % {"field": label})


def _input_text(rows: pd.DataFrame, names: tuple[str, ...]) -> dict[str, pa.Array]:
    missing = [name for name in (*names, "amount_fen") if name not in rows.columns]
    if missing:
        raise BankFileError(_("the rows lack the columns %(columns)s") % {"columns": ", ".join(missing)})
    return {name: pc.fill_null(pa.array(rows[name].astype("str"), type=pa.large_string()), "") for name in names}


def _rows_render(rows: pd.DataFrame, text: tuple[str, ...], layout: tuple[str, ...], check) -> tuple[bytes, int]:
    """Validate the rows, then build the detail block (sorted by reference) and return it with the total fen."""
    if not isinstance(rows, pd.DataFrame) or rows.empty:
        raise BankFileError(_("a bank file needs at least one line"))
    cols = _input_text(rows, text)
    fen, amount_checks = _amount_fen_checks(rows)
    labels = rows.index

    def where(position: int) -> str:
        reference = _at(cols["reference"], position)
        shown = f" ({reference})" if re.fullmatch(REFERENCE_PATTERN, reference) else ""
        return _("row %(row)s") % {"row": labels[position]} + shown

    order = _sort_order(cols["reference"])
    _raise_first(check(cols, amount_checks, where, order), where=where, line=lambda _position: None,
                 more=lambda count: _(" (and %(count)d more rows with problems)") % {"count": count})
    cols["amount"] = _yuan_text(fen)
    fields = [pc.take(cols[name], pa.array(order)).cast(pa.large_string()) for name in layout]
    lines = pc.binary_join_element_wise(_large("D"), *fields, _large(","))
    return _concatenated(pc.binary_join_element_wise(lines, _large(_CRLF), _large(""))), int(fen.sum(dtype=np.int64))


def _assemble(header: list[str], block: bytes, count: int, total_fen: int) -> bytes:
    trailer = ["T", str(count), fen_to_yuan(total_fen), _sha256(block)]
    return (",".join(header) + _CRLF).encode("utf-8") + block + (",".join(trailer) + _CRLF).encode("utf-8")


def payment_file_render(*, file_id: str, bank_code: str, payer: str, created: date, rows: pd.DataFrame) -> bytes:
    """The payment file for one agent bank: rows (reference, card_number, name, amount_fen int64, item, period)
    sorted by reference, so the same rows in any order give byte-identical files.

    Names with a comma, a double quote or a control character are refused, not altered: a changed name would
    fail the bank's account-name check, so it must be corrected in the register.
    """
    _header_value_check(file_id, FILE_ID_PATTERN, "file id")
    _header_value_check(bank_code, BANK_CODE_PATTERN, "bank code")
    _header_value_check(payer, PAYER_PATTERN, "payer")
    _date_check(created, "created")
    block, total = _rows_render(rows, ("reference", "card_number", "name", "item", "period"),
                                ("reference", "card_number", "name", "amount", "item", "period"), _payment_checks)
    header = ["H", PAYMENT_VERSION, file_id, bank_code, payer, f"{created:%Y%m%d}", str(len(rows)), fen_to_yuan(total)]
    return _assemble(header, block, len(rows), total)


def return_file_render(*, file_id: str, payment_file_id: str, bank_code: str, processed: date,
                       rows: pd.DataFrame) -> bytes:
    """The return file answering one payment file: rows (reference, result "S"/"F", reason code or "",
    amount_fen int64, bank_txn or "") sorted by reference. Used by the bank simulator and by tests."""
    _header_value_check(file_id, FILE_ID_PATTERN, "file id")
    _header_value_check(payment_file_id, FILE_ID_PATTERN, "payment file id")
    _header_value_check(bank_code, BANK_CODE_PATTERN, "bank code")
    _date_check(processed, "processed")
    block, total = _rows_render(rows, ("reference", "result", "reason", "bank_txn"),
                                ("reference", "result", "reason", "amount", "bank_txn"), _return_checks)
    header = ["H", RETURN_VERSION, file_id, payment_file_id, bank_code, f"{processed:%Y%m%d}", str(len(rows)),
              fen_to_yuan(total)]
    return _assemble(header, block, len(rows), total)


# ------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class _Split:
    header: str
    trailer: str
    details: pa.Array  # detail lines without their CRLF
    block: memoryview  # the detail lines exactly as written, each with its CRLF
    line_count: int


def _file_split(data: bytes) -> _Split:
    """Check the framing (UTF-8 without BOM, every line ended by CRLF, nothing else) and cut the file into
    header, detail lines and trailer without copying: numpy finds the line ends, pyarrow views the lines."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise TypeError("a bank file is bytes")
    data = bytes(data)
    if not data:
        raise _fail(1, _("the file is empty"))
    if data.startswith(_BOM):
        raise _fail(1, _("the file starts with a byte-order mark (BOM); write UTF-8 without it"))
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(data.count(b"\n", 0, exc.start) + 1, _("the text is not valid UTF-8")) from None
    raw = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(raw == 10)
    returns = np.flatnonzero(raw == 13)
    problems = []
    bare_lf = newlines[(newlines == 0) | (raw[newlines - 1] != 13)]
    if len(bare_lf):
        problems.append((int(np.searchsorted(newlines, bare_lf[0])) + 1,
                         _("the line ends with LF alone; every line ends with CRLF")))
    following = raw[np.minimum(returns + 1, len(raw) - 1)]
    bare_cr = returns[(returns + 1 >= len(raw)) | (following != 10)]
    if len(bare_cr):
        problems.append((int(np.searchsorted(newlines, bare_cr[0])) + 1,
                         _("a carriage return (CR) is not followed by LF")))
    if not data.endswith(b"\r\n"):
        problems.append((len(newlines) + 1, _("the last line does not end with CRLF (is the file cut short?)")))
    if problems:
        raise _fail(*min(problems, key=lambda problem: problem[0]))
    count = len(newlines)
    if count < 3:
        raise _fail(count, _("the file has %(count)d lines; it needs a header, at least one detail line and a "
                             "trailer") % {"count": count})
    offsets = np.empty(count + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1:] = newlines + 1
    lines = pa.LargeStringArray.from_buffers(count, pa.py_buffer(offsets), pa.py_buffer(data))
    lines = pc.utf8_slice_codeunits(lines, 0, -2)  # every line ends with exactly one CRLF, checked above
    return _Split(header=lines[0].as_py(), trailer=lines[count - 1].as_py(), details=lines[1:count - 1],
                  block=memoryview(data)[offsets[1]: offsets[count - 1]], line_count=count)


def _record_read(line: str, *, number: int, record: str, names: tuple[str, ...], what: str) -> dict[str, str]:
    fields = line.split(",")
    if fields[0] != record:
        raise _fail(number, _("the %(what)s must start with %(record)s; found %(value)s")
                    % {"what": what, "record": record, "value": _shown(fields[0])})
    if len(fields) != len(names) + 1:
        raise _fail(number, _("the %(what)s has %(found)d fields; it needs %(expected)d (%(layout)s)")
                    % {"what": what, "found": len(fields), "expected": len(names) + 1,
                       "layout": ",".join((record, *names))})
    return dict(zip(names, fields[1:], strict=True))


def _value_read(values: dict[str, str], name: str, pattern: str, *, number: int, label: str) -> str:
    value = values[name]
    if not re.fullmatch(pattern, value):
        raise _fail(number, _("%(field)s %(value)s does not have the required shape %(pattern)s")
                    % {"field": label, "value": _shown(value), "pattern": pattern})
    return value


def _date_read(values: dict[str, str], name: str, *, number: int, label: str) -> date:
    value = _value_read(values, name, "[0-9]{8}", number=number, label=label)
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        problem = _("%(field)s %(value)s is not a date YYYYMMDD") % {"field": label, "value": value}
        raise _fail(number, problem) from None


def _count_read(values: dict[str, str], *, number: int) -> int:
    return int(_value_read(values, "count", "0|[1-9][0-9]*", number=number, label="record count"))


def _total_read(values: dict[str, str], *, number: int) -> int:
    return int(_value_read(values, "total", AMOUNT_PATTERN, number=number, label="total").replace(".", ""))


def _version_read(values: dict[str, str], version: str) -> None:
    found = values["version"]
    if found != version:
        other = {PAYMENT_VERSION: _(" (this is a payment file)"), RETURN_VERSION: _(" (this is a return file)")}
        raise _fail(1, _("format version %(found)s is not %(expected)s%(hint)s")
                    % {"found": _shown(found), "expected": version, "hint": other.get(found, "")})


def _details_read(split: _Split, layout: tuple[str, ...], check) -> tuple[dict, np.ndarray]:
    """Read and check the detail lines; return their columns and amounts in fen.

    1. Whole-line checks (forbidden characters, field count, record type) on the line array.
    2. Split into fields with pyarrow's CSV reader (quoting off) over the detail block; a line that failed step 1
       is read as an empty placeholder so positions stay line positions.
    3. Field checks; raise for the first line with a problem.
    """
    lines = split.details
    expected = len(layout) - 1
    forbidden = _mask(pc.match_substring_regex(lines, rf'["{_CONTROLS}]'))
    commas = np.asarray(pc.count_substring(lines, ",").to_numpy(zero_copy_only=False))
    wrong_count = ~forbidden & (commas != expected)
    not_detail = ~forbidden & ~wrong_count & ~_mask(pc.starts_with(lines, "D,"))
    good = ~(forbidden | wrong_count | not_detail)
    block = split.block
    if not good.all():
        placeholder = "D" + "," * expected
        kept = pc.if_else(pa.array(good), lines, _large(placeholder))
        block = _concatenated(pc.binary_join_element_wise(kept, _large(_CRLF), _large("")))
    table = pa_csv.read_csv(
        io.BytesIO(block),
        read_options=pa_csv.ReadOptions(column_names=list(layout)),
        parse_options=pa_csv.ParseOptions(quote_char=False, double_quote=False, escape_char=False,
                                          newlines_in_values=False, ignore_empty_lines=False),
        convert_options=pa_csv.ConvertOptions(column_types={name: pa.large_string() for name in layout},
                                              strings_can_be_null=False, quoted_strings_can_be_null=False))
    cols = {name: table.column(name) for name in layout}
    fen, amount_checks = _amount_text_checks(cols["amount"])
    layout_text = ",".join(("D", *layout[1:]))

    def where(position: int) -> str:
        return _("line %(line)d") % {"line": position + 2}

    checks = [
        _Check(forbidden, lambda i: _("the line contains a double quote or a control character")),
        _Check(wrong_count, lambda i: _("the line has %(found)d fields; a detail line has %(expected)d (%(layout)s)")
               % {"found": int(commas[i]) + 1, "expected": expected + 1, "layout": layout_text}),
        _Check(not_detail, lambda i: _("a detail line starts with D; found %(value)s (only the last line is the "
                                       "trailer)") % {"value": _shown(_at(lines, i).split(",")[0])}),
        *check(cols, amount_checks, where, _sort_order(cols["reference"])),
    ]
    _raise_first(checks, where=where, line=lambda position: position + 2,
                 more=lambda count: _(" (and %(count)d more lines with problems)") % {"count": count})
    return cols, fen


def _totals_verify(split: _Split, *, declared: dict[str, int], fen: np.ndarray, checksum: str) -> int:
    """Counts, then the checksum (an altered or damaged detail block), then the sums; return the total fen."""
    found = split.line_count - 2
    last = split.line_count
    for number, where, count in ((1, _("header"), declared["header_count"]),
                                 (last, _("trailer"), declared["trailer_count"])):
        if count != found:
            raise _fail(number, _("the %(where)s counts %(declared)d detail lines; the file has %(found)d")
                        % {"where": where, "declared": count, "found": found})
    if _sha256(split.block) != checksum:
        raise _fail(last, _("the checksum does not match the detail lines: the file was altered or damaged after "
                            "it was written"))
    total = int(fen.sum(dtype=np.int64))
    for number, where, declared_total in ((1, _("header"), declared["header_total"]),
                                          (last, _("trailer"), declared["trailer_total"])):
        if declared_total != total:
            raise _fail(number, _("the %(where)s total %(declared)s yuan is not the detail lines' sum %(sum)s")
                        % {"where": where, "declared": fen_to_yuan(declared_total), "sum": fen_to_yuan(total)})
    return total


def _trailer_read(split: _Split) -> tuple[int, int, str]:
    number = split.line_count
    values = _record_read(split.trailer, number=number, record="T", names=("count", "total", "checksum"),
                          what=_("last line (the trailer)"))
    return (_count_read(values, number=number), _total_read(values, number=number),
            _value_read(values, "checksum", CHECKSUM_PATTERN, number=number, label="checksum"))


def _frame(cols: dict, fen: np.ndarray, columns: tuple[str, ...]) -> pd.DataFrame:
    return pd.DataFrame({name: fen if name == "amount_fen" else pd.Series(cols[name], dtype="str")
                         for name in columns})


def payment_file_parse(data: bytes) -> tuple[PaymentHeader, pd.DataFrame]:
    """Read a payment file strictly: (header, rows with PAYMENT_COLUMNS in file order, amount_fen int64)."""
    split = _file_split(data)
    values = _record_read(split.header, number=1, record="H", what=_("first line (the header)"),
                          names=("version", "file_id", "bank_code", "payer", "created", "count", "total"))
    _version_read(values, PAYMENT_VERSION)
    file_id = _value_read(values, "file_id", FILE_ID_PATTERN, number=1, label="file id")
    bank_code = _value_read(values, "bank_code", BANK_CODE_PATTERN, number=1, label="bank code")
    payer = _value_read(values, "payer", PAYER_PATTERN, number=1, label="payer")
    created = _date_read(values, "created", number=1, label="created")
    header_count, header_total = _count_read(values, number=1), _total_read(values, number=1)
    trailer_count, trailer_total, checksum = _trailer_read(split)
    cols, fen = _details_read(split, _PAYMENT_DETAIL, _payment_checks)
    total = _totals_verify(split, fen=fen, checksum=checksum, declared={
        "header_count": header_count, "trailer_count": trailer_count,
        "header_total": header_total, "trailer_total": trailer_total})
    header = PaymentHeader(file_id=file_id, bank_code=bank_code, payer=payer, created=created,
                           record_count=header_count, total_fen=total, checksum=checksum)
    return header, _frame(cols, fen, PAYMENT_COLUMNS)


def return_file_parse(data: bytes) -> tuple[ReturnHeader, pd.DataFrame]:
    """Read a return file strictly: (header, rows with RETURN_COLUMNS in file order, amount_fen int64)."""
    split = _file_split(data)
    values = _record_read(split.header, number=1, record="H", what=_("first line (the header)"),
                          names=("version", "file_id", "payment_file_id", "bank_code", "processed", "count", "total"))
    _version_read(values, RETURN_VERSION)
    file_id = _value_read(values, "file_id", FILE_ID_PATTERN, number=1, label="file id")
    payment_file_id = _value_read(values, "payment_file_id", FILE_ID_PATTERN, number=1, label="payment file id")
    bank_code = _value_read(values, "bank_code", BANK_CODE_PATTERN, number=1, label="bank code")
    processed = _date_read(values, "processed", number=1, label="processed")
    header_count, header_total = _count_read(values, number=1), _total_read(values, number=1)
    trailer_count, trailer_total, checksum = _trailer_read(split)
    cols, fen = _details_read(split, _RETURN_DETAIL, _return_checks)
    total = _totals_verify(split, fen=fen, checksum=checksum, declared={
        "header_count": header_count, "trailer_count": trailer_count,
        "header_total": header_total, "trailer_total": trailer_total})
    header = ReturnHeader(file_id=file_id, payment_file_id=payment_file_id, bank_code=bank_code,
                          processed=processed, record_count=header_count, total_fen=total, checksum=checksum)
    return header, _frame(cols, fen, RETURN_COLUMNS)


# ---------------------------------------------------------------------------------- after reading


def return_totals(rows: pd.DataFrame) -> ReturnTotals:
    """Paid and failed lines and fen of a parsed return file, failures by reason code."""
    fen = rows["amount_fen"].to_numpy(dtype=np.int64)
    paid = (rows["result"] == PAID).to_numpy(dtype=bool)
    reasons = rows.loc[~paid, "reason"].value_counts()
    return ReturnTotals(paid_count=int(paid.sum()), paid_fen=int(fen[paid].sum()),
                        failed_count=int((~paid).sum()), failed_fen=int(fen[~paid].sum()),
                        failed_by_reason={str(code): int(reasons[code]) for code in sorted(reasons.index)})


def return_matches_payment(payment_rows: pd.DataFrame, return_rows: pd.DataFrame, *,
                           payment_header: PaymentHeader | None = None, return_header: ReturnHeader | None = None,
                           limit: int = 100) -> list[str]:
    """Problems between a payment file and its return file, empty when the return answers every payment once
    with the same amount (and, given the headers, names that file and bank and is not dated before it).

    For the simulator's tests and small cases; importing a return file checks it against the database instead.
    At most `limit` problems are listed, then one line saying how many more there are.
    """
    problems = []
    if payment_header and return_header:
        if return_header.payment_file_id != payment_header.file_id:
            problems.append(_("the return file answers payment file %(answers)s, not %(file)s")
                            % {"answers": return_header.payment_file_id, "file": payment_header.file_id})
        if return_header.bank_code != payment_header.bank_code:
            problems.append(_("the return file is from bank %(returned)s, the payment file went to %(sent)s")
                            % {"returned": return_header.bank_code, "sent": payment_header.bank_code})
        if return_header.processed < payment_header.created:
            problems.append(_("the return file is dated before the payment file was created"))
    # Nullable Int64 so a reference missing on one side is NA, not a float NaN next to money.
    sent, returned = (rows[["reference", "amount_fen"]].astype({"reference": "str", "amount_fen": "Int64"})
                      for rows in (payment_rows, return_rows))
    merged = pd.merge(sent, returned, on="reference", how="outer", suffixes=("_sent", "_returned"),
                      indicator="side", sort=True)
    side = merged["side"].astype(str)
    differs = ((side == "both") & (merged["amount_fen_sent"] != merged["amount_fen_returned"])).fillna(False)
    bad = merged[(side != "both") | differs]
    for row in bad.head(limit).itertuples(index=False):  # at most `limit` rows
        if row.side == "left_only":
            problems.append(_("%(reference)s: no result in the return file") % {"reference": row.reference})
        elif row.side == "right_only":
            problems.append(_("%(reference)s: in the return file but not in the payment file")
                            % {"reference": row.reference})
        else:
            problems.append(_("%(reference)s: the return file says %(returned)s yuan, the payment file %(sent)s")
                            % {"reference": row.reference, "returned": fen_to_yuan(int(row.amount_fen_returned)),
                               "sent": fen_to_yuan(int(row.amount_fen_sent))})
    if len(bad) > limit:
        problems.append(_("… and %(count)d more references with problems") % {"count": len(bad) - limit})
    return problems
