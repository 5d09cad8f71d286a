from django import template

from disbursement.money import fen_to_yuan, fen_to_yuan_grouped

register = template.Library()


@register.filter
def yuan(fen):
    """Integer fen shown as yuan with two decimals; blank for no amount."""
    return "" if fen is None else fen_to_yuan(fen)


@register.filter
def yuan_grouped(fen):
    """Integer fen as yuan with thousands separators: 123,456.78."""
    return "" if fen is None else fen_to_yuan_grouped(fen)
