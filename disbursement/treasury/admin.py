from django.contrib import admin, messages
from django.utils.translation import gettext as _


class TreasurySettingsAdmin(admin.ModelAdmin):
    list_display = ("warning_below", "low_below", "idle_above", "window_months", "idle_days", "forecast_months",
                    "updated_at")

    def changelist_view(self, request, extra_context=None):
        # The one row exists from the first visit on, with its defaults.
        from disbursement.treasury.selectors import treasury_settings

        treasury_settings()
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Thresholds and the window decide every stored level and band: recompute them all with the new ones."""
        from disbursement.treasury.services import levels_recompute

        super().save_model(request, obj, form, change)
        written = levels_recompute()
        messages.info(request, _("%(count)s treasury levels recomputed with the new settings.") % {"count": written})
