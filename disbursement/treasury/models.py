"""Treasury cash (库款): each region's daily statements, the coverage level and band derived from them, the
thresholds that draw the bands, and transfers the level above has scheduled. Written only by
disbursement.treasury.services."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TreasuryBand(models.TextChoices):
    WARNING = "warning", _("treasury warning")
    LOW = "low", _("treasury low")
    NORMAL = "normal", _("treasury normal")
    IDLE = "idle", _("treasury idle")


class TreasuryImport(models.Model):
    """One accepted statement file: which statements came from where, and who sent them."""

    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, db_index=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_inserted = models.PositiveIntegerField(_("new days"), default=0)
    rows_replaced = models.PositiveIntegerField(_("corrected days"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("treasury statement import")
        verbose_name_plural = _("treasury statement imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.pk} {self.file_name}"


class TreasuryStatement(models.Model):
    """One region's treasury account on one day: opening + inflow − outflow = closing, all in fen.
    The breakdown columns are optional (NULL when the file did not carry them)."""

    # No database constraint (the import checks every code against the regions, which are never deleted): a
    # deferred foreign-key check per row would run half a million lookups at COMMIT of a ten-year import.
    region = models.ForeignKey("geo.Region", verbose_name=_("region"), on_delete=models.DO_NOTHING,
                               related_name="+", db_index=False, db_constraint=False)
    day = models.DateField(_("day"))
    opening_fen = models.BigIntegerField(_("opening balance (fen)"))
    inflow_fen = models.BigIntegerField(_("inflow (fen)"))
    outflow_fen = models.BigIntegerField(_("outflow (fen)"))
    closing_fen = models.BigIntegerField(_("closing balance (fen)"))
    inflow_transfer_fen = models.BigIntegerField(_("inflow: transfers from above (fen)"), null=True, blank=True)
    inflow_tax_fen = models.BigIntegerField(_("inflow: tax (fen)"), null=True, blank=True)
    inflow_bond_fen = models.BigIntegerField(_("inflow: bonds (fen)"), null=True, blank=True)
    inflow_other_fen = models.BigIntegerField(_("inflow: other (fen)"), null=True, blank=True)
    outflow_wages_fen = models.BigIntegerField(_("outflow: wages (fen)"), null=True, blank=True)
    outflow_subsidy_fen = models.BigIntegerField(_("outflow: subsidies (fen)"), null=True, blank=True)
    outflow_other_fen = models.BigIntegerField(_("outflow: other (fen)"), null=True, blank=True)
    # No database constraint: half a million rows are written by one INSERT … SELECT from a staging table,
    # and imports are never deleted.
    import_job = models.ForeignKey(TreasuryImport, verbose_name=_("import"), null=True, blank=True,
                                   on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                                   db_constraint=False)
    imported_at = models.DateTimeField(_("imported at"))

    class Meta:
        verbose_name = _("treasury statement")
        verbose_name_plural = _("treasury statements")
        ordering = ["region", "day"]
        constraints = [
            models.UniqueConstraint(fields=["region", "day"], name="treasury_statement_once_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.day}"


class TreasuryLevel(models.Model):
    """Coverage level (库款保障水平) of one region on one statement day, and its band; recomputed from the
    statements (see services.levels_recompute for the definition)."""

    region = models.ForeignKey("geo.Region", verbose_name=_("region"), on_delete=models.DO_NOTHING,
                               related_name="+", db_index=False, db_constraint=False)
    day = models.DateField(_("day"))
    closing_fen = models.BigIntegerField(_("closing balance (fen)"))
    avg_monthly_outflow_fen = models.BigIntegerField(_("average monthly outflow (fen)"))
    level = models.DecimalField(_("coverage level"), max_digits=14, decimal_places=4, null=True, blank=True)
    band = models.CharField(_("band"), max_length=8, choices=TreasuryBand.choices)
    days_of_cover = models.DecimalField(_("days of cover"), max_digits=10, decimal_places=1, null=True,
                                        blank=True)

    class Meta:
        verbose_name = _("treasury level")
        verbose_name_plural = _("treasury levels")
        ordering = ["region", "day"]
        constraints = [
            models.UniqueConstraint(fields=["region", "day"], name="treasury_level_once_per_day"),
        ]
        indexes = [models.Index(fields=["band", "day"], name="treasury_level_band_day")]

    def __str__(self) -> str:
        return f"{self.region_id} {self.day} {self.band}"


class TreasurySettings(models.Model):
    """The one row of thresholds (pk=1); the province administrator edits it in the admin."""

    warning_below = models.DecimalField(_("warning below level"), max_digits=6, decimal_places=4,
                                        default=Decimal("0.3"))
    low_below = models.DecimalField(_("low below level"), max_digits=6, decimal_places=4, default=Decimal("0.5"))
    idle_above = models.DecimalField(_("idle above level"), max_digits=6, decimal_places=4, default=Decimal("0.8"))
    window_months = models.PositiveSmallIntegerField(_("averaging window (months)"), default=12)
    idle_days = models.PositiveSmallIntegerField(_("idle days before an alert"), default=30)
    forecast_months = models.PositiveSmallIntegerField(_("forecast months"), default=3)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("treasury settings")
        verbose_name_plural = _("treasury settings")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="treasury_settings_singleton"),
            models.CheckConstraint(
                condition=models.Q(warning_below__lte=models.F("low_below"))
                & models.Q(low_below__lte=models.F("idle_above")),
                name="treasury_settings_thresholds_ordered",
            ),
            models.CheckConstraint(condition=models.Q(window_months__gte=1), name="treasury_settings_window"),
        ]

    def __str__(self) -> str:
        return "treasury settings"


class ScheduledTransfer(models.Model):
    """A transfer the city or province has scheduled to a county for a month (counted in the forecast)."""

    region = models.ForeignKey("geo.Region", verbose_name=_("county"), on_delete=models.PROTECT,
                               related_name="+")
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    document = models.CharField(_("document number"), max_length=100)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scheduled transfer")
        verbose_name_plural = _("scheduled transfers")
        ordering = ["region", "month"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="scheduled_transfer_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.month} {self.amount_fen}"
