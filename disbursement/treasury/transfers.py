"""Transfers the province has scheduled to a county for a month (调度资金): the forecast counts them as inflow."""

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_check
from disbursement.audit.services import audit_record
from disbursement.errors import ValidationFailed
from disbursement.treasury.models import ScheduledTransfer
from geo.models import Region, RegionLevel

# A county's transfer above a trillion yuan is a typo, not a plan (and keeps sums far from 64-bit limits).
MAX_TRANSFER_FEN = 10**14


def scheduled_transfer_add(*, actor, region_code: str, month: datetime.date, amount_fen: int,
                           document: str) -> ScheduledTransfer:
    """Record a transfer scheduled for `region_code` (a county) in `month` (any day of it; stored as the first),
    with the document (文号) that decides it. Months already past are refused; several transfers may be scheduled
    for one month (they add up). Audited."""
    action_check(actor, "treasury.schedule", region_code=region_code, existing=False)
    region = Region.objects.filter(pk=region_code).first()
    if region is None or region.level != RegionLevel.COUNTY:
        raise ValidationFailed(_("Scheduled transfers go to a county: %(code)s is not one.") % {"code": region_code},
                               field="region")
    if not isinstance(month, datetime.date):
        raise ValidationFailed(_("Give the month as YYYY-MM."), field="month")
    month = month.replace(day=1)
    if month < timezone.localdate().replace(day=1):
        raise ValidationFailed(_("The month %(month)s is already past.") % {"month": month.strftime("%Y-%m")},
                               field="month")
    if not isinstance(amount_fen, int) or isinstance(amount_fen, bool) or not 0 < amount_fen <= MAX_TRANSFER_FEN:
        raise ValidationFailed(_("The amount must be greater than zero and at most one trillion yuan."),
                               field="amount")
    document = (document or "").strip()
    if not document:
        raise ValidationFailed(_("Give the number of the document that schedules the transfer."), field="document")
    if len(document) > ScheduledTransfer._meta.get_field("document").max_length:
        raise ValidationFailed(_("At most %(n)s characters.") % {"n": 100}, field="document")
    with transaction.atomic():
        transfer = ScheduledTransfer.objects.create(region=region, month=month, amount_fen=amount_fen,
                                                    document=document, entered_by=actor)
        audit_record(actor=actor, action="treasury.transfer_scheduled", obj=transfer, region_code=region.code,
                     month=month.isoformat(), amount_fen=amount_fen, document=document)
    return transfer
