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

_PATTERNS = [
    # Resident ID numbers: 18 characters (last may be X) or the old 15-digit form.
    re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])"),
    re.compile(r"(?<![0-9A-Za-z])\d{15}(?![0-9A-Za-z])"),
    # Card numbers: 13-19 digits, possibly grouped "6228 4800 1234 5678 901".
    re.compile(r"(?<![0-9A-Za-z])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z])"),
    # Mainland mobile numbers, with an optional +86 / 0086 prefix.
    re.compile(r"(?<![0-9A-Za-z])(?:\+?86[ -]?|0086[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?![0-9A-Za-z])"),
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
        return True
