"""Money is integer fen everywhere; these are the only conversions to and from yuan text."""

from decimal import Decimal, InvalidOperation

# No amount of this system reaches a trillion yuan; a larger one is a typo or an attack, and would overflow
# the database's 64-bit integers as fen.
MAX_YUAN = Decimal(10**12)


def fen_to_yuan(fen: int) -> str:
    """12345 -> '123.45'; -5 -> '-0.05'. Exact, no float anywhere."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole}.{cents:02d}"


def fen_to_yuan_grouped(fen: int) -> str:
    """12345678 -> '123,456.78': report totals, read by people (files and the API keep fen_to_yuan)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"


def yuan_to_fen(text: str) -> int:
    """'123.45' -> 12345. Refuses more than two decimals rather than rounding money."""
    try:
        value = Decimal(str(text).strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite() or abs(value) >= MAX_YUAN:
        raise ValueError(f"{text!r} is not an amount under a trillion yuan")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{text!r} has more than two decimals")
    return int(value * 100)
