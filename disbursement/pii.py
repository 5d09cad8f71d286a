"""Personal numbers (ID, card, phone): encryption at rest, blind indexes and masks.

Encryption is AES-256-GCM from `cryptography`, a random 96-bit nonce per value. Each token starts with
a 4-byte id of the key that made it, so `PII_KEY` can list several keys (newest first): the first
encrypts, any listed one decrypts (rotation = put the new key first, re-encrypt, drop the old key).
AES-GCM rather than Fernet because a million-row roster encrypts two or three values per row and
Fernet costs about six times as much per value here (see docs/benchmarks.md).

The blind index is keyed BLAKE2b (a MAC) of the normalised value, 16 bytes, stored as a UUID: equal
values meet in a join or a unique constraint without the value itself ever being stored in clear.
Its key is derived from the *last* key listed, the original one, so it survives rotation.
"""

import base64
import hashlib
import os
import uuid
from functools import cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

_NONCE = 12


class PiiKeyError(ValueError):
    pass


@cache
def _keys() -> tuple[tuple[bytes, AESGCM], ...]:
    keys = []
    for text in settings.PII_KEYS:
        try:
            raw = base64.urlsafe_b64decode(text.encode())
        except ValueError:
            raise PiiKeyError("PII_KEY entries must be url-safe base64 of 32 bytes") from None
        if len(raw) != 32:
            raise PiiKeyError("PII_KEY entries must be url-safe base64 of 32 bytes")
        keys.append((hashlib.sha256(raw).digest()[:4], AESGCM(raw)))
    return tuple(keys)


@cache
def _index_key() -> bytes:
    last = base64.urlsafe_b64decode(settings.PII_KEYS[-1].encode())
    return hashlib.blake2b(last, person=b"blind-index", digest_size=32).digest()


def encrypt(value: str) -> str:
    return encrypt_many([value])[0]


def encrypt_many(values: list[str]) -> list[str]:
    kid, aead = _keys()[0]
    nonces = os.urandom(_NONCE * len(values))
    encode = base64.b64encode
    return [
        encode(kid + nonces[i * _NONCE:(i + 1) * _NONCE]
               + aead.encrypt(nonces[i * _NONCE:(i + 1) * _NONCE], value.encode(), None)).decode()
        for i, value in enumerate(values)
    ]


def seal(data: bytes) -> bytes:
    """A whole file (an uploaded roster, an error report, a bank file) encrypted for storage, same key scheme."""
    kid, aead = _keys()[0]
    nonce = os.urandom(_NONCE)
    return kid + nonce + aead.encrypt(nonce, data, None)


def unseal(data: bytes) -> bytes:
    kid, nonce, body = data[:4], data[4:4 + _NONCE], data[4 + _NONCE:]
    for key_id, aead in _keys():
        if key_id == kid:
            return aead.decrypt(nonce, body, None)
    raise PiiKeyError("no configured PII_KEY sealed this file")


def decrypt(token: str) -> str:
    raw = base64.b64decode(token)
    kid, nonce, body = raw[:4], raw[4:4 + _NONCE], raw[4 + _NONCE:]
    for key_id, aead in _keys():
        if key_id == kid:
            return aead.decrypt(nonce, body, None).decode()
    raise PiiKeyError("no configured PII_KEY made this value (was its key dropped before re-encryption?)")


def blind_index(value: str) -> uuid.UUID:
    return uuid.UUID(bytes=hashlib.blake2b(value.encode(), key=_index_key(), digest_size=16).digest())


def blind_index_many(values: list[str]) -> list[str]:
    """Hex form (no dashes), what both PostgreSQL's uuid input and Django's SQLite storage accept."""
    key = _index_key()
    blake = hashlib.blake2b
    return [blake(value.encode(), key=key, digest_size=16).hexdigest() for value in values]


def mask_id(value: str) -> str:
    """430***********1234: the county's province digits and the last four, nothing of the birth date."""
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}" if len(value) > 7 else "*" * len(value)


def mask_card(value: str) -> str:
    return f"{value[:4]} **** **** {value[-4:]}" if len(value) > 8 else "*" * len(value)


def mask_phone(value: str) -> str:
    return f"{value[:3]}****{value[-4:]}" if len(value) >= 11 else "*" * len(value)


def mask_name(name: str) -> str:
    """张*三 for three or more characters, 张* for two, * for one."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
