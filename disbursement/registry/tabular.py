"""Reading an uploaded spreadsheet (CSV in UTF-8 / UTF-8 BOM / GBK / GB18030, or XLSX/XLS) into a frame
of strings with canonical column names. Everything a file can be wrong about as a whole ends here as one
TableError sentence; row-level problems are the validators' business.
"""

import io
import re

import pandas as pd
from django.utils.translation import gettext as _

MAX_FILE_BYTES = 512 * 1024 * 1024


class TableError(ValueError):
    """The file as a whole cannot be read; the message is one sentence for the clerk."""


def _header_key(text: str) -> str:
    text = str(text).replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text).lower()


def table_read(data: bytes) -> pd.DataFrame:
    """All cells as strings ("" for empty), columns as written in the header row, data rows numbered from 1."""
    if len(data) == 0:
        raise TableError(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise TableError(_("The file is larger than 512 MB; split it by village."))
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        frame = _read_workbook(data)
    else:
        frame = _read_csv(data)
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise TableError(_("The file has a header row but no data rows."))
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _read_workbook(data: bytes) -> pd.DataFrame:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=True)
    except (CalamineError, ValueError, OSError):
        raise TableError(
            _("The file looks like an Excel workbook but cannot be opened; save it again as XLSX.")
        ) from None
    if not rows:
        raise TableError(_("The file is empty."))
    header = [str(cell).strip() for cell in rows[0]]
    frame = pd.DataFrame(rows[1:], columns=header, dtype=object)
    # Typed cells become text the way the validators expect: a number Excel kept as a float shows as
    # one ("4.30321198001011e+17", "13807311234.0"), which is exactly what they look for.
    frame = frame.where(frame.notna(), "").astype(str)
    return _drop_blank_rows(frame)


def _read_csv(raw: bytes) -> pd.DataFrame:
    if b"\x00" in raw[:4096]:
        raise TableError(_("This is not a spreadsheet: upload a CSV or an Excel (XLSX) file."))
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    else:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            try:
                raw = raw.decode("gb18030").encode("utf-8")
            except UnicodeDecodeError:
                raise TableError(
                    _("The file's text encoding is not UTF-8, GBK or GB18030; save it again as CSV UTF-8.")
                ) from None
    try:
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, engine="pyarrow")
    except Exception:
        raise TableError(
            _("The file cannot be read as a table: check that every row has as many columns as the header.")
        ) from None
    frame.columns = [str(column).strip() for column in frame.columns]
    return _drop_blank_rows(frame.fillna(""))


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    blank = (frame.apply(lambda column: column.str.strip() == "")).all(axis=1)
    return frame.loc[~blank].reset_index(drop=True) if blank.any() else frame


def columns_canonical(frame: pd.DataFrame, aliases: dict[str, str], required: dict[str, str]) -> pd.DataFrame:
    """Rename known headers to canonical names; TableError naming every missing required column.

    `aliases` maps a header key (see _header_key) to a canonical name; `required` maps canonical names to
    the label the clerk knows them by. A canonical name may be satisfied by any of its aliases.
    """
    renames, seen = {}, {}
    for column in frame.columns:
        canonical = aliases.get(_header_key(column))
        if canonical is None:
            continue
        if canonical in seen:
            raise TableError(
                _("Columns “%(a)s” and “%(b)s” both mean %(what)s; keep one.")
                % {"a": seen[canonical], "b": column, "what": required.get(canonical, canonical)}
            )
        seen[canonical] = column
        renames[column] = canonical
    missing = [label for name, label in required.items() if name not in seen]
    if missing:
        raise TableError(_("Required column(s) missing: %(columns)s.") % {"columns": "、".join(missing)})
    return frame.rename(columns=renames)


def columns_missing(frame: pd.DataFrame, aliases: dict[str, str], required: dict[str, str]) -> list[str]:
    """The canonical names in `required` that no header of the frame stands for."""
    present = {aliases.get(_header_key(column)) for column in frame.columns}
    return [name for name in required if name not in present]


def alias_table(spec: dict[str, list[str]]) -> dict[str, str]:
    return {_header_key(alias): canonical for canonical, names in spec.items() for alias in [canonical, *names]}
