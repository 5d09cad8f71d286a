from django import template

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
