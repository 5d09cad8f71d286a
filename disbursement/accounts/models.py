import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from disbursement.accounts.roles import STAFF_ROLES, Role
from disbursement.catalog.models import Department


class User(AbstractUser):
    """A person who works in the system, bound to one region: everything they see is inside its subtree."""

    role = models.CharField(_("role"), max_length=32, choices=Role.choices, default=Role.TOWNSHIP_CLERK)
    region = models.ForeignKey(
        "geo.Region", verbose_name=_("region"), on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    department = models.CharField(
        _("department"), max_length=32, choices=Department.choices, blank=True,
        help_text=_("For county department users: the department whose items they review."),
    )
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    # Who the user is in the register, set by the administrator: lets rule C3 see a clerk paying themselves.
    person = models.ForeignKey(
        "disbursement.Person", verbose_name=_("person in the register"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("The register's record of this user, so risk checks can tell when staff pay themselves."),
    )

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            # Only a technical superuser may exist without a region; everyone else is scoped by one.
            models.CheckConstraint(
                condition=models.Q(is_superuser=True) | models.Q(region__isnull=False),
                name="user_region_unless_superuser",
            ),
        ]

    def save(self, *args, **kwargs):
        # Admin access follows the role, so it cannot drift from what the role allows.
        self.is_staff = self.is_superuser or self.role in STAFF_ROLES
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.full_name or self.username


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the raw value is shown once."""

    user = models.ForeignKey(User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    prefix = models.CharField(_("prefix"), max_length=8, help_text=_("The first characters, to tell tokens apart."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"
