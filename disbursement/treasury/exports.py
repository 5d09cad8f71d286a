"""The monthly (or daily) warning table as an XLSX workbook, with the page's filters applied."""

import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from disbursement.treasury.tables import Table

HEADERS = ["区划代码", "地区", "期初库款余额（元）", "本期库款流入（元）", "本期库款流出（元）", "期末库款余额（元）",
           "月均流出（元）", "库款保障水平", "保障天数", "预警档次", "红色天数", "黄色天数"]
MONEY = "#,##0.00"
LEVEL = "0.0000"


def table_xlsx(*, table: Table) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.month.strftime("%Y-%m") if table.month else table.day.isoformat())
    sheet.append(HEADERS)

    def number(value, number_format):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = number_format
        return cell

    def money(fen):
        return number(None if fen is None else Decimal(fen) / 100, MONEY)

    for row in table.rows:
        sheet.append([row.code, row.name, money(row.opening_fen), money(row.inflow_fen), money(row.outflow_fen),
                      money(row.closing_fen), money(row.avg_monthly_outflow_fen), number(row.level, LEVEL),
                      number(row.days_of_cover, "0.0"), row.band_label, row.red_days, row.yellow_days])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
