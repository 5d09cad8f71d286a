"""Password guessing is throttled, per account and per client, for the API token exchange and the login page.

Only failures count, in fixed windows of SIGNIN_WINDOW_SECONDS (15 minutes) kept in Redis
(disbursement/ratelimit.py):
- per account (the username as typed, case-folded): SIGNIN_LIMIT_PER_ACCOUNT failures (5), whoever sends them;
- per client (REMOTE_ADDR, as the portal; X-Forwarded-For is not read): SIGNIN_LIMIT_PER_CLIENT failures (20),
  whichever accounts they name — this is what stops one address from trying one password on many accounts.
Once a limit is reached every further attempt is refused before the password is even checked, until the window
ends; a success resets the account's counter (not the client's).
"""

import logging

from django.conf import settings
from django.utils.translation import gettext as _

from disbursement.errors import RateLimited
from disbursement.ratelimit import counter_reset, counter_seconds_left, counters_get, counters_hit, key_token

logger = logging.getLogger(__name__)


def _account_key(username: str) -> str:
    return f"signin:account:{key_token('account', username.strip().casefold().encode(), person=b'signin-limits')}"


def _client_key(client_ip: str) -> str:
    return f"signin:client:{key_token('ip', client_ip.encode(), person=b'signin-limits')}"


def _keys(username: str, client_ip: str | None) -> list[tuple[str, int]]:
    keys = [(_account_key(username), settings.SIGNIN_LIMIT_PER_ACCOUNT)]
    if client_ip:
        keys.append((_client_key(client_ip), settings.SIGNIN_LIMIT_PER_CLIENT))
    return keys


def signin_admit(*, username: str, client_ip: str | None) -> None:
    """Refuse the attempt (RateLimited, with the seconds to wait) when the account or the client is locked."""
    keys = _keys(username, client_ip)
    counts = counters_get(*(key for key, _limit in keys))
    locked = [key for (key, limit), count in zip(keys, counts, strict=True) if count >= limit]
    if locked:
        window = settings.SIGNIN_WINDOW_SECONDS
        wait = max(counter_seconds_left(key, window) for key in locked)
        minutes = -(-wait // 60)
        raise RateLimited(_("Too many failed sign-ins; try again in %(minutes)s minute(s).") % {"minutes": minutes},
                          retry_after=wait)


def signin_failed(*, username: str, client_ip: str | None) -> None:
    """Count a wrong password; log when this failure locks the account or the client (never the password)."""
    keys = _keys(username, client_ip)
    counts = counters_hit(*((key, settings.SIGNIN_WINDOW_SECONDS) for key, _limit in keys))
    for (key, limit), count in zip(keys, counts, strict=True):
        if count == limit:
            logger.warning("sign-in locked for %s minutes after %s failures: %s", settings.SIGNIN_WINDOW_SECONDS // 60,
                           limit, f"account {username[:150]!r}" if key.startswith("signin:account:")
                           else f"client {client_ip}")


def signin_succeeded(*, username: str) -> None:
    counter_reset(_account_key(username))

