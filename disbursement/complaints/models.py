from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintKind(models.TextChoices):
    COMPLAINT = "complaint", _("complaint or report (投诉举报)")
    OBJECTION = "objection", _("objection to a publicised roster (公示异议)")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "received", _("received")
    IN_PROGRESS = "in_progress", _("in progress")
    ANSWERED = "answered", _("answered")
    CLOSED = "closed", _("closed")


# Statuses from which a complaint may still be answered.
OPEN_STATUSES = (ComplaintStatus.RECEIVED, ComplaintStatus.IN_PROGRESS)


class Complaint(models.Model):
    """A resident's complaint or objection. It is routed by `region` to the staff whose subtree holds it,
    and followed by the resident through `tracking_number` alone (no account, no personal number)."""

    tracking_number = models.CharField(_("tracking number"), max_length=12, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=ComplaintKind.choices)
    # Free text from the public: rendered escaped, refused when it holds a whole personal number.
    subject = models.TextField(_("subject"), max_length=2000)
    contact_name = models.CharField(_("contact name"), max_length=50, blank=True)
    contact_phone_cipher = models.TextField(_("contact phone (encrypted)"), blank=True)
    contact_phone_masked = models.CharField(_("contact phone"), max_length=16, blank=True)
    region = models.ForeignKey("geo.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+",
                               help_text=_("The village, township or county the complaint concerns."))
    # Payments are a million-row table whose rows are never deleted: no database constraint to check.
    payment = models.ForeignKey("disbursement.Payment", verbose_name=_("payment"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="complaints", db_constraint=False)
    roster = models.ForeignKey("disbursement.Roster", verbose_name=_("roster"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="complaints")
    status = models.CharField(_("status"), max_length=12, choices=ComplaintStatus.choices,
                              default=ComplaintStatus.RECEIVED)
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("answered by"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["region", "status"], name="complaint_region_status")]
        constraints = [
            models.CheckConstraint(condition=models.Q(kind=ComplaintKind.COMPLAINT) | models.Q(roster__isnull=False),
                                   name="complaint_objection_has_roster"),
            models.CheckConstraint(
                condition=models.Q(status__in=OPEN_STATUSES) | models.Q(status=ComplaintStatus.CLOSED)
                | (models.Q(answered_at__isnull=False) & ~models.Q(answer="")),
                name="complaint_answered_has_answer",
            ),
        ]

    def __str__(self) -> str:
        # Never the subject: it is the resident's text, and __str__ ends up in logs and admin titles.
        return f"{self.get_kind_display()} {self.pk} ({self.status})"
