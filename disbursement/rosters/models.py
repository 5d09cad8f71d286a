from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    ROSTER = "roster", _("roster")
    DEATHS = "deaths", _("death registrations")
    CADRES = "cadres", _("village cadres")
    LAND = "land", _("land contracts")
    PAYROLL = "payroll", _("public payroll")
    VEHICLES = "vehicles", _("vehicles")
    ENTERPRISES = "enterprises", _("enterprise roles")
    PENSIONS = "pensions", _("pensions")
    MOVES = "moves", _("household moves")


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")
    FAILED = "failed", _("failed")


class ImportJob(models.Model):
    """One uploaded file and what became of it. The row *is* the job: a Celery task executes it, and a
    periodic sweep re-queues jobs a lost worker left queued or running."""

    kind = models.CharField(_("kind"), max_length=12, choices=ImportKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED,
                              db_index=True)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    file_name = models.CharField(_("file name"), max_length=255)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, db_index=True)
    item = models.ForeignKey("disbursement.Item", verbose_name=_("subsidy item"), null=True, blank=True,
                             on_delete=models.PROTECT)
    township = models.ForeignKey("geo.Region", verbose_name=_("township"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=7, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True,
                                    on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(
        "geo.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+",
        help_text=_("Whose jurisdiction the job belongs to: the township, or the uploader's region."),
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(_("first errors"), default=list, blank=True)
    message = models.TextField(_("message"), blank=True)
    report = models.FileField(_("error report"), upload_to="reports/%Y/%m/", blank=True)
    roster = models.OneToOneField("Roster", verbose_name=_("roster"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="import_job")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.pk} {self.file_name} ({self.status})"


class RosterStatus(models.TextChoices):
    VALIDATED = "validated", _("validated")
    PUBLICITY = "publicity", _("in publicity")
    TOWNSHIP_APPROVED = "township_approved", _("approved by township")
    DEPARTMENT_APPROVED = "department_approved", _("approved by department")
    FINANCE_APPROVED = "finance_approved", _("approved by finance")
    SENT = "sent", _("sent to bank")
    SETTLED = "settled", _("settled")
    PARTLY_FAILED = "partly_failed", _("partly failed")
    CLOSED = "closed", _("closed")
    REJECTED = "rejected", _("returned to clerk")


class Roster(models.Model):
    """发放清册: one subsidy item, one township, one period."""

    item = models.ForeignKey("disbursement.Item", verbose_name=_("subsidy item"), on_delete=models.PROTECT,
                             related_name="rosters")
    township = models.ForeignKey("geo.Region", verbose_name=_("township"), on_delete=models.PROTECT,
                                 related_name="rosters")
    period = models.CharField(_("period"), max_length=7)
    status = models.CharField(_("status"), max_length=20, choices=RosterStatus.choices,
                              default=RosterStatus.VALIDATED)
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64)
    # The window residents are owed runs from the moment the roster was published (the system's clock), never
    # from a date someone typed; the notice date is kept beside it as information only.
    publicity_started_at = models.DateTimeField(_("published at"), null=True, blank=True)
    publicity_end = models.DateField(_("publicity until"), null=True, blank=True,
                                     help_text=_("The last full day of publicity; township approval from the next "
                                                 "day on."))
    notice_posted_on = models.DateField(_("village notice posted on"), null=True, blank=True)
    rejected_reason = models.TextField(_("reason returned"), blank=True)
    line_count = models.PositiveIntegerField(_("lines"))
    total_fen = models.BigIntegerField(_("total (fen)"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("roster")
        verbose_name_plural = _("rosters")
        ordering = ["-created_at"]
        constraints = [
            # The same file cannot become two rosters of one township.
            models.UniqueConstraint(fields=["township", "file_sha256"], name="roster_file_once_per_township"),
        ]

    def __str__(self) -> str:
        return f"{self.item_id} {self.township_id} {self.period}"


class RosterLine(models.Model):
    """One person, one card: quantity × rate = amount, all integers (thousandths, fen, fen)."""

    roster = models.ForeignKey(Roster, verbose_name=_("roster"), on_delete=models.CASCADE, related_name="lines",
                               db_index=False)
    row_number = models.PositiveIntegerField(_("row in file"))
    # Person and card are written by one INSERT … SELECT joining both tables, so they exist when the line does,
    # and PROTECT keeps them from deletion through the ORM. A database foreign key would add a row lock on every
    # referenced person and card — two million locked rows for a million-line roster (see docs/benchmarks.md).
    person = models.ForeignKey("disbursement.Person", verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="roster_lines", db_constraint=False)
    # Indexes cost on every one of a million inserted lines: only those that queries use are kept.
    card = models.ForeignKey("disbursement.Card", verbose_name=_("card"), on_delete=models.PROTECT,
                             related_name="roster_lines", db_index=False, db_constraint=False)
    # The person's village when the roster was made (checked against the township on import); no constraint,
    # as each of a million lines would pay a foreign-key check for a row that regions never delete.
    village = models.ForeignKey("geo.Region", verbose_name=_("village"), on_delete=models.DO_NOTHING,
                                related_name="+", db_index=False, db_constraint=False)
    group = models.CharField(_("village group"), max_length=60, blank=True)
    quantity_milli = models.BigIntegerField(_("quantity (1/1000)"))
    rate_fen = models.BigIntegerField(_("rate (fen)"))
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    remark = models.CharField(_("remark"), max_length=200, blank=True)
    # Set when the roster is returned to the clerk, freeing its people for a corrected roster.
    is_void = models.BooleanField(_("void"), default=False)
    # Copied from the roster so that "once per person, item and period" is a database constraint.
    # No foreign-key constraint: it is the roster's item, checked there; the unique index below leads with it.
    item = models.ForeignKey("disbursement.Item", verbose_name=_("subsidy item"), on_delete=models.DO_NOTHING,
                             related_name="+", db_index=False, db_constraint=False)
    period = models.CharField(_("period"), max_length=7)

    class Meta:
        verbose_name = _("roster line")
        verbose_name_plural = _("roster lines")
        indexes = [models.Index(fields=["roster", "village"], name="line_roster_village")]
        constraints = [
            models.UniqueConstraint(fields=["item", "period", "person"], condition=models.Q(is_void=False),
                                    name="line_once_per_person_item_period"),
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="line_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.roster_id}:{self.row_number}"


class RosterApproval(models.Model):
    """Who moved a roster along its workflow, when, and why (for rejections)."""

    roster = models.ForeignKey(Roster, verbose_name=_("roster"), on_delete=models.CASCADE, related_name="approvals")
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from"), max_length=20, choices=RosterStatus.choices)
    to_status = models.CharField(_("to"), max_length=20, choices=RosterStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.PROTECT,
                              related_name="+")
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("roster approval")
        verbose_name_plural = _("roster approvals")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.roster_id} {self.action}"
