"""Domain errors. Services raise these; backend/api.py maps each to one HTTP status, pages to a message.

Messages are user-facing (translated) and never contain a whole personal number.
"""


class DomainError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    """Also raised for objects outside the caller's jurisdiction: their existence is not revealed."""

    status = 404
    code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class ValidationFailed(DomainError):
    status = 422
    code = "invalid"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    """Too many attempts; `retry_after` (seconds, when known) goes into the answer and its Retry-After header."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(DomainError):
    """A service the request needs (Redis: the broker, the rate counters) cannot be reached."""

    status = 503
    code = "unavailable"
