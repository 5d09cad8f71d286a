"""The drill-down's table of child regions as an XLSX workbook (amounts in yuan with '#,##0.00')."""

import io
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

MONEY = "#,##0.00"


def children_xlsx(*, region_name: str, year: int, rows) -> bytes:
    """One row per child region (selectors.ChildRow), then a total row."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(year))
    sheet.append([f"{region_name} · {year}"])
    sheet.append([_("Code"), _("Region"), _("Paid (yuan)"), _("Payments"), _("Households"), _("Persons"),
                  _("Failed"), _("Re-issued"), _("Returned"), _("Returned (yuan)"), _("Open alerts")])

    def money(fen):
        cell = WriteOnlyCell(sheet, value=Decimal(int(fen)) / 100)
        cell.number_format = MONEY
        return cell

    for row in rows:
        sheet.append([row.code, row.name, money(row.paid_fen), row.payments, row.households, row.persons,
                      row.failed, row.reissued, row.returned, money(row.returned_fen), row.open_alerts])
    sheet.append(["", _("Total"), money(sum(r.paid_fen for r in rows)), sum(r.payments for r in rows),
                  sum(r.households for r in rows), sum(r.persons for r in rows), sum(r.failed for r in rows),
                  sum(r.reissued for r in rows), sum(r.returned for r in rows),
                  money(sum(r.returned_fen for r in rows)), sum(r.open_alerts for r in rows)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
