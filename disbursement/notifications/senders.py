"""Senders deliver one notice's text to one phone. settings.NOTIFICATION_SENDER names the class in use."""

import logging

from django.conf import settings
from django.utils.module_loading import import_string

from disbursement.pii import mask_phone

logger = logging.getLogger("disbursement.notifications")


class SendError(Exception):
    """The message was not delivered. `permanent` (a number the gateway rejects) means retrying cannot help.
    The message is stored as the notice's last error (after redaction): never put the phone number in it."""

    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


class Sender:
    def send(self, phone: str, text: str) -> None:
        """Deliver `text` to `phone` (the whole number), or raise SendError."""
        raise NotImplementedError


class LogSender(Sender):
    """The demo sender: writes the message to the log, the number masked."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text)


def sender_get() -> Sender:
    return import_string(settings.NOTIFICATION_SENDER)()
