"""Pre-aggregated payment facts the supervisor's desk reads instead of ten million payments.

Written only by disbursement.supervision.services.facts_refresh, which rebuilds one county at a time (delete and
insert in one transaction), so every table here is a function of the money path and can be rebuilt at will.
Region columns hold village codes: any level's subtree is a range, any level's rows a GROUP BY on a prefix.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentFact(models.Model):
    """Payments of one village, year, month and item, by what became of them.

    year: the year of the roster's period; month: when the money moved ("YYYY-MM" in Asia/Shanghai: settled, or
    created while unsettled). Failed counts every payment the bank failed (failed, re-issued or returned since);
    stopped counts payments a risk alert held before money left (held now, or held and then cancelled).
    """

    village = models.ForeignKey("geo.Region", verbose_name=_("village"), on_delete=models.DO_NOTHING,
                                related_name="+", db_constraint=False, db_index=False)
    year = models.PositiveSmallIntegerField(_("year"))
    month = models.CharField(_("month"), max_length=7)
    item = models.ForeignKey("disbursement.Item", verbose_name=_("subsidy item"), on_delete=models.DO_NOTHING,
                             related_name="+", db_constraint=False, db_index=False)
    category = models.CharField(_("category"), max_length=2)
    paid_fen = models.BigIntegerField(_("paid (fen)"), default=0)
    paid = models.PositiveIntegerField(_("paid payments"), default=0)
    failed_fen = models.BigIntegerField(_("failed (fen)"), default=0)
    failed = models.PositiveIntegerField(_("failed payments"), default=0)
    reissued_fen = models.BigIntegerField(_("re-issued (fen)"), default=0)
    reissued = models.PositiveIntegerField(_("re-issued payments"), default=0)
    returned_fen = models.BigIntegerField(_("returned (fen)"), default=0)
    returned = models.PositiveIntegerField(_("returned payments"), default=0)
    stopped_fen = models.BigIntegerField(_("stopped (fen)"), default=0)
    stopped = models.PositiveIntegerField(_("stopped payments"), default=0)
    open_fen = models.BigIntegerField(_("not yet settled (fen)"), default=0)
    open = models.PositiveIntegerField(_("payments not yet settled"), default=0)

    class Meta:
        verbose_name = _("payment fact")
        verbose_name_plural = _("payment facts")
        indexes = [models.Index(fields=["year", "village"], name="paymentfact_year_village")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.month} {self.item_id}"


class ReachScope(models.TextChoices):
    ALL = "all", _("all items")
    ITEM = "item", _("one item")
    CATEGORY = "category", _("one category")


class ReachFact(models.Model):
    """Distinct households and persons paid in one village and year, for all items, one item or one category.

    Distinct counts do not add across items, but they do across villages (a payment's village is one), so they
    are kept per village at the three grains the desk filters by. A payee without a household counts as one.
    """

    village = models.ForeignKey("geo.Region", verbose_name=_("village"), on_delete=models.DO_NOTHING,
                                related_name="+", db_constraint=False, db_index=False)
    year = models.PositiveSmallIntegerField(_("year"))
    scope = models.CharField(_("scope"), max_length=8, choices=ReachScope.choices)
    scope_code = models.CharField(_("item or category"), max_length=8, blank=True)
    households = models.PositiveIntegerField(_("households"))
    persons = models.PositiveIntegerField(_("persons"))

    class Meta:
        verbose_name = _("reach fact")
        verbose_name_plural = _("reach facts")
        indexes = [models.Index(fields=["year", "scope", "scope_code", "village"], name="reachfact_lookup")]

    def __str__(self) -> str:
        return f"{self.village_id} {self.year} {self.scope} {self.scope_code}"


class RegisterFact(models.Model):
    """Persons and households on the register living in one village (today)."""

    village = models.OneToOneField("geo.Region", verbose_name=_("village"), on_delete=models.DO_NOTHING,
                                   related_name="+", db_constraint=False, primary_key=True)
    persons = models.PositiveIntegerField(_("persons"))
    households = models.PositiveIntegerField(_("households"))

    class Meta:
        verbose_name = _("register fact")
        verbose_name_plural = _("register facts")

    def __str__(self) -> str:
        return self.village_id


class FactsRefresh(models.Model):
    """When one county's facts were last rebuilt; its row is also the lock two refreshes of a county take."""

    county = models.OneToOneField("geo.Region", verbose_name=_("county"), on_delete=models.DO_NOTHING,
                                  related_name="+", db_constraint=False, primary_key=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True)

    class Meta:
        verbose_name = _("facts refresh")
        verbose_name_plural = _("facts refreshes")

    def __str__(self) -> str:
        return f"{self.county_id} {self.refreshed_at}"
