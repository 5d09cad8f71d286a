from django.contrib import admin


class NoticeAdmin(admin.ModelAdmin):
    """The outbox, read only: what was (or will be) sent to whom, the number masked. In the demo, where the
    sender only logs, this is where the SMS can be read."""

    list_display = ("created_at", "kind", "phone_masked", "text", "status", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("text", "dedup_key")
    date_hierarchy = "created_at"
    fields = ("kind", "phone_masked", "text", "status", "attempts", "last_error", "created_at", "sent_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
