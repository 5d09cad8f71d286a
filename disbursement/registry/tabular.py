"""Reading an uploaded spreadsheet (CSV in UTF-8 / UTF-8 BOM / GBK / GB18030, or XLSX/XLS) into a frame
of strings with canonical column names. Everything a file can be wrong about as a whole ends here as one
TableError sentence; row-level problems are the validators' business.
"""

import io
import re
import zipfile
from xml.etree import ElementTree

import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

from backend.uploads import upload_too_large_message

# Workbooks are checked before python-calamine sees them: it allocates the sheet's whole declared or used
# rectangle at once, so one cell at XFD1048576 costs hundreds of GiB and kills the process.
MAX_COLUMNS = 52  # AZ: a roster has a dozen columns; clerks' extra ones fit easily
# Column letters beyond AZ: three or more letters, or two starting B-Z.
_WIDE_CELL = re.compile(rb"<(?:\w+:)?c\s[^>]*?\br=\"(?:[A-Z]{3}|[B-Z][A-Z])[0-9]")
_ROW_TAG = re.compile(rb"<(?:\w+:)?row[\s>/]")
_ROW_NUMBER = re.compile(rb"<(?:\w+:)?row\s[^>]*?\br=\"([0-9]{1,10})\"")
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\s[^>]*?\bref=\"([A-Z0-9:$]+)\"")
MAX_ZIP_RATIO = 100  # deflate of real sheet XML stays far below this; bombs are far above
MAX_XLS_BYTES = 20 * 1024 * 1024  # an old .xls holds at most 65,536 rows; a real one is a few MB
_CHUNK = 1024 * 1024
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")


class TableError(ValueError):
    """The file as a whole cannot be read; the message is one sentence for the clerk."""


def _header_key(text: str) -> str:
    text = str(text).replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text).lower()


def table_read(data: bytes) -> pd.DataFrame:
    """All cells as strings ("" for empty), columns as written in the header row, data rows numbered from 1."""
    if len(data) == 0:
        raise TableError(_("The file is empty."))
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise TableError(upload_too_large_message())
    if data.startswith(b"PK\x03\x04"):
        _xlsx_preflight(data)
        frame = _read_workbook(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0"):
        if len(data) > MAX_XLS_BYTES:
            raise TableError(_("Old Excel (.xls) files are accepted up to %(mb)s MB; save the file as XLSX or CSV.")
                             % {"mb": MAX_XLS_BYTES // (1024 * 1024)})
        frame = _read_workbook(data)
    else:
        frame = _read_csv(data)
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise TableError(_("The file has a header row but no data rows."))
    frame.index = pd.RangeIndex(1, len(frame) + 1)
    return frame


def _unreadable_workbook() -> TableError:
    return TableError(_("The file looks like an Excel workbook but cannot be opened; save it again as XLSX."))


def _too_many_rows() -> TableError:
    return TableError(_("The file has more than %(rows)s data rows; split it by village.")
                      % {"rows": f"{settings.IMPORT_MAX_ROWS:,}"})


def _too_many_columns() -> TableError:
    return TableError(_("The sheet uses columns beyond %(last)s; delete the unused columns on the right (or save "
                        "only the roster's columns) and upload it again.") % {"last": "AZ"})


def _cell_position(ref: str) -> tuple[int, int]:
    letters = re.match(r"\$?([A-Z]*)\$?([0-9]*)", ref)
    column = 0
    for letter in letters.group(1):
        column = column * 26 + ord(letter) - 64
    return column, int(letters.group(2) or 0)


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The first sheet of the workbook (what calamine reads as index 0), by workbook.xml and its relations."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        raise _unreadable_workbook() from None
    sheet = next((el for el in book.iter() if el.tag.endswith("}sheet") or el.tag == "sheet"), None)
    rel_id = next((v for k, v in (sheet.attrib.items() if sheet is not None else []) if k.endswith("}id")), None)
    target = next((el.get("Target") for el in rels.iter() if el.get("Id") == rel_id and rel_id), None)
    if not target:
        raise _unreadable_workbook()
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _xlsx_preflight(data: bytes) -> None:
    """Refuse a workbook whose size, compression, declared dimension or actual rows and columns are beyond
    what a roster can be, before python-calamine reads it.

    1. The zip directory: declared unpacked sizes and compression ratios (cheap, nothing unpacked yet).
    2. Every member unpacked as a stream, a chunk at a time, counting the real bytes (the directory can lie).
    3. The first sheet, while it streams: its <dimension>, cell columns beyond AZ, its number of rows and the
       number of its last row.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _unreadable_workbook() from None
    limit = settings.IMPORT_MAX_UNCOMPRESSED_BYTES
    too_big = TableError(_("The workbook unpacks to more than %(mb)s MB; save it again as CSV or split it by "
                           "village.") % {"mb": limit // (1024 * 1024)})
    if sum(member.file_size for member in members) > limit:
        raise too_big
    if any(member.file_size > _CHUNK and member.file_size > MAX_ZIP_RATIO * max(member.compress_size, 1)
           for member in members):
        raise TableError(_("The workbook is compressed suspiciously well (a “zip bomb”); save it again from "
                           "Excel or as CSV."))
    sheet_path = _first_sheet_path(archive)
    ordered = sorted(members, key=lambda member: member.filename != sheet_path)  # the sheet first
    if not ordered or ordered[0].filename != sheet_path:
        raise _unreadable_workbook()
    unpacked = 0
    try:
        for member in ordered:
            sniff = _SheetSniffer() if member.filename == sheet_path else None
            with archive.open(member) as stream:
                while chunk := stream.read(_CHUNK):
                    unpacked += len(chunk)
                    if unpacked > limit:
                        raise too_big
                    if sniff is not None:
                        sniff.feed(chunk)
    except TableError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise _unreadable_workbook() from None


class _SheetSniffer:
    """Rows and columns of a worksheet's XML, fed in chunks; raises TableError as soon as one is too many."""

    def __init__(self):
        self.max_rows = settings.IMPORT_MAX_ROWS + 1  # the header row
        self.rows = 0
        self.tail = b""
        self.first = True

    def feed(self, chunk: bytes) -> None:
        text = self.tail + chunk
        if self.first and (dimension := _DIMENSION.search(text)):
            column, row = _cell_position(dimension.group(1).decode("ascii").split(":")[-1])
            if column > MAX_COLUMNS:
                raise _too_many_columns()
            if row > self.max_rows:
                raise _too_many_rows()
        self.first = False
        if _WIDE_CELL.search(text):
            raise _too_many_columns()
        # Count the row tags that start in this chunk (those wholly inside the tail were counted before).
        self.rows += len(_ROW_TAG.findall(text)) - len(_ROW_TAG.findall(self.tail))
        numbers = _ROW_NUMBER.findall(text)
        if self.rows > self.max_rows or (numbers and int(numbers[-1]) > self.max_rows):
            raise _too_many_rows()
        self.tail = text[-256:]


def _read_workbook(data: bytes) -> pd.DataFrame:
    from python_calamine import CalamineError, CalamineWorkbook

    cap = settings.IMPORT_MAX_ROWS + 1  # the header row
    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        if sheet.width > MAX_COLUMNS:
            raise _too_many_columns()
        # With a cap, so a sheet the checks above missed never becomes millions of Python lists.
        rows = sheet.to_python(skip_empty_area=True, nrows=cap + 1)
        if len(rows) > cap:
            raise _too_many_rows()
    except (CalamineError, ValueError, OSError) as exc:
        if isinstance(exc, TableError):
            raise
        raise _unreadable_workbook() from None
    if not rows:
        raise TableError(_("The file is empty."))
    header = [str(cell).strip() for cell in rows[0]]
    frame = pd.DataFrame(rows[1:], columns=header, dtype=object)
    # Typed cells become text the way the validators expect: a number Excel kept as a float shows as
    # one ("4.30321198001011e+17", "13807311234.0"), which is exactly what they look for.
    frame = frame.where(frame.notna(), "").astype(str)
    return _drop_blank_rows(frame)


def _read_csv(raw: bytes) -> pd.DataFrame:
    # Binary files (and UTF-16 text) are full of NULs and other controls; a stray one in a cell is a row
    # error for the checks.
    sample = raw[:4096]
    if len(_BINARY_BYTES.findall(sample)) > max(1, len(sample) // 50):
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
    # Counting line ends costs one pass in C; a quoted cell with a line break in it only makes the count high.
    if raw.rstrip(b"\r\n").count(b"\n") > settings.IMPORT_MAX_ROWS:
        raise _too_many_rows()
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
