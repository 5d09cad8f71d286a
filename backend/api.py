"""The JSON API: one NinjaAPI mounting each app's router, and the one place errors become HTTP."""

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import django_auth

from disbursement.accounts.api import router as accounts_router
from disbursement.accounts.auth import TokenAuth
from disbursement.alerts.api import router as alerts_router
from disbursement.budget.api import router as budget_router
from disbursement.catalog.api import router as catalog_router
from disbursement.complaints.api import router as complaints_router
from disbursement.errors import DomainError
from disbursement.payments.api import router as payments_router
from disbursement.portal.api import router as portal_router
from disbursement.registry.api import router as registry_router
from disbursement.rosters.api import router as rosters_router
from disbursement.treasury.api import router as treasury_router
from geo.api import router as geo_router

# What every operation may answer besides its success, all in the one error shape below. 401 only where the
# operation needs a sign-in; 413 and the like come from the web tier, not from an operation.
ERROR_STATUSES = {
    "400": "The request could not be read (e.g. a body that is not JSON) or was refused",
    "401": "Not signed in: no valid bearer token or session",
    "403": "Signed in, but the role may not do this (or the CSRF check of a session call failed)",
    "404": "Not found, or outside the caller's jurisdiction (its existence is not revealed)",
    "409": "The object is not in a state that allows this",
    "422": "A field is not valid; `field` or `errors` says which",
    "429": "Too many attempts; `retry_after` seconds and the Retry-After header say when to try again",
    "503": "A service the request needs (the task broker, the rate counters) is down; nothing half-done remains",
}
ERROR_SCHEMA = {
    "title": "Error",
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "string", "description": "machine-readable, e.g. not_found, invalid, rate_limited"},
        "message": {"type": "string", "description": "for people, in the request's language"},
        "field": {"type": "string", "description": "the one field at fault, when there is one"},
        "errors": {"type": "array", "items": {"type": "object", "properties": {
            "field": {"type": ["string", "null"]}, "message": {"type": "string"}}}},
        "retry_after": {"type": "integer", "description": "seconds to wait (429)"},
    },
}


class OneCardAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Ninja documents only the statuses an endpoint declares; add the error statuses every operation can
        answer (backend/api.py's handlers) with the one error schema, so clients and Schemathesis know them."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for status, description in ERROR_STATUSES.items():
                    if status == "401" and not operation.get("security"):
                        continue
                    responses.setdefault(status, {"description": description, **error})
        return schema


api = OneCardAPI(
    title="One-card subsidy system API",
    version="1",
    description="惠民惠农财政补贴资金一卡通 — JSON API. Authenticate with a bearer token from "
    "POST /api/v1/auth/tokens, or with the web session.",
    auth=[TokenAuth(), django_auth],
    urls_namespace="api",
)

api.add_router("/", accounts_router)
api.add_router("/geo", geo_router)
api.add_router("/catalog", catalog_router)
api.add_router("/", rosters_router)
api.add_router("/", registry_router)
api.add_router("/", budget_router)
api.add_router("/", payments_router)
api.add_router("/", complaints_router)
api.add_router("/", portal_router)
api.add_router("/", alerts_router)
api.add_router("/", treasury_router)


def _error(request, status: int, code: str, message: str, field: str | None = None, **extra):
    body = {"code": code, "message": message, **extra}
    if field:
        body["field"] = field
    return api.create_response(request, body, status=status)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    retry_after = getattr(exc, "retry_after", None)
    if retry_after is None:
        return _error(request, exc.status, exc.code, exc.message, exc.field)
    response = _error(request, exc.status, exc.code, exc.message, exc.field, retry_after=retry_after)
    response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(ObjectDoesNotExist)
def not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(Http404)
def http_not_found(request, exc):
    return _error(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def http_error(request, exc: HttpError):
    """Ninja's own refusals, in our shape: a body it cannot parse (400), a session call without its CSRF token
    (403), and any other status it raises."""
    if exc.status_code == 400:
        return _error(request, 400, "malformed", _("The request body could not be read; send valid JSON."))
    if exc.status_code == 403 and "CSRF" in str(exc):
        return _error(request, 403, "csrf_failed", _("The CSRF check failed; reload the page and try again."))
    return _error(request, exc.status_code, "error", str(exc))


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, 401, "unauthenticated", _("Sign in or send a valid bearer token."))


@api.exception_handler(ValidationError)
def invalid_input(request, exc: ValidationError):
    # Say which field and why, without echoing the submitted value (it may be a personal number).
    errors = [
        {"field": ".".join(str(part) for part in e.get("loc", ())[1:]) or None, "message": e.get("msg", "")}
        for e in exc.errors
    ]
    return _error(request, 422, "invalid", _("The request is not valid."), errors=errors)
