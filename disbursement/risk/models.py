"""What the provincial administrator tunes about each risk rule: on/off and its thresholds (the rules themselves
are Python in disbursement.risk.rules; no code is stored in the database)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleSetting(models.Model):
    code = models.CharField(_("rule"), max_length=16, primary_key=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    thresholds = models.JSONField(_("thresholds"), default=dict, blank=True,
                                  help_text=_("Overrides of the rule's default thresholds, by name."))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("risk rule setting")
        verbose_name_plural = _("risk rule settings")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code
