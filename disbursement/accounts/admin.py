from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from disbursement.accounts.roles import MANAGEABLE_ROLES, Role
from disbursement.accounts.scoping import in_jurisdiction, scoped
from disbursement.accounts.services import user_role_check
from disbursement.errors import ValidationFailed
from geo.admin import RegionAdmin
from geo.models import Region, RegionLevel


class JurisdictionAdminMixin:
    """Admin rows limited to the signed-in user's region subtree; `jurisdiction_field` names the region path."""

    jurisdiction_field = "region"

    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user, self.jurisdiction_field)

    def jurisdiction_code(self, obj) -> str | None:
        return obj.region_id

    def _in_scope(self, request, obj) -> bool:
        return obj is None or in_jurisdiction(request.user, self.jurisdiction_code(obj))

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._in_scope(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._in_scope(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._in_scope(request, obj)


def _manageable_roles(user) -> frozenset[str]:
    return frozenset(Role.values) if user.is_superuser else MANAGEABLE_ROLES.get(user.role, frozenset())


class ScopedUserForm(forms.ModelForm):
    """Checks role against region level, and that the editor may manage that role in that region."""

    actor = None  # set per request by UserAdmin.get_form

    def clean(self):
        data = super().clean()
        role, region = data.get("role"), data.get("region")
        if not self.instance.is_superuser and role:
            try:
                user_role_check(role=role, region=region, department=data.get("department", ""))
            except ValidationFailed as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.message)
            if role not in _manageable_roles(self.actor):
                self.add_error("role", _("You may not manage users with this role."))
            if region is not None and not in_jurisdiction(self.actor, region.code):
                self.add_error("region", _("That region is outside your jurisdiction."))
        return data


def user_region_choices(request, regions):
    """The regions a user may be bound to by this editor: its own subtree, no villages, no statistics-only zones."""
    regions = regions.exclude(level=RegionLevel.VILLAGE).exclude(is_statistical=True)
    return scoped(regions, request.user, "code")


# The user form's region field is a search (admin autocomplete) over these, not a 2,000-option drop-down.
RegionAdmin.autocomplete_scopes[("disbursement", "user", "region")] = user_region_choices


class UserAdmin(JurisdictionAdminMixin, BaseUserAdmin):
    list_display = ("username", "full_name", "role", "region", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username", "full_name", "email")
    ordering = ("region_id", "username")
    list_select_related = ("region",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("full_name", "email", "person")}),
        (_("Role and jurisdiction"), {"fields": ("role", "region", "department", "is_active")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Role and jurisdiction"), {"fields": ("full_name", "role", "region", "department")}),
    )
    readonly_fields = ("last_login", "date_joined")
    autocomplete_fields = ("region",)
    raw_id_fields = ("person",)  # the register holds millions of persons: an id, not a drop-down

    def get_form(self, request, obj=None, **kwargs):
        base = super().get_form(request, obj, **kwargs)
        return type(base.__name__, (ScopedUserForm, base), {"actor": request.user})

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "region":
            kwargs["queryset"] = user_region_choices(request, Region.objects.all())
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            allowed = _manageable_roles(request.user)
            kwargs["choices"] = [(value, label) for value, label in Role.choices if value in allowed]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.role not in _manageable_roles(request.user):
            return False
        return super().has_change_permission(request, obj)


class ApiTokenAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    jurisdiction_field = "user__region"
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("user", "name", "prefix", "created_at", "last_used_at", "revoked_at")
    exclude = ("digest",)

    def has_add_permission(self, request):
        return False  # tokens are issued through the API, where the raw value can be shown once

    def jurisdiction_code(self, obj) -> str | None:
        return obj.user.region_id
