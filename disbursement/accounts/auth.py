"""Authentication: model permissions from the role, and bearer tokens for the JSON API."""

from django.contrib.auth.backends import ModelBackend
from django.utils import timezone
from ninja.security import HttpBearer

from disbursement.accounts.models import ApiToken, token_digest
from disbursement.accounts.roles import role_permissions


class RoleBackend(ModelBackend):
    """ModelBackend whose group permissions are the user's role permissions (accounts.roles)."""

    def get_group_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        return set(role_permissions(getattr(user_obj, "role", "")))


class TokenAuth(HttpBearer):
    def authenticate(self, request, token: str):
        token_row = (
            ApiToken.objects.select_related("user", "user__region")
            .filter(digest=token_digest(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token_row is None:
            return None
        # Record use at most once a minute, so a busy client does not write on every request.
        now = timezone.now()
        if token_row.last_used_at is None or (now - token_row.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token_row.pk).update(last_used_at=now)
        request.user = token_row.user
        request.api_token = token_row
        return token_row.user
