from django.contrib import admin

from geo.models import Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    """Regions come from the official file (load_reference); names may be corrected here."""

    list_display = ("code", "name", "level", "parent", "is_statistical")
    list_filter = ("level", "is_statistical")
    search_fields = ("code", "name")
    readonly_fields = ("code", "level", "parent")
    list_select_related = ("parent",)
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
