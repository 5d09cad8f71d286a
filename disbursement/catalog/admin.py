from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from disbursement.catalog.eligibility import eligibility_validate
from disbursement.catalog.models import Item
from disbursement.money import fen_to_yuan


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = (
            "code", "category", "name", "name_en", "department", "unit", "standard_fen", "standard_rule", "frequency",
            "share_central", "share_provincial", "share_city", "share_county", "publicity_days", "eligibility",
            "is_active",
        )

    def clean_eligibility(self):
        rules = self.cleaned_data["eligibility"]
        problems = eligibility_validate(rules)
        if problems:
            raise forms.ValidationError(problems)
        return rules

    def clean(self):
        data = super().clean()
        shares = [data.get(f"share_{level}") or 0 for level in ("central", "provincial", "city", "county")]
        if sum(shares) != 100:
            raise forms.ValidationError(_("Funding shares must sum to 100%% (now %(sum)s%%).") % {"sum": sum(shares)})
        return data


class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "basic_livelihood")
    search_fields = ("code", "name", "name_en")


class ItemAdmin(admin.ModelAdmin):
    form = ItemForm
    list_display = ("code", "name", "category", "department", "standard_yuan", "unit", "frequency", "publicity_days",
                    "is_active")
    list_filter = ("category", "department", "unit", "frequency", "is_active")
    search_fields = ("code", "name", "name_en")
    list_select_related = ("category",)
    readonly_fields = ("catalog_version", "updated_at")

    @admin.display(description=_("standard (yuan)"))
    def standard_yuan(self, item):
        return "—" if item.standard_fen is None else fen_to_yuan(item.standard_fen)


class CatalogReleaseAdmin(admin.ModelAdmin):
    list_display = ("version", "categories", "items", "loaded_at", "checksum")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
