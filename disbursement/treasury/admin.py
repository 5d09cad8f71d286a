from django.contrib import admin


class TreasurySettingsAdmin(admin.ModelAdmin):
    list_display = ("warning_below", "low_below", "idle_above", "window_months", "idle_days", "forecast_months",
                    "updated_at")

    def has_add_permission(self, request):
        # One row (pk=1), made with its defaults by selectors.treasury_settings().
        from disbursement.treasury.models import TreasurySettings

        return not TreasurySettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False
