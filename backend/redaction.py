"""Removes personal numbers (ID, card, phone) from text bound for logs and Sentry.

The patterns are deliberately broad: a 13-19 digit run (optionally grouped by spaces or hyphens) may
be a card or an ID number, so it goes. Losing a harmless long number in a log is cheaper than
leaking one that was not harmless.
"""

import logging
import re
from collections.abc import Mapping
from typing import Any

REDACTED = "[redacted]"

# Characters that show nothing but can sit between the digits of a number pasted from a spreadsheet or
# typed in by an attacker: C0 and C1 controls, DEL, soft hyphen, zero-width space/non-joiner/joiner,
# direction marks, word joiner and the other invisible operators, Mongolian vowel separator, BOM.
_INVISIBLE = "\x00-\x1f\x7f-\x9f\xad\u034f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff"
# ...or the same characters as a repr() or JSON shows them ("\\x07", "\\u200b"), as an exception message may.
_HIDDEN = rf"(?:[{_INVISIBLE}]|\\x[0-9a-fA-F]{{2}}|\\u[0-9a-fA-F]{{4}}|\\U[0-9a-fA-F]{{8}})"
_GAP = f"{_HIDDEN}*"  # between the digits of an ID
_GROUP_GAP = f"{_HIDDEN}*(?:[ -]{_HIDDEN}*)?"  # cards and phones may also be grouped by a space or hyphen
# Not inside a longer run of letters and digits, even one joined by a hidden character or two (look-behind
# must have a fixed width, hence one per case); right after an escape such as "\\x07" is a start.
_BEFORE = (f"(?:(?<![0-9A-Za-z])(?<![0-9A-Za-z][{_INVISIBLE}])(?<![0-9A-Za-z][{_INVISIBLE}]{{2}})"
           r"|(?<=\\x[0-9a-fA-F]{2})|(?<=\\u[0-9a-fA-F]{4}))")
_AFTER = f"(?!{_HIDDEN}*[0-9A-Za-z])"

_PATTERNS = [
    # Resident ID numbers: 18 characters (last may be X) or the old 15-digit form.
    re.compile(rf"{_BEFORE}\d(?:{_GAP}\d){{16}}{_GAP}[\dXx]{_AFTER}"),
    re.compile(rf"{_BEFORE}\d(?:{_GAP}\d){{14}}{_AFTER}"),
    # Card numbers: 13-19 digits, possibly grouped "6228 4800 1234 5678 901".
    re.compile(rf"{_BEFORE}\d(?:{_GROUP_GAP}\d){{12,18}}{_AFTER}"),
    # Mainland mobile numbers, with an optional +86 / 0086 prefix.
    re.compile(rf"{_BEFORE}(?:\+?86[ -]?|0086[ -]?)?1{_GROUP_GAP}[3-9](?:{_GROUP_GAP}\d){{9}}{_AFTER}"),
]

# Keys whose values are personal numbers whatever they look like.
SENSITIVE_KEYS = frozenset(
    {"id_number", "idnumber", "id_no", "card_number", "card_no", "cardnumber", "phone", "mobile",
     "phone_number", "身份证号", "卡号", "社保卡号", "银行卡号", "一卡通账号", "联系电话"}
)


def redact_text(text: str) -> str:
    for pattern in _PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text


def redact(value: Any, keys: frozenset[str] = SENSITIVE_KEYS, _depth: int = 0) -> Any:
    """Return a copy of a JSON-like value with personal numbers removed from every string and the
    values under `keys` (compared in lower case) blanked."""
    if _depth > 20:
        return value
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {
            key: REDACTED if isinstance(key, str) and key.lower() in keys else redact(item, keys, _depth + 1)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(redact(item, keys, _depth + 1) for item in value)
    return value


class RedactingFilter(logging.Filter):
    """Rewrites each record's message after formatting its arguments, so nothing slips in via %s."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logged as is rather than lost
            return True
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = redact_text(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        return True
