"""The arithmetic of 12-digit statistical region codes.

A code's significant prefix grows by level: province 2 digits, city 4, county 6, township 9,
village 12; the rest is zero padding. Every code under a region starts with that region's prefix,
so a subtree is one range of codes and a path to the root is computed, not queried.
"""

CODE_LENGTH = 12
PREFIX_LENGTHS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}
LEVELS = tuple(PREFIX_LENGTHS)


def region_level(code: str) -> str:
    """The level a well-formed 12-digit code stands for, from where its zero padding starts."""
    if len(code) != CODE_LENGTH or not code.isdigit():
        raise ValueError(f"region code must be 12 digits, got {code!r}")
    if code[9:] != "000":
        return "village"
    if code[6:] != "000000":
        return "township"
    if code[4:] != "00000000":
        return "county"
    if code[2:] != "0000000000":
        return "city"
    return "province"


def region_prefix(code: str) -> str:
    return code[: PREFIX_LENGTHS[region_level(code)]]


def subtree_bounds(code: str) -> tuple[str, str]:
    """The lowest and highest code in the subtree of `code` (itself included)."""
    prefix = region_prefix(code)
    return prefix.ljust(CODE_LENGTH, "0"), prefix.ljust(CODE_LENGTH, "9")


def ancestor_codes(code: str) -> list[str]:
    """Codes from the province down to `code` itself."""
    level = region_level(code)
    path = []
    for each in LEVELS[: LEVELS.index(level) + 1]:
        path.append(code[: PREFIX_LENGTHS[each]].ljust(CODE_LENGTH, "0"))
    return path


def is_within(code: str, ancestor: str) -> bool:
    low, high = subtree_bounds(ancestor)
    return low <= code <= high
