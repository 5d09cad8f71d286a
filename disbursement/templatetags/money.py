from django import template

from disbursement.money import fen_to_yuan

register = template.Library()


@register.filter
def yuan(fen):
    """Integer fen shown as yuan with two decimals; blank for no amount."""
    return "" if fen is None else fen_to_yuan(fen)
