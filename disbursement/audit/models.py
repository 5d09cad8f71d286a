"""The audit log: append-only records linked in a SHA-256 hash chain.

Each record carries `seq` (1, 2, 3 … without gaps), the previous record's hash and its own hash over a
canonical serialisation of its content and that previous hash. Editing, deleting or reordering a record
breaks the chain where it happened; `manage.py verify_audit` walks it and names the records.
"""

import hashlib
import json
from datetime import UTC, datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The prev_hash of record 1.
GENESIS_HASH = "0" * 64


def _canonical_json(value):
    """jsonb keeps 1.0 as 1.0 but 1e20 as 100000000000000000000: integral floats hash as integers so a value
    reads back from the database to the same digest it was written with."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json(item) for item in value]
    return value


def audit_event_digest(*, seq: int, at: datetime, actor_id: int | None, action: str, object_type: str,
                       object_id: str, region_id: str | None, detail: dict, prev_hash: str) -> str:
    """Hex SHA-256 of one record. The serialisation is a contract: changing it invalidates every stored hash
    (migration 0003 holds a frozen copy that must stay byte-for-byte equal)."""
    payload = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "region": region_id,
        "detail": _canonical_json(detail),
        "prev_hash": prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode()).hexdigest()


class AuditEvent(models.Model):
    """An append-only record of who did or saw what. Never updated or deleted by the application;
    written only through disbursement.audit.services.audit_record, which links it into the chain."""

    seq = models.PositiveBigIntegerField(_("sequence number"), unique=True)
    # Set by audit_record under the chain lock (not auto_now_add, which would overwrite it after hashing).
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("actor"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60)
    object_id = models.CharField(_("object id"), max_length=60)
    region = models.ForeignKey("geo.Region", verbose_name=_("region"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-seq"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type}#{self.object_id}"

    def digest(self) -> str:
        return audit_event_digest(seq=self.seq, at=self.at, actor_id=self.actor_id, action=self.action,
                                  object_type=self.object_type, object_id=self.object_id, region_id=self.region_id,
                                  detail=self.detail, prev_hash=self.prev_hash)
