from django.db import models
from django.utils.translation import gettext_lazy as _

from disbursement.pii import unseal


class PaymentStatus(models.TextChoices):
    PENDING = "pending", _("approved, awaiting bank file")
    SENT = "sent", _("sent to bank")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")
    REISSUED = "reissued", _("re-issued")
    RETURNED = "returned", _("returned to indicator")
    CANCELLED = "cancelled", _("cancelled")
    # Stopped before payment (事前拦截): an open high-severity alert stands against the line; the money stays
    # reserved until the alert is dismissed (the payment goes out in the next bank file) or the line is voided.
    HELD = "held", _("held by a risk alert")


class Payment(models.Model):
    """One payment instruction: a roster line's amount to one card, funded by one indicator.

    The payee's name, card and village are frozen here when the roster is approved, so later edits of the
    register never change what was paid. A re-issue after a failure is a new payment pointing at the old one.
    """

    reference = models.CharField(_("reference"), max_length=32, unique=True)
    roster = models.ForeignKey("disbursement.Roster", verbose_name=_("roster"), on_delete=models.PROTECT,
                               related_name="payments", db_index=False)
    # A million payments are inserted by one approval and updated by one return file: each index costs on every
    # row, so only the ones queries use exist (reference, person, roster+status).
    line = models.ForeignKey("disbursement.RosterLine", verbose_name=_("roster line"), on_delete=models.PROTECT,
                             related_name="payments", db_constraint=False, db_index=False)
    indicator = models.ForeignKey("disbursement.Indicator", verbose_name=_("indicator"), on_delete=models.PROTECT,
                                  related_name="payments", db_constraint=False, db_index=False)
    person = models.ForeignKey("disbursement.Person", verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="payments", db_constraint=False)
    card = models.ForeignKey("disbursement.Card", verbose_name=_("card"), on_delete=models.PROTECT,
                             related_name="payments", db_index=False, db_constraint=False)
    payee_name = models.CharField(_("payee name"), max_length=50)
    card_masked = models.CharField(_("card number"), max_length=24)
    bank = models.CharField(_("bank"), max_length=60, blank=True)
    village = models.ForeignKey("geo.Region", verbose_name=_("village"), on_delete=models.DO_NOTHING,
                                related_name="+", db_index=False, db_constraint=False)
    amount_fen = models.BigIntegerField(_("amount (fen)"))
    status = models.CharField(_("status"), max_length=10, choices=PaymentStatus.choices,
                              default=PaymentStatus.PENDING)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    previous = models.OneToOneField("self", verbose_name=_("re-issue of"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="reissue")
    bank_file = models.ForeignKey("disbursement.BankFile", verbose_name=_("bank file"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="payments")
    result_code = models.CharField(_("bank result code"), max_length=8, blank=True)
    bank_txn = models.CharField(_("bank transaction"), max_length=40, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    # When a risk alert first held the payment; kept after release or void, so "stopped before payment" can
    # count the lines an alert held (disbursement.payments.holds).
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        indexes = [models.Index(fields=["roster", "status"], name="payment_roster_status")]
        constraints = [models.CheckConstraint(condition=models.Q(amount_fen__gt=0), name="payment_amount_positive")]

    def __str__(self) -> str:
        return self.reference


class BankFile(models.Model):
    """A payment file (代发文件) for one agent bank, and later the return file (回盘文件) that answers it."""

    roster = models.ForeignKey("disbursement.Roster", verbose_name=_("roster"), on_delete=models.PROTECT,
                               related_name="bank_files")
    bank = models.CharField(_("bank"), max_length=60)
    sequence = models.PositiveSmallIntegerField(_("sequence"), help_text=_("1 for the first file, 2+ for re-issues"))
    file_id = models.CharField(_("file id"), max_length=40, unique=True)
    content = models.BinaryField(_("payment file (sealed)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    record_count = models.PositiveIntegerField(_("records"))
    total_fen = models.BigIntegerField(_("total (fen)"))
    return_sha256 = models.CharField(_("return file SHA-256"), max_length=64, blank=True)
    returned_at = models.DateTimeField(_("return imported at"), null=True, blank=True)
    created_by = models.ForeignKey("disbursement.User", verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bank file")
        verbose_name_plural = _("bank files")
        constraints = [models.UniqueConstraint(fields=["roster", "bank", "sequence"], name="bankfile_once")]

    def __str__(self) -> str:
        return self.file_id

    def payment_file_bytes(self) -> bytes:
        """The payment file as the bank gets it; stored sealed, since it carries whole card numbers."""
        return unseal(bytes(self.content))
