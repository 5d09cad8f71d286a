# Links the audit log into a SHA-256 hash chain: seq, prev_hash, hash; existing records are chained in id order.

import hashlib
import json
from datetime import UTC

import django.utils.timezone
from django.db import migrations, models

GENESIS_HASH = "0" * 64
BATCH = 5000


# Frozen copy of disbursement.audit.models.audit_event_digest: the serialisation is a contract, so the migration
# must keep hashing exactly as it did when it ran (tests check that both agree).
def _canonical_json(value):
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _canonical_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical_json(item) for item in value]
    return value


def _digest(*, seq, at, actor_id, action, object_type, object_id, region_id, detail, prev_hash):
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


def chain_existing(apps, schema_editor):
    """Give every record that exists a place in the chain, in id order, BATCH records per query (keyset on id,
    so a million records never sit in memory at once)."""
    AuditEvent = apps.get_model("disbursement", "AuditEvent")
    connection = schema_editor.connection
    table = AuditEvent._meta.db_table
    fields = ("id", "at", "actor_id", "action", "object_type", "object_id", "region_id", "detail")
    seq, prev_hash, last_id = 0, GENESIS_HASH, 0
    while True:
        rows = list(AuditEvent.objects.using(connection.alias).filter(id__gt=last_id).order_by("id")
                    .values(*fields)[:BATCH])
        if not rows:
            return
        ids, seqs, prevs, hashes = [], [], [], []
        for row in rows:
            seq += 1
            digest = _digest(seq=seq, prev_hash=prev_hash, **{k: v for k, v in row.items() if k != "id"})
            ids.append(row["id"])
            seqs.append(seq)
            prevs.append(prev_hash)
            hashes.append(digest)
            prev_hash = digest
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"""
                    UPDATE {table} t SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
                    FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[]) AS v(id, seq, prev_hash, hash)
                    WHERE t.id = v.id""", [ids, seqs, prevs, hashes])
        else:
            AuditEvent.objects.using(connection.alias).bulk_update(
                [AuditEvent(id=i, seq=s, prev_hash=p, hash=h) for i, s, p, h in zip(ids, seqs, prevs, hashes, strict=True)],
                ["seq", "prev_hash", "hash"], batch_size=500,
            )
        last_id = ids[-1]


class Migration(migrations.Migration):

    dependencies = [
        ("disbursement", "0003_money_path"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="auditevent",
            options={"ordering": ["-seq"], "verbose_name": "audit event", "verbose_name_plural": "audit events"},
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="at",
            field=models.DateTimeField(db_index=True, default=django.utils.timezone.now, verbose_name="at"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(null=True, verbose_name="sequence number"),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(default="", max_length=64, verbose_name="previous hash"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="auditevent",
            name="hash",
            field=models.CharField(default="", max_length=64, verbose_name="hash"),
            preserve_default=False,
        ),
        migrations.RunPython(chain_existing, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(unique=True, verbose_name="sequence number"),
        ),
    ]
