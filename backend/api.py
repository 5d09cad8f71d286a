"""The JSON API: one NinjaAPI mounting each app's router, and the one place errors become HTTP."""

from django.core.exceptions import ObjectDoesNotExist
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, ValidationError
from ninja.security import django_auth

from disbursement.accounts.api import router as accounts_router
from disbursement.accounts.auth import TokenAuth
from disbursement.budget.api import router as budget_router
from disbursement.catalog.api import router as catalog_router
from disbursement.complaints.api import router as complaints_router
from disbursement.errors import DomainError
from disbursement.payments.api import router as payments_router
from disbursement.portal.api import router as portal_router
from disbursement.registry.api import router as registry_router
from disbursement.rosters.api import router as rosters_router
from geo.api import router as geo_router

api = NinjaAPI(
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
