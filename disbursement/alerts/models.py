"""Alerts: one row for everything that warns (risk rules, treasury), worked by people to closure.

An alert is keyed by its source, rule and subjects (`key`), so a rule firing again on the same facts updates
the same row. Its subjects are rows of their own (AlertSubject) so that "does this roster line have an open
high-severity alert" is one indexed lookup, which is what the pre-payment hold asks a million times.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertSource(models.TextChoices):
    RISK = "risk", _("risk rule")
    TREASURY = "treasury", _("treasury cash")


class Severity(models.TextChoices):
    HIGH = "high", _("high")
    MEDIUM = "medium", _("medium")
    LOW = "low", _("low")


class AlertStatus(models.TextChoices):
    NEW = "new", _("new")
    ASSIGNED = "assigned", _("assigned")
    VERIFYING = "verifying", _("verifying")
    CONFIRMED = "confirmed", _("confirmed")
    DISMISSED = "dismissed", _("dismissed")
    RECTIFYING = "rectifying", _("rectifying")
    CLOSED = "closed", _("closed")


# Statuses in which an alert still stands against its subjects (a high one holds their payments).
OPEN_STATUSES = (AlertStatus.NEW, AlertStatus.ASSIGNED, AlertStatus.VERIFYING, AlertStatus.CONFIRMED,
                 AlertStatus.RECTIFYING)


class SubjectKind(models.TextChoices):
    LINE = "line", _("roster line")
    PAYMENT = "payment", _("payment")
    PERSON = "person", _("person")
    CARD = "card", _("card")
    ROSTER = "roster", _("roster")
    INDICATOR = "indicator", _("budget indicator")
    BANK_FILE = "bank_file", _("bank file")
    REGION = "region", _("region")


class Alert(models.Model):
    key = models.CharField(_("key"), max_length=64, unique=True,
                           help_text=_("Digest of source, rule and subjects: the same facts update the same alert."))
    source = models.CharField(_("source"), max_length=10, choices=AlertSource.choices)
    rule = models.CharField(_("rule"), max_length=16, db_index=True)
    severity = models.CharField(_("severity"), max_length=6, choices=Severity.choices)
    status = models.CharField(_("status"), max_length=12, choices=AlertStatus.choices, default=AlertStatus.NEW)
    # The lowest region that contains every subject: jurisdiction and the queue's region filter read it.
    region = models.ForeignKey("geo.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    item = models.ForeignKey("disbursement.Item", verbose_name=_("subsidy item"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    period = models.CharField(_("period"), max_length=7, blank=True)
    roster = models.ForeignKey("disbursement.Roster", verbose_name=_("roster"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+", db_constraint=False)
    summary = models.CharField(_("summary"), max_length=300, help_text=_("One sentence in Chinese."))
    evidence = models.JSONField(_("evidence"), default=dict,
                                help_text=_("The facts that made the rule fire, readable by a person."))
    # Digest of the evidence's facts: a dismissed alert fires again only when these change.
    facts_hash = models.CharField(_("facts digest"), max_length=64)
    amount_fen = models.BigIntegerField(_("amount at risk (fen)"), default=0)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    finding = models.TextField(_("finding"), blank=True)
    dismiss_reason = models.TextField(_("reason dismissed"), blank=True)
    recovery_due_fen = models.BigIntegerField(_("recovery due (fen)"), null=True, blank=True)
    recovered_fen = models.BigIntegerField(_("recovered (fen)"), default=0)
    waiver = models.TextField(_("waiver"), blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalations"), default=0)
    first_seen_at = models.DateTimeField(_("first seen"))
    last_seen_at = models.DateTimeField(_("last seen"))
    status_changed_at = models.DateTimeField(_("status changed"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-first_seen_at", "-id"]
        indexes = [
            models.Index(fields=["region", "status"], name="alert_region_status"),
            models.Index(fields=["status", "status_changed_at"], name="alert_status_changed"),
        ]

    def __str__(self) -> str:
        return f"{self.rule} #{self.pk}"


class AlertSubject(models.Model):
    """One thing an alert is about. `ref` is the object's id (or a region code); `detail` what a reader needs
    beside it (a line's roster and row, a payment's reference), never a whole personal number."""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="subjects")
    kind = models.CharField(_("kind"), max_length=10, choices=SubjectKind.choices)
    ref = models.CharField(_("reference"), max_length=40)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("alert subject")
        verbose_name_plural = _("alert subjects")
        constraints = [models.UniqueConstraint(fields=["alert", "kind", "ref"], name="alert_subject_once")]
        indexes = [models.Index(fields=["kind", "ref"], name="alert_subject_kind_ref")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.ref}"


class AlertEvent(models.Model):
    """The alert's history: who did what, when and why (also in the audit chain)."""

    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=12, choices=AlertStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=AlertStatus.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    amount_fen = models.BigIntegerField(_("amount (fen)"), null=True, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("alert event")
        verbose_name_plural = _("alert events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.action}"


class InboxEntry(models.Model):
    """An alert in one user's in-app inbox (new in the region, assigned, escalated)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                             related_name="inbox")
    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(_("reason"), max_length=12)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("inbox entry")
        verbose_name_plural = _("inbox entries")
        constraints = [models.UniqueConstraint(fields=["user", "alert", "reason"], name="inbox_once")]
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_user_unread")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.alert_id} {self.reason}"
