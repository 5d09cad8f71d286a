from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.translation import get_language

from disbursement.banking.codes import REASONS
from disbursement.pii import mask_name

register = template.Library()


@register.filter
def masked_name(name: str) -> str:
    return mask_name(name or "")


@register.filter
def thousandths(value: int) -> str:
    """A quantity stored in thousandths: 12500 -> '12.5'."""
    whole, part = divmod(int(value), 1000)
    return f"{whole}.{part:03d}".rstrip("0").rstrip(".")


@register.filter
def reason(code: str):
    """The bank's reason for a failure code (label, action, needs_new_card), or None for an unknown code."""
    return REASONS.get(code)


@register.filter
def reason_text(code: str | None) -> str:
    """A bank reason code with its words in the page's language: 'R01 账户已销户' / 'R01 account closed'."""
    if not code:
        return ""
    info = REASONS.get(code)
    if info is None:
        return code
    words = info.label_zh if (get_language() or "zh-hans").startswith("zh") else str(info.label)
    return f"{code} {words}"


@register.filter
def step_label(action: str) -> str:
    """A roster workflow action code as words (rosters.workflow.STEP_LABELS)."""
    from disbursement.rosters.workflow import step_label as label

    return label(action or "")


@register.filter
def payment_status(code: str) -> str:
    from disbursement.payments.models import PaymentStatus

    return str(PaymentStatus(code).label) if code in PaymentStatus.values else code


@register.filter
def local_time(value) -> str:
    """An ISO timestamp (as the API's dicts carry it) or a datetime, shown as 'Y-m-d H:i' in Asia/Shanghai."""
    if not value:
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "Y-m-d H:i")


@register.filter
def roster_field(field: str) -> str:
    """A roster import error's field as the column header of the file (rosters.checks.roster_field_header)."""
    from disbursement.rosters.checks import roster_field_header

    return roster_field_header(field or "")
