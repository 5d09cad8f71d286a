"""The error report a clerk downloads: the original rows plus one column saying everything wrong with each."""

import io
from pathlib import Path

import pandas as pd
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from disbursement.registry import validators

# Beyond this many rows the report keeps only the rows with errors (with their row numbers).
FULL_REPORT_MAX_ROWS = 100_000


def report_file_name(uploaded_name: str) -> str:
    return f"{Path(uploaded_name).stem}-errors.xlsx"


def error_report(frame: pd.DataFrame, errors: pd.DataFrame, file_name: str) -> tuple[str, bytes]:
    per_row = errors.groupby("row")["message"].agg("；".join)
    rows = frame if len(frame) <= FULL_REPORT_MAX_ROWS else frame.loc[per_row.index]
    rows = rows.apply(validators.neutralise_formula)
    # XLSX cannot hold control characters (openpyxl refuses them); show where one was instead.
    rows = rows.apply(lambda column: column.astype(str).str.replace(ILLEGAL_CHARACTERS_RE.pattern, "\ufffd",
                                                                    regex=True))
    problems = validators.neutralise_formula(per_row.reindex(rows.index).fillna("").astype(str))
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Errors"))
    sheet.append([_("Row"), *rows.columns, _("Problems")])
    for number, values, problem in zip(rows.index, rows.itertuples(index=False, name=None), problems, strict=True):
        sheet.append([int(number), *values, problem])
    buffer = io.BytesIO()
    book.save(buffer)
    return report_file_name(file_name), buffer.getvalue()
