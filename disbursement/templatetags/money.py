from django import template

from disbursement.money import fen_to_yuan_grouped

register = template.Library()


@register.filter
def yuan(fen):
    """Integer fen as yuan the way pages show money: two decimals and thousands separators (308,991.06); blank for
    no amount. Files and the API keep the plain form (disbursement.money.fen_to_yuan)."""
    return "" if fen is None else fen_to_yuan_grouped(fen)


# The same filter under the name the supervision and list templates use.
yuan_grouped = register.filter("yuan_grouped", yuan)
