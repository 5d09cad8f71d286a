from django import forms
from django.contrib import admin
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disbursement.alerts.models import Severity
from disbursement.risk.base import RULES
from disbursement.risk.models import RuleSetting
from disbursement.risk.services import rule_settings_sync


def _same_type(value, default) -> bool:
    # bool is an int to Python; a switch must stay a switch and a number a number.
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(default, int):
        return isinstance(value, int)
    if isinstance(default, float):
        return isinstance(value, int | float)
    return isinstance(value, type(default))


class RuleSettingForm(forms.ModelForm):
    class Meta:
        model = RuleSetting
        fields = ("enabled", "thresholds")

    def clean_thresholds(self):
        thresholds = self.cleaned_data["thresholds"] or {}
        if not isinstance(thresholds, dict):
            raise forms.ValidationError(_("Thresholds must be a JSON object of names and values."))
        defaults = RULES[self.instance.code].defaults
        problems = []
        for name, value in thresholds.items():
            if name not in defaults:
                problems.append(_("%(name)s is not a threshold of this rule (it has: %(names)s).")
                                % {"name": name, "names": ", ".join(defaults) or "—"})
            elif not _same_type(value, defaults[name]):
                problems.append(_("%(name)s must be a %(type)s like its default %(default)s.")
                                % {"name": name, "type": type(defaults[name]).__name__,
                                   "default": defaults[name]})
        if problems:
            raise forms.ValidationError(problems)
        return thresholds


class RuleSettingAdmin(admin.ModelAdmin):
    form = RuleSettingForm
    list_display = ("code", "rule_name", "family", "severity", "enabled", "needs", "defaults", "thresholds")
    list_filter = ("enabled",)
    fields = ("code", "rule_name", "family", "severity", "needs", "defaults", "enabled", "thresholds")
    readonly_fields = ("code", "rule_name", "family", "severity", "needs", "defaults")

    def changelist_view(self, request, extra_context=None):
        # Rules are code: a rule added since the last visit gets its (default) setting row here.
        rule_settings_sync()
        return super().changelist_view(request, extra_context)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _rule(self, obj):
        return RULES.get(obj.code)

    @admin.display(description=gettext_lazy("name"))
    def rule_name(self, obj):
        rule = self._rule(obj)
        return f"{rule.name} ({rule.name_en})" if rule else "—"

    @admin.display(description=gettext_lazy("family"))
    def family(self, obj):
        rule = self._rule(obj)
        return rule.family if rule else "—"

    @admin.display(description=gettext_lazy("severity"))
    def severity(self, obj):
        rule = self._rule(obj)
        return Severity(rule.severity).label if rule else "—"

    @admin.display(description=gettext_lazy("registers needed"))
    def needs(self, obj):
        rule = self._rule(obj)
        return ", ".join(rule.needs) if rule else "—"

    @admin.display(description=gettext_lazy("default thresholds"))
    def defaults(self, obj):
        rule = self._rule(obj)
        return rule.defaults if rule else "—"
