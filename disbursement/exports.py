"""A list page's rows as an XLSX workbook (the clerk's tool). The caller applies the page's filters and the
user's jurisdiction; this only writes: amounts as numbers with a money format, dates as dates, headers in the
request's language, and only what the page itself may show (masked personal data)."""

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY = "#,##0.00"
DATE = "yyyy-mm-dd"
DATETIME = "yyyy-mm-dd hh:mm"
# A workbook is built in the request: past this many rows the page asks for narrower filters instead.
EXPORT_MAX_ROWS = 100_000


@dataclass(frozen=True)
class Column:
    header: object  # a (lazily) translated string, read in the request's language
    kind: str = "text"  # text | int | fen (integer fen shown as yuan) | date | datetime
    width: int = 14


def export_requested(request) -> bool:
    return request.GET.get("export") == "xlsx"


def _cell(sheet, kind: str, value):
    if value is None or value == "":
        return None
    if kind == "fen":
        cell = WriteOnlyCell(sheet, value=Decimal(int(value)) / 100)
        cell.number_format = MONEY
        return cell
    if kind == "datetime" and isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=timezone.localtime(value).replace(tzinfo=None)
                             if timezone.is_aware(value) else value)
        cell.number_format = DATETIME
        return cell
    if kind == "date" and isinstance(value, (date, datetime)):
        day = timezone.localdate(value) if isinstance(value, datetime) and timezone.is_aware(value) else value
        cell = WriteOnlyCell(sheet, value=day.date() if isinstance(day, datetime) else day)
        cell.number_format = DATE
        return cell
    if kind == "int":
        return int(value)
    return str(value)


def xlsx_bytes(*, sheet_title: str, columns: Sequence[Column], rows: Iterable[Sequence]) -> bytes:
    """One sheet: a bold header row (frozen), then one row per item of `rows`, each a value per column."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(sheet_title)[:31])
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_cell(sheet, column.kind, value) for column, value in zip(columns, row, strict=True)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsx_response(*, file_name: str, sheet_title: str, columns: Sequence[Column], rows: Iterable[Sequence]
                  ) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(sheet_title=sheet_title, columns=columns, rows=rows), content_type=XLSX)
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{file_name}-{stamp}.xlsx"'
    return response
