"""Issuing and adjusting indicators, and reserving a roster's total against them ("no budget, no payment")."""

import numpy as np
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_check
from disbursement.audit.services import audit_record
from disbursement.budget.models import MOVES, FundingLevel, Indicator, LedgerEntry, Movement
from disbursement.budget.selectors import allocation_plan, indicator_available_fen, roster_reserved_by_indicator
from disbursement.catalog.models import Item
from disbursement.errors import Conflict, NotFound, ValidationFailed
from geo.models import Region, RegionLevel


def ledger_move(*, indicator_id: int, movement: str, amount_fen: int, actor=None, roster=None,
                reference: str = "") -> LedgerEntry:
    debit, credit = MOVES[movement]
    return LedgerEntry.objects.create(indicator_id=indicator_id, movement=movement, debit=debit, credit=credit,
                                      amount_fen=amount_fen, actor=actor, roster=roster, reference=reference)


@transaction.atomic
def indicator_issue(*, actor, document_number: str, item_code: str, county_code: str, fiscal_year: int,
                    funding_level: str, amount_fen: int) -> Indicator:
    if amount_fen <= 0:
        raise ValidationFailed(_("An indicator's amount must be positive."), field="amount")
    if funding_level not in FundingLevel.values:
        raise ValidationFailed(_("Unknown funding level."), field="funding_level")
    item = Item.objects.filter(code=item_code).first()
    if item is None:
        raise ValidationFailed(_("No subsidy item %(code)s.") % {"code": item_code}, field="item")
    county = Region.objects.filter(code=county_code, level=RegionLevel.COUNTY).first()
    if county is None:
        raise ValidationFailed(_("No county %(code)s.") % {"code": county_code}, field="county")
    action_check(actor, "indicator.issue", region_code=county.code, existing=False)
    try:
        with transaction.atomic():
            indicator = Indicator.objects.create(
                document_number=document_number.strip(), item=item, county=county, fiscal_year=fiscal_year,
                funding_level=funding_level, created_by=actor,
            )
    except IntegrityError:
        raise Conflict(_("Document number %(number)s is already issued.") % {"number": document_number},
                       field="document_number") from None
    ledger_move(indicator_id=indicator.pk, movement=Movement.ISSUE, amount_fen=amount_fen, actor=actor,
                reference=document_number)
    audit_record(actor=actor, action="indicator.issue", obj=indicator, region_code=county.code, amount_fen=amount_fen)
    return indicator


@transaction.atomic
def indicator_adjust(*, actor, indicator_id: int, delta_fen: int, reason: str) -> Indicator:
    """Raise or lower an indicator; never below what is already reserved, paid or returned."""
    indicator = Indicator.objects.select_for_update().filter(pk=indicator_id).first()
    if indicator is None:
        raise NotFound(_("Indicator not found."))
    action_check(actor, "indicator.adjust", region_code=indicator.county_id, not_found=_("Indicator not found."))
    if delta_fen == 0:
        raise ValidationFailed(_("An adjustment must change the amount."), field="delta")
    if not reason.strip():
        raise ValidationFailed(_("Give the reason (document) for the adjustment."), field="reason")
    if delta_fen < 0 and -delta_fen > indicator_available_fen(indicator_id=indicator.pk):
        raise Conflict(_("The indicator cannot go below what is already reserved or paid."), field="delta")
    movement = Movement.ADJUST_UP if delta_fen > 0 else Movement.ADJUST_DOWN
    ledger_move(indicator_id=indicator.pk, movement=movement, amount_fen=abs(delta_fen), actor=actor,
                reference=reason[:80])
    audit_record(actor=actor, action="indicator.adjust", obj=indicator, region_code=indicator.county_id,
                 delta_fen=delta_fen, reason=reason[:200])
    return indicator


def roster_allocate(*, roster, amounts: np.ndarray, actor) -> np.ndarray:
    """Reserve a roster's lines against the indicators of its item, county and year, and say which indicator
    funds each line (by position). Must run in the approving transaction.

    1. lock the candidate indicators in primary-key order (two approvals never deadlock);
    2. read their available balances under the lock;
    3. give each indicator, in document order, the longest run of remaining lines that fits its balance
       (a line is never split between indicators);
    4. write one reservation movement per indicator used.
    Raises Conflict when the indicators cannot cover every line: no budget, no payment.
    """
    county_code = roster.township_id[:6].ljust(12, "0")
    indicators = list(
        Indicator.objects.select_for_update()
        .filter(item_id=roster.item_id, county_id=county_code, fiscal_year=int(roster.period[:4]))
        .order_by("pk")
    )
    indicators.sort(key=lambda indicator: indicator.document_number)
    funded_by = np.full(len(amounts), -1, dtype=np.int64)
    available = [indicator_available_fen(indicator_id=indicator.pk) for indicator in indicators]
    runs, shortfall = allocation_plan(amounts, available)
    for position, start, stop, reserved in runs:
        indicator = indicators[position]
        funded_by[start:stop] = indicator.pk
        ledger_move(indicator_id=indicator.pk, movement=Movement.RESERVE, amount_fen=reserved, actor=actor,
                    roster=roster, reference=f"roster {roster.pk}")
    if shortfall:
        raise Conflict(
            _("No budget, no payment: the indicators of this item, county and year lack %(yuan)s yuan.")
            % {"yuan": f"{shortfall // 100}.{shortfall % 100:02d}"}
        )
    return funded_by


def roster_release(*, roster, actor, reference: str) -> None:
    """Give back what a roster still holds reserved (it was returned to the clerk before payment)."""
    for indicator_id, amount in roster_reserved_by_indicator(roster_id=roster.pk).items():
        if amount > 0:
            ledger_move(indicator_id=indicator_id, movement=Movement.RELEASE, amount_fen=amount, actor=actor,
                        roster=roster, reference=reference)
