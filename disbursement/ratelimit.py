"""Fixed-window counters in Django's cache (Redis in production): the one place that counts hits for the
portal's lookup limits (portal/ratelimit.py) and the sign-in throttle (accounts/throttle.py).

A window starts at the first hit of its key and lasts `window` seconds. Keys passed in are cache keys
(the cache's KEY_PREFIX and version are applied here); callers never put a personal number or an address in
clear into a key: `key_token` gives them a keyed hash instead.

When Redis cannot be reached the counters cannot count, and admitting everyone would switch the limits off:
every function here raises `Unavailable` (503) instead.
"""

import functools
import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from disbursement.errors import Unavailable


def key_token(kind: str, value: bytes, *, person: bytes) -> str:
    """A keyed hash of `value` under a key derived from SECRET_KEY and `person` (one per user of this module)."""
    key = hashlib.blake2b(settings.SECRET_KEY.encode(), person=person, digest_size=32).digest()
    return hmac.new(key, kind.encode() + b":" + value, hashlib.sha256).hexdigest()[:32]


def _counting(function):
    @functools.wraps(function)
    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except RedisError:
            raise Unavailable(_("The service is busy; try again in a few minutes.")) from None
    return guarded


def _redis():
    """The cache's own Redis client when the cache is Redis (production, tests), else None (embedded default)."""
    backend = getattr(cache, "_cache", None)
    return backend.get_client(write=True) if hasattr(backend, "get_client") else None


@_counting
def counters_hit(*keys_and_windows: tuple[str, int]) -> list[int]:
    """Count one hit on several fixed-window counters in a single Redis round trip (INCR, then EXPIRE NX so the
    window starts at the first hit); a hot path pays one network trip for all its limits."""
    client = _redis()
    if client is None:
        return [_hit(key, window) for key, window in keys_and_windows]
    pipe = client.pipeline(transaction=False)
    for key, window in keys_and_windows:
        raw = cache.make_and_validate_key(key)
        pipe.incr(raw)
        pipe.expire(raw, window, nx=True)
    return [int(value) for value in pipe.execute()[::2]]


@_counting
def counter_get(key: str) -> int:
    client = _redis()
    if client is None:
        return cache.get(key) or 0
    return int(client.get(cache.make_and_validate_key(key)) or 0)


@_counting
def counters_get(*keys: str) -> list[int]:
    """The current counts of several counters in one round trip."""
    client = _redis()
    if client is None:
        return [cache.get(key) or 0 for key in keys]
    return [int(value or 0) for value in client.mget([cache.make_and_validate_key(key) for key in keys])]


@_counting
def counter_seconds_left(key: str, window: int) -> int:
    """Seconds until the counter's window ends (the whole window when unknown, e.g. the in-memory cache)."""
    client = _redis()
    if client is None:
        return window
    left = client.ttl(cache.make_and_validate_key(key))
    return left if left > 0 else window


@_counting
def counter_reset(key: str) -> None:
    cache.delete(key)


def _hit(key: str, window: int) -> int:
    """Atomic count within a fixed window that starts at the first hit: add() creates the key with its
    expiry only if absent, incr() is atomic. If the key expired between the two, start again."""
    for _attempt in range(3):
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:
            continue
    return cache.incr(key)
