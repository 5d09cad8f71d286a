import secrets

from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts import throttle
from disbursement.accounts.models import ApiToken, User, token_digest
from disbursement.accounts.roles import MANAGEABLE_ROLES, ROLE_LEVELS, Role
from disbursement.accounts.scoping import in_jurisdiction, scoped_get
from disbursement.audit.services import audit_record
from disbursement.errors import Conflict, PermissionDenied, ValidationFailed
from geo.models import Region


def _check_may_manage(actor: User, *, role: str, region_code: str | None) -> None:
    allowed = MANAGEABLE_ROLES.get(actor.role, frozenset()) if not actor.is_superuser else frozenset(Role.values)
    if role not in allowed:
        raise PermissionDenied(_("You may not manage users with the role %(role)s.") % {"role": Role(role).label})
    if not in_jurisdiction(actor, region_code):
        raise PermissionDenied(_("That region is outside your jurisdiction."))


def user_role_check(*, role: str, region: Region | None, department: str) -> None:
    """A role sits at given region levels; a county department user names a department."""
    if role not in Role.values:
        raise ValidationFailed(_("Unknown role %(role)r.") % {"role": role}, field="role")
    if region is None:
        raise ValidationFailed(_("A region is required."), field="region")
    if region.level not in ROLE_LEVELS[role]:
        raise ValidationFailed(
            _("A %(role)s is bound to a region of level %(levels)s, not %(level)s.")
            % {"role": Role(role).label, "levels": "/".join(sorted(ROLE_LEVELS[role])), "level": region.level},
            field="region",
        )
    if region.is_statistical:
        raise ValidationFailed(_("Users cannot be bound to a statistics-only zone."), field="region")
    if role == Role.COUNTY_DEPARTMENT and not department:
        raise ValidationFailed(_("A county department user needs a department."), field="department")


def user_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: str,
    region_code: str,
    full_name: str = "",
    department: str = "",
    email: str = "",
) -> User:
    """Create a user; `actor` None is the system itself (management commands)."""
    if actor is not None:
        _check_may_manage(actor, role=role, region_code=region_code)
    region = Region.objects.filter(code=region_code).first()
    user_role_check(role=role, region=region, department=department)
    user = User(
        username=username, role=role, region=region, full_name=full_name, department=department, email=email
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), field="password") from None
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            audit_record(actor=actor, action="user.create", obj=user, region_code=user.region_id, role=role)
    except IntegrityError:
        raise Conflict(_("The username %(username)s is taken.") % {"username": username}, field="username") from None
    return user


def user_set_active(*, actor: User, user_id: int, is_active: bool) -> User:
    user = scoped_get(User.objects.all(), actor, "region", pk=user_id)
    _check_may_manage(actor, role=user.role, region_code=user.region_id)
    if user.pk == actor.pk:
        raise PermissionDenied(_("You cannot deactivate yourself."))
    # Conditional update: repeating the request is harmless.
    with transaction.atomic():
        changed = User.objects.filter(pk=user.pk).exclude(is_active=is_active).update(is_active=is_active)
        if not is_active:
            ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        if changed:
            audit_record(actor=actor, action="user.activate" if is_active else "user.deactivate", obj=user,
                         region_code=user.region_id)
    user.refresh_from_db()
    return user


def token_issue(*, username: str, password: str, name: str, client_ip: str | None = None) -> tuple[ApiToken, str]:
    """Check the credentials and return a new token and its raw value (shown once, never stored).
    Throttled per account and per client (accounts/throttle.py): over the limit the password is not checked."""
    throttle.signin_admit(username=username, client_ip=client_ip)
    user = authenticate(username=username, password=password)
    if user is None:
        throttle.signin_failed(username=username, client_ip=client_ip)
        raise PermissionDenied(_("Wrong username or password, or the account is inactive."))
    throttle.signin_succeeded(username=username)
    raw = "oc_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name or "api", digest=token_digest(raw), prefix=raw[:8])
    return token, raw


def token_revoke(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())

