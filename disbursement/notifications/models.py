"""The notification outbox: one row per notice to a resident. The row *is* the job: a task claims and sends it,
a periodic sweep re-queues what a lost broker message or a dead worker left behind."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NoticeStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class Notice(models.Model):
    # The recipient: a resident (SMS to the register's phone) or a staff user (e.g. a supervisor told of a
    # high-severity alert; the address is the user's e-mail). Exactly one of the two.
    person = models.ForeignKey("disbursement.Person", verbose_name=_("person"), on_delete=models.PROTECT,
                               related_name="notices", null=True, blank=True)
    user = models.ForeignKey("disbursement.User", verbose_name=_("user"), on_delete=models.PROTECT,
                             related_name="notices", null=True, blank=True)
    # Copied from the person (or user) when the notice is enqueued: a later edit does not redirect it.
    phone_cipher = models.TextField(_("phone (encrypted)"))
    phone_masked = models.CharField(_("phone"), max_length=11)
    kind = models.CharField(_("kind"), max_length=40)
    text = models.CharField(_("text"), max_length=500,
                            help_text=_("Never a whole ID, card or phone number: 尾号1234, not the number."))
    dedup_key = models.CharField(_("deduplication key"), max_length=120, unique=True,
                                 help_text=_("E.g. the payment reference: enqueueing the same key again sends once."))
    status = models.CharField(_("status"), max_length=10, choices=NoticeStatus.choices, default=NoticeStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # When the notice was last handed to the broker (for a retry: when it is due); the sweep's clock.
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # Which claim may finish the notice: a worker whose claim was taken over cannot overwrite the outcome.
    claim_token = models.UUIDField(_("claim"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.CheckConstraint(condition=models.Q(person__isnull=False, user__isnull=True)
                                   | models.Q(person__isnull=True, user__isnull=False), name="notice_one_recipient"),
        ]
        indexes = [
            # The sweep looks only at unfinished notices; sent ones (nearly all) stay out of the index.
            models.Index(fields=["status", "queued_at"], name="notice_unfinished",
                         condition=models.Q(status__in=["queued", "sending"])),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.phone_masked} ({self.status})"
