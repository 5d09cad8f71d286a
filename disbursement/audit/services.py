import json

from django.db import connection, transaction
from django.utils import timezone

from disbursement.audit.models import GENESIS_HASH, AuditEvent

# One transaction-level advisory lock serialises appends to the chain: the first 8 bytes of
# sha256(b"disbursement.audit.chain"), as a signed bigint.
CHAIN_LOCK_KEY = -6_621_051_512_542_927_234


def audit_record(*, actor, action: str, obj, region_code: str | None = None, **detail) -> AuditEvent:
    """Append one audit event to the chain, inside the caller's transaction: it commits or rolls back with the
    state change it records. `detail` must never hold a whole personal number.

    The chain lock is held until the caller's transaction ends, so every audited write is serialised from
    here on: call this last in a transaction, and never before a call to something outside the database.
    """
    # What is hashed must be what reads back: JSON round-trip (tuples become lists, keys become strings).
    detail = json.loads(json.dumps(detail))
    with transaction.atomic():
        at, last_seq, last_hash = _chain_lock_and_tail()
        event = AuditEvent(
            seq=last_seq + 1,
            at=at,
            actor=actor if actor is not None and actor.is_authenticated else None,
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            region_id=region_code,
            detail=detail,
            prev_hash=last_hash,
        )
        event.hash = event.digest()
        event.save(force_insert=True)
    return event


def _chain_lock_and_tail() -> tuple:
    """1. Take the chain lock (PostgreSQL advisory lock until the transaction ends; SQLite has one writer,
    and the IMMEDIATE transaction mode in settings takes its write lock when atomic() begins).
    2. Read the tail and the time *after* the lock, so `at` never goes backwards along the chain, even with
    several app servers whose clocks differ."""
    if connection.vendor == "postgresql":
        table = AuditEvent._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHAIN_LOCK_KEY])
            cursor.execute(f"""
                SELECT clock_timestamp(), tail.seq, tail.hash
                FROM (SELECT 1) AS one
                LEFT JOIN (SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1) AS tail ON TRUE""")
            at, seq, hash_ = cursor.fetchone()
        return at, seq or 0, hash_ or GENESIS_HASH
    tail = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    return timezone.now(), *(tail or (0, GENESIS_HASH))
