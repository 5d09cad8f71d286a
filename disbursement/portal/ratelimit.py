"""Abuse resistance for the public lookup: fixed-window counters in Django's cache (Redis in production).

Limits (per fixed window, counted on every attempt, before any lookup runs):
- per client IP:        PORTAL_LIMIT_PER_CLIENT lookups per IP_WINDOW seconds (20 / 10 minutes);
- per looked-up ID:     PORTAL_LIMIT_PER_ID lookups per ID_WINDOW seconds (5 / hour), whichever IP asks — this is what
                        stops a botnet from walking one person's name through many addresses;
- challenge:            after PORTAL_CHALLENGE_AFTER_FAILURES wrong pairs from one IP within IP_WINDOW, every lookup
                        from it must answer a single-use arithmetic challenge issued in the previous response.

The client IP is REMOTE_ADDR. Behind a reverse proxy, the proxy must put the real client address there
(e.g. nginx `real_ip` / a trusted-proxy middleware); X-Forwarded-For is deliberately not read, since any
client can send one and would get a fresh budget with every request.

The counting itself is disbursement/ratelimit.py, shared with the sign-in throttle; when Redis cannot count, a
lookup is refused with 503 rather than admitted unlimited.

Cache keys never hold a name, an ID number or an IP in clear: they hold a keyed hash (the ID's blind index
re-hashed under a portal-only key, so a cache dump cannot be joined to the register's id_hash column either).
"""

import secrets
import uuid

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from disbursement.errors import DomainError, RateLimited
from disbursement.ratelimit import counter_get, counters_hit, key_token

__all__ = ["RateLimited", "ChallengeRequired", "challenge_issue", "lookup_admit", "lookup_settle"]

# The numbers are settings (PORTAL_LIMIT_PER_CLIENT, PORTAL_LIMIT_PER_ID, PORTAL_CHALLENGE_AFTER_FAILURES;
# defaults 20, 5, 3); the windows are fixed here.
IP_WINDOW = 10 * 60
ID_WINDOW = 60 * 60
CHALLENGE_TTL = 5 * 60


class ChallengeRequired(DomainError):
    """Too many wrong pairs from this client: answer `challenge` and send its id and answer with the lookup."""

    status = 428
    code = "challenge_required"

    def __init__(self, message: str, *, challenge: dict):
        super().__init__(message)
        self.challenge = challenge


def _token(kind: str, value: bytes) -> str:
    return key_token(kind, value, person=b"portal-limits")


def _ip_key(kind: str, client_ip: str) -> str:
    return f"portal:{kind}:{_token('ip', client_ip.encode())}"


def challenge_issue(*, client_ip: str) -> dict:
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    challenge_id = secrets.token_urlsafe(16)
    cache.set(f"portal:challenge:{challenge_id}", {"answer": a + b, "client": _token("ip", client_ip.encode())},
              timeout=CHALLENGE_TTL)
    return {"id": challenge_id, "question": f"{a} + {b} = ?"}


def _challenge_passed(*, client_ip: str, challenge_id: str | None, answer: str | None) -> bool:
    if not challenge_id or answer is None:
        return False
    key = f"portal:challenge:{challenge_id[:64]}"
    stored = cache.get(key)
    # delete() reports whether this call removed the key: of two concurrent uses, exactly one gets True.
    if stored is None or not cache.delete(key):
        return False
    return stored["client"] == _token("ip", client_ip.encode()) and str(answer).strip() == str(stored["answer"])


def lookup_admit(*, client_ip: str, id_index: uuid.UUID, challenge_id: str | None = None,
                 challenge_answer: str | None = None) -> None:
    """Count one lookup attempt and refuse it when over a limit or when a required challenge is not answered."""
    by_client, by_id = counters_hit((_ip_key("ip", client_ip), IP_WINDOW),
                                 (f"portal:id:{_token('id', id_index.bytes)}", ID_WINDOW))
    if by_client > settings.PORTAL_LIMIT_PER_CLIENT:
        raise RateLimited(_("Too many lookups from your network; try again in 10 minutes."))
    failures = counter_get(_ip_key("fail", client_ip))
    if failures >= settings.PORTAL_CHALLENGE_AFTER_FAILURES and not _challenge_passed(
            client_ip=client_ip, challenge_id=challenge_id, answer=challenge_answer):
        raise ChallengeRequired(_("Answer the question to continue."),
                                challenge=challenge_issue(client_ip=client_ip))
    if by_id > settings.PORTAL_LIMIT_PER_ID:
        raise RateLimited(_("This ID number has been looked up too often; try again in an hour."))


def lookup_settle(*, client_ip: str, matched: bool) -> dict | None:
    """After the lookup: count a wrong pair; return the challenge the next lookup must answer, if any.
    One cache round trip either way, so a match and a miss take the same time."""
    key = _ip_key("fail", client_ip)
    failures = counter_get(key) if matched else counters_hit((key, IP_WINDOW))[0]
    return challenge_issue(client_ip=client_ip) if failures >= settings.PORTAL_CHALLENGE_AFTER_FAILURES else None
