"""Budget indicators (预算指标) and their double-entry ledger.

Money of an indicator is always in exactly one state — available, reserved, paid, returned — or still
"source" (the budget authority's side of an issue or adjustment). Every movement debits one state and
credits another by the same amount; balances are sums over the movements, never stored or edited.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class FundingLevel(models.TextChoices):
    CENTRAL = "central", _("central")
    PROVINCIAL = "provincial", _("provincial")
    CITY = "city", _("city")
    COUNTY = "county", _("county")


class LedgerState(models.TextChoices):
    SOURCE = "source", _("budget source")
    AVAILABLE = "available", _("available")
    RESERVED = "reserved", _("reserved")
    PAID = "paid", _("paid")
    RETURNED = "returned", _("returned")


class Movement(models.TextChoices):
    ISSUE = "issue", _("issue")
    ADJUST_UP = "adjust_up", _("adjustment up")
    ADJUST_DOWN = "adjust_down", _("adjustment down")
    RESERVE = "reserve", _("reservation")
    RELEASE = "release", _("release")
    PAY = "pay", _("payment")
    RETURN = "return", _("return")


# Each movement moves money from one state (debit) to another (credit).
MOVES: dict[str, tuple[str, str]] = {
    Movement.ISSUE: (LedgerState.SOURCE, LedgerState.AVAILABLE),
    Movement.ADJUST_UP: (LedgerState.SOURCE, LedgerState.AVAILABLE),
    Movement.ADJUST_DOWN: (LedgerState.AVAILABLE, LedgerState.SOURCE),
    Movement.RESERVE: (LedgerState.AVAILABLE, LedgerState.RESERVED),
    Movement.RELEASE: (LedgerState.RESERVED, LedgerState.AVAILABLE),
    Movement.PAY: (LedgerState.RESERVED, LedgerState.PAID),
    Movement.RETURN: (LedgerState.RESERVED, LedgerState.RETURNED),
}


class Indicator(models.Model):
    document_number = models.CharField(_("document number"), max_length=80, unique=True)
    item = models.ForeignKey("disbursement.Item", verbose_name=_("subsidy item"), on_delete=models.PROTECT,
                             related_name="indicators")
    county = models.ForeignKey("geo.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="indicators")
    fiscal_year = models.PositiveSmallIntegerField(_("fiscal year"))
    funding_level = models.CharField(_("funding level"), max_length=12, choices=FundingLevel.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("budget indicator")
        verbose_name_plural = _("budget indicators")
        ordering = ["fiscal_year", "document_number"]
        indexes = [models.Index(fields=["item", "county", "fiscal_year"], name="indicator_item_county_year")]

    def __str__(self) -> str:
        return self.document_number


class LedgerEntry(models.Model):
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.PROTECT,
                                  related_name="entries")
    movement = models.CharField(_("movement"), max_length=12, choices=Movement.choices)
    debit = models.CharField(_("from"), max_length=10, choices=LedgerState.choices)
    credit = models.CharField(_("to"), max_length=10, choices=LedgerState.choices)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    roster = models.ForeignKey("disbursement.Roster", verbose_name=_("roster"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="ledger_entries")
    reference = models.CharField(_("reference"), max_length=80, blank=True,
                                 help_text=_("What caused the movement: an adjustment's reason, a bank file …"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(condition=~models.Q(debit=models.F("credit")), name="ledger_moves_between_states"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.movement} {self.amount_fen}"
