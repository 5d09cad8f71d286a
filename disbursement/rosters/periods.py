"""Roster periods, spelled by the item's frequency: 2026 (yearly or once), 2026H2, 2026Q4, 2026-11."""

import calendar
import re
from datetime import date

from django.utils.translation import gettext as _

from disbursement.catalog.models import Frequency
from disbursement.errors import ValidationFailed

_FORMS = {
    Frequency.ANNUAL: (re.compile(r"^(\d{4})$"), "2026"),
    Frequency.ONCE: (re.compile(r"^(\d{4})$"), "2026"),
    Frequency.SEMIANNUAL: (re.compile(r"^(\d{4})H([12])$"), "2026H2"),
    Frequency.QUARTERLY: (re.compile(r"^(\d{4})Q([1-4])$"), "2026Q4"),
    Frequency.MONTHLY: (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "2026-11"),
}


def period_bounds(period: str, frequency: str) -> tuple[date, date]:
    """First and last day of a period; ValidationFailed (field "period") when it is not spelled for the item."""
    pattern, example = _FORMS[frequency]
    match = pattern.match(period or "")
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise ValidationFailed(
            _("Period %(period)r does not fit a %(frequency)s item; write it like %(example)s.")
            % {"period": period, "frequency": Frequency(frequency).label, "example": example},
            field="period",
        )
    year = int(match.group(1))
    if frequency in (Frequency.ANNUAL, Frequency.ONCE):
        first_month, months = 1, 12
    elif frequency == Frequency.SEMIANNUAL:
        first_month, months = 1 + 6 * (int(match.group(2)) - 1), 6
    elif frequency == Frequency.QUARTERLY:
        first_month, months = 1 + 3 * (int(match.group(2)) - 1), 3
    else:
        first_month, months = int(match.group(2)), 1
    last_month = first_month + months - 1
    return date(year, first_month, 1), date(year, last_month, calendar.monthrange(year, last_month)[1])
