"""Roles, the region levels they sit at, and what each may do.

Model permissions derive from the role here (see accounts.auth.RoleBackend), so there is one place to
read who may do what; row-level reach is the user's region subtree (see accounts.scoping).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCE_ADMIN = "province_admin", _("Provincial administrator")
    COUNTY_FINANCE = "county_finance", _("County finance")
    COUNTY_DEPARTMENT = "county_department", _("County department")
    TOWNSHIP_CLERK = "township_clerk", _("Township clerk")
    SUPERVISOR = "supervisor", _("Supervisor")


# The region levels a user of each role may be bound to.
ROLE_LEVELS: dict[str, frozenset[str]] = {
    Role.PROVINCE_ADMIN: frozenset({"province"}),
    Role.COUNTY_FINANCE: frozenset({"county"}),
    Role.COUNTY_DEPARTMENT: frozenset({"county"}),
    Role.TOWNSHIP_CLERK: frozenset({"township"}),
    Role.SUPERVISOR: frozenset({"province", "city", "county"}),
}

# Roles that use the Django admin (with their model permissions below, scoped to their subtree).
STAFF_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.COUNTY_FINANCE})

# Which roles a user of each role may create and (de)activate, inside its own subtree.
MANAGEABLE_ROLES: dict[str, frozenset[str]] = {
    Role.PROVINCE_ADMIN: frozenset(Role.values),
    Role.COUNTY_FINANCE: frozenset({Role.COUNTY_DEPARTMENT, Role.TOWNSHIP_CLERK}),
}

_ALL = ("view", "add", "change", "delete")
ROLE_MODEL_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Role.PROVINCE_ADMIN: {
        "disbursement.user": ("view", "add", "change"),
        "disbursement.apitoken": ("view", "delete"),
        "disbursement.category": _ALL,
        "disbursement.item": _ALL,
        "disbursement.catalogrelease": ("view",),
        "disbursement.standard": ("view", "add"),
        "geo.region": ("view", "change"),
        "disbursement.rulesetting": ("view", "change"),
        "disbursement.treasurysettings": ("view", "change"),
        "disbursement.notice": ("view",),  # the outbox (in the demo, where its SMS can be read)
    },
    Role.COUNTY_FINANCE: {
        "disbursement.user": ("view", "add", "change"),
        "disbursement.category": ("view",),
        "disbursement.item": ("view",),
        "disbursement.standard": ("view", "add"),
        # Read-only: the user form's region search (admin autocomplete) reads the Region admin.
        "geo.region": ("view",),
    },
    Role.COUNTY_DEPARTMENT: {"disbursement.user": ("view",), "disbursement.item": ("view",)},
    Role.TOWNSHIP_CLERK: {"disbursement.user": ("view",), "disbursement.item": ("view",)},
    Role.SUPERVISOR: {"disbursement.user": ("view",), "disbursement.item": ("view",)},
}


def role_permissions(role: str) -> frozenset[str]:
    """'app_label.action_model' strings, the form Django's has_perm() takes."""
    perms = set()
    for model_label, actions in ROLE_MODEL_PERMISSIONS.get(role, {}).items():
        app_label, model = model_label.split(".")
        perms.update(f"{app_label}.{action}_{model}" for action in actions)
    return frozenset(perms)
