"""The alert queue as an XLSX workbook (what a supervisor hands to a meeting or an auditor)."""

import io
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from disbursement.alerts.models import Alert, AlertStatus, Severity

HEADERS = ["编号", "规则", "严重程度", "状态", "地区代码", "地区", "补贴项目", "期间", "摘要", "风险金额（元）",
           "应追回（元）", "已追回（元）", "首次发现", "最近发现", "处理人", "升级次数"]
MONEY = "#,##0.00"


def alerts_xlsx(*, alerts: QuerySet[Alert]) -> bytes:
    """One row per alert of the (already filtered and scoped) queryset. Summaries carry masked numbers only."""
    severities, statuses = dict(Severity.choices), dict(AlertStatus.choices)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("预警")
    sheet.append(HEADERS)
    rows = alerts.order_by("-first_seen_at", "-id").values_list(
        "pk", "rule", "severity", "status", "region_id", "region__name", "item__name", "period", "summary",
        "amount_fen", "recovery_due_fen", "recovered_fen", "first_seen_at", "last_seen_at", "assignee__username",
        "escalation_level")

    def money(fen):
        cell = WriteOnlyCell(sheet, value=None if fen is None else Decimal(fen) / 100)
        cell.number_format = MONEY
        return cell

    def local(at):
        return timezone.localtime(at).replace(tzinfo=None)

    for (pk, rule, severity, status, region, region_name, item, period, summary, amount, due, recovered, first,
         last, assignee, level) in rows.iterator(chunk_size=2000):
        sheet.append([pk, rule, str(severities.get(severity, severity)), str(statuses.get(status, status)), region,
                      region_name, item or "", period, summary, money(amount), money(due), money(recovered),
                      local(first), local(last), assignee or "", level])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
