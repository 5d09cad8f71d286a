import logging

import pytest
import sentry_sdk
from sentry_sdk.transport import Transport

from backend.redaction import REDACTED, RedactingFilter, redact, redact_text
from backend.sentry import sentry_init

ID_NUMBER = "43032119800101002X"
OLD_ID = "430321800101002"
CARD = "6228480012345678901"
CARD_GROUPED = "6228 4800 1234 5678"
PHONE = "13807311234"
# Kept out of the test bodies: Sentry sends source lines around a raise, and those would carry literals.
TOKEN = "oc_secret_token_value"
DB_PASSWORD = "hunter2-x"


@pytest.mark.parametrize("secret", [ID_NUMBER, ID_NUMBER.lower(), OLD_ID, CARD, CARD_GROUPED, PHONE, "+86 13807311234"])
def test_personal_numbers_are_removed_from_text(secret):
    text = f"roster row 17: {secret} rejected"
    cleaned = redact_text(text)
    assert secret not in cleaned
    assert "13807311234" not in cleaned
    assert cleaned.startswith("roster row 17: ") and cleaned.endswith(" rejected")
    assert REDACTED in cleaned


def test_ordinary_numbers_survive():
    text = "roster 4312 for period 2026-11 has 250 rows, total 1234567.89 yuan, region 430321100000"
    assert redact_text(text) == text


def test_sensitive_keys_are_blanked_whatever_their_value():
    assert redact({"id_number": "abc", "nested": [{"卡号": "x", "name": "张三"}]}) == {
        "id_number": REDACTED, "nested": [{"卡号": REDACTED, "name": "张三"}],
    }


def test_log_records_lose_personal_numbers_even_through_arguments_and_tracebacks(caplog):
    logger = logging.getLogger("tests.redaction")
    caplog.set_level(logging.INFO)
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    try:
        logger.warning("card %s of %s", CARD, ID_NUMBER)
        try:
            raise ValueError(f"bad phone {PHONE}")
        except ValueError:
            logger.exception("import failed")
    finally:
        caplog.handler.removeFilter(handler_filter)
    text = caplog.text
    for secret in (CARD, ID_NUMBER, PHONE):
        assert secret not in text
    assert "card [redacted] of [redacted]" in text


class CapturingTransport(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


def test_sentry_events_and_breadcrumbs_carry_no_personal_numbers():
    transport = CapturingTransport()
    sentry_init(dsn="https://public@sentry.example.invalid/1", environment="test", transport=transport)
    try:
        sentry_sdk.add_breadcrumb(message=f"looked up {ID_NUMBER}", data={"phone": PHONE, "note": CARD_GROUPED})
        with sentry_sdk.new_scope() as scope:
            scope.set_extra("row", {"id_number": ID_NUMBER, "remark": f"call {PHONE}", "card_number": CARD})
            scope.set_extra("request_headers", {"Authorization": f"Bearer {TOKEN}", "password": DB_PASSWORD})
            scope.set_tag("region", "430321100000")
            try:
                raise ValueError(f"card {CARD} closed for {ID_NUMBER}")
            except ValueError:
                sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # back to a disabled client for the rest of the run
    payload = b"".join(item.get_bytes() for envelope in transport.envelopes for item in envelope.items).decode()
    assert "card [redacted] closed for [redacted]" in payload  # the event was really sent, scrubbed
    assert "430321100000" in payload
    for secret in (ID_NUMBER, CARD, PHONE, CARD_GROUPED, TOKEN, DB_PASSWORD):
        assert secret not in payload


# One of each kind of invisible character a number can be split by: C0 control (BEL, NUL, ESC), C1 control
# (NEL), DEL, soft hyphen, zero-width space / non-joiner / joiner, left-to-right mark, word joiner, BOM.
INVISIBLES = ["\x07", "\x00", "\x1b", "\x85", "\x7f", "\xad", "\u200b", "\u200c", "\u200d", "\u200e", "\u2060",
              "\ufeff"]


def _split(number: str, invisible: str) -> str:
    return invisible.join([number[:6], number[6:10], number[10:]])


@pytest.mark.parametrize("invisible", INVISIBLES, ids=[f"U+{ord(c):04X}" for c in INVISIBLES])
@pytest.mark.parametrize("secret", [ID_NUMBER, OLD_ID, CARD, PHONE])
def test_a_number_split_by_an_invisible_character_is_redacted(secret, invisible):
    cleaned = redact_text(f"row 3: {_split(secret, invisible)} rejected")
    assert cleaned == f"row 3: {REDACTED} rejected"


def test_a_number_split_by_an_invisible_character_after_every_digit_is_redacted():
    assert redact_text("\u200b".join(ID_NUMBER)) == REDACTED
    assert redact_text("\x07\x07".join(CARD)) == REDACTED


def test_log_records_lose_split_numbers_from_message_arguments_and_traceback(caplog):
    logger = logging.getLogger("tests.redaction")
    caplog.set_level(logging.INFO)
    handler_filter = RedactingFilter()
    caplog.handler.addFilter(handler_filter)
    split = _split(ID_NUMBER, "\x07")
    try:
        logger.warning("cell %r", split)
        try:
            raise ValueError(f"invalid id {split}")
        except ValueError:
            logger.exception("import failed")
    finally:
        caplog.handler.removeFilter(handler_filter)
    assert split not in caplog.text and repr(split)[1:-1] not in caplog.text
    assert ID_NUMBER[10:] not in caplog.text and "invalid id [redacted]" in caplog.text


def test_sentry_events_lose_numbers_split_by_invisible_characters():
    transport = CapturingTransport()
    sentry_init(dsn="https://public@sentry.example.invalid/1", environment="test", transport=transport)
    split_id, split_card = _split(ID_NUMBER, "\u200b"), _split(CARD, "\x07")
    try:
        with sentry_sdk.new_scope() as scope:
            scope.set_extra("cell", split_card)
            try:
                raise ValueError(f"bad cell {split_id}")
            except ValueError:
                sentry_sdk.capture_exception()
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()
    payload = b"".join(item.get_bytes() for envelope in transport.envelopes for item in envelope.items).decode()
    assert "bad cell [redacted]" in payload
    for digits in (ID_NUMBER[10:], CARD[10:]):
        assert digits not in payload
