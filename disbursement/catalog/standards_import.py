"""Standards from a file (CSV or XLSX): every row checked, then all written or none.

Columns: 项目代码/item, 区划代码/region_code, 起始日期/valid_from, 截止日期/valid_to (optional), 标准/amount (yuan),
档次/band (optional), 文号/document. A standards file has tens of rows, not millions: rows are checked one by one.
"""

import re
from datetime import date

import pandas as pd
from django.db import transaction
from django.utils.translation import gettext as _

from disbursement.catalog.models import Item
from disbursement.catalog.standards import StandardInput, bands_overlap, standard_problems, standard_write
from disbursement.registry.tabular import TableError, alias_table, columns_canonical, table_read
from disbursement.registry.validators import ERROR_MESSAGES, money_reference

STANDARD_ALIASES = alias_table({
    "item": ["项目代码", "item"],
    "region_code": ["区划代码", "region_code"],
    "valid_from": ["起始日期", "valid_from"],
    "valid_to": ["截止日期", "valid_to"],
    "amount": ["标准", "amount"],
    "band": ["档次", "band"],
    "document": ["文号", "document"],
})
STANDARD_REQUIRED = {"item": "项目代码", "region_code": "区划代码", "valid_from": "起始日期", "amount": "标准",
                     "document": "文号"}
_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]00:00(?::00)?)?$")


def _date(text: str) -> date | None:
    match = _DATE.match(text)
    if not match:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None


def standards_import(*, actor, content: bytes) -> dict:
    """{"status": "accepted" | "rejected", "rows": n, "errors": [{"row", "field", "code", "message"}]}, the shape
    of the other imports; accepted means every row was written (each audited with its document and date)."""
    try:
        frame = columns_canonical(table_read(content), STANDARD_ALIASES, STANDARD_REQUIRED)
    except TableError as exc:
        return {"status": "rejected", "rows": 0, "errors": [{"row": None, "field": None, "code": "file",
                                                             "message": str(exc)}]}
    errors: list[dict] = []
    entries: dict[int, StandardInput] = {}

    def fail(row: int, field: str, code: str, message: str) -> None:
        errors.append({"row": row, "field": field, "code": code, "message": message})

    cell = {name: (frame[name].str.strip() if name in frame else pd.Series("", index=frame.index))
            for name in STANDARD_ALIASES.values()}
    for row in frame.index:
        row = int(row)
        before = len(errors)
        start, end = _date(cell["valid_from"][row]), None
        if start is None:
            fail(row, "valid_from", "bad_date", _("Write the date as YYYY-MM-DD."))
        if cell["valid_to"][row]:
            end = _date(cell["valid_to"][row])
            if end is None:
                fail(row, "valid_to", "bad_date", _("Write the date as YYYY-MM-DD."))
        amount, problem = money_reference(cell["amount"][row], 2)
        if problem:
            fail(row, "amount", problem, str(ERROR_MESSAGES.get(f"money.{problem}", problem)))
        if len(errors) > before:
            continue
        entry = StandardInput(item_code=cell["item"][row], region_code=cell["region_code"][row], valid_from=start,
                              valid_to=end, amount_fen=amount, band=cell["band"][row], document=cell["document"][row])
        found = standard_problems(entry, actor=actor)
        for field, code, message in found:
            fail(row, field, code, message)
        if not found:
            entries[row] = entry

    # Rows of the file against each other: the same standard twice, or two that would be in force together.
    rows = list(entries.items())
    for i, (row, a) in enumerate(rows):
        for earlier, b in rows[:i]:
            if (a.item_code, a.region_code, a.band, a.valid_from) == (b.item_code, b.region_code, b.band, b.valid_from):
                fail(row, "valid_from", "duplicate", _("The same standard is given in row %(row)s.") % {"row": earlier})
                break
            if (a.item_code == b.item_code and a.region_code == b.region_code and bands_overlap(a.band, b.band)
                    and a.valid_from <= (b.valid_to or date.max) and b.valid_from <= (a.valid_to or date.max)):
                fail(row, "valid_from", "overlap",
                     _("Overlaps row %(row)s (same item, region and band); give the earlier one an end date.")
                     % {"row": earlier})
                break
    if errors:
        errors.sort(key=lambda e: (e["row"], e["field"]))
        return {"status": "rejected", "rows": len(frame), "errors": errors}
    with transaction.atomic():
        # Lock order: the items by code, then each standard written in date order (closing the open one before).
        list(Item.objects.select_for_update().filter(code__in={e.item_code for e in entries.values()})
             .order_by("code"))
        for entry in sorted(entries.values(), key=lambda e: (e.item_code, e.region_code, e.valid_from)):
            again = standard_problems(entry, actor=actor)  # a concurrent change since the check
            if again:
                transaction.set_rollback(True)
                field, code, message = again[0]
                return {"status": "rejected", "rows": len(frame),
                        "errors": [{"row": None, "field": field, "code": code, "message": message}]}
            standard_write(entry, actor=actor)
    return {"status": "accepted", "rows": len(frame), "errors": []}
