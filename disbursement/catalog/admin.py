from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from disbursement.accounts.admin import JurisdictionAdminMixin
from disbursement.catalog.eligibility import eligibility_validate
from disbursement.catalog.models import Item, Standard
from disbursement.catalog.standards import StandardInput, standard_create, standard_problems
from disbursement.money import fen_to_yuan, yuan_to_fen


class ItemForm(forms.ModelForm):
    class Meta:
        model = Item
        fields = (
            "code", "category", "name", "name_en", "department", "unit", "standard_fen", "standard_rule", "frequency",
            "share_central", "share_provincial", "share_city", "share_county", "publicity_days", "eligibility",
            "is_active", "card_paid", "scope_reason", "source",
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
    list_filter = ("category", "department", "unit", "frequency", "is_active", "card_paid")
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


class StandardForm(forms.ModelForm):
    """A new standard from its effective date (an open one of the same item, region and band is closed the day
    before). Checked and written by catalog.standards, so the admin obeys the same rules and audit as the
    import."""

    actor = None  # set per request by StandardAdmin.get_form
    amount_yuan = forms.CharField(label=_("amount (yuan)"), max_length=20)

    class Meta:
        model = Standard
        fields = ("item", "region", "band", "valid_from", "valid_to", "document")

    def clean(self):
        data = super().clean()
        try:
            data["amount_fen"] = yuan_to_fen(data.get("amount_yuan", ""))
        except ValueError:
            self.add_error("amount_yuan", _("Not an amount in yuan with at most two decimals."))
            return data
        if self.errors or not data.get("item") or not data.get("region"):
            return data
        self.entry = StandardInput(
            item_code=data["item"].code, region_code=data["region"].code, valid_from=data["valid_from"],
            valid_to=data.get("valid_to"), amount_fen=data["amount_fen"], band=data.get("band") or "",
            document=data.get("document") or "")
        for field, _code, message in standard_problems(self.entry, actor=self.actor):
            field = {"region_code": "region", "amount": "amount_yuan"}.get(field, field)
            self.add_error(field if field in self.fields else None, message)
        return data


class StandardAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Province admin sees and sets every standard; county finance its county's and its townships'."""

    form = StandardForm
    list_display = ("item", "region", "band", "valid_from", "valid_to", "amount", "document", "created_by")
    list_filter = ("item__category", "from_catalog")
    search_fields = ("item__code", "item__name", "region__name", "document")
    list_select_related = ("item", "region", "created_by")
    raw_id_fields = ("region",)
    date_hierarchy = "valid_from"

    @admin.display(description=_("amount (yuan)"))
    def amount(self, standard):
        return fen_to_yuan(standard.amount_fen)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        return form

    def has_change_permission(self, request, obj=None):
        return False  # a standard a roster may have been checked against is never edited: set a new one instead

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        created = standard_create(actor=request.user, entry=form.entry)
        obj.pk = created.pk
