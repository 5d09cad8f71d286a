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
    # Other apps narrow the autocomplete of their own region fields (a user's jurisdiction, say) without geo
    # knowing them: (app_label, model_name, field_name) -> function(request, queryset) -> queryset.
    autocomplete_scopes: dict = {}

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        source = (request.GET.get("app_label"), request.GET.get("model_name"), request.GET.get("field_name"))
        scope = self.autocomplete_scopes.get(source)
        if scope is not None:
            queryset = scope(request, queryset)
        return queryset, may_have_duplicates

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
