"""Alerts are written here and nowhere else: raised or refreshed by scans (alerts_upsert), and moved along
their lifecycle by people."""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from disbursement import bulk
from disbursement.alerts.lifecycle import (  # noqa: F401  (the lifecycle services are part of this module's API)
    ACTIONS,
    WORK_ROLES,
    alert_assign,
    alert_close,
    alert_confirm,
    alert_dismiss,
    alert_note,
    alert_recover,
    alert_rectify,
    alert_verify,
    alerts_escalate_overdue,
)
from disbursement.alerts.models import (
    OPEN_STATUSES,
    Alert,
    AlertEvent,
    AlertStatus,
    AlertSubject,
    InboxEntry,
    Severity,
)
from geo import codes

BATCH = 1000


def alert_key(*, source: str, rule: str, subjects: Iterable, episode: str = "") -> str:
    """The same rule on the same subjects is the same alert, whatever order the query returned them in.
    An episode (the day a state began) makes each spell of that state an alert of its own; without one
    the key is what it always was."""
    parts = sorted(f"{s.kind}:{s.ref}" for s in subjects)
    if episode:
        parts.append(f"episode:{episode}")
    return hashlib.sha256("|".join([source, rule, *parts]).encode()).hexdigest()


def facts_digest(facts: dict) -> str:
    return hashlib.sha256(json.dumps(facts, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class UpsertOutcome:
    alert_ids: list[int]  # every alert the findings name, in the findings' order
    created_ids: list[int]  # raised for the first time by this call
    reopened_ids: list[int]  # dismissed or closed before, fired again on changed facts


def alerts_upsert(*, source: str, rule: str, severity: str, findings: Sequence) -> UpsertOutcome:
    """Raise an alert for each finding (disbursement.risk.base.Finding or anything shaped like it), or refresh
    the one its key already names. Idempotent: the same findings again change nothing but `last_seen_at`.

    1. Findings are keyed by source, rule and subjects; existing alerts are read in batches of BATCH keys.
    2. New alerts are staged (COPY on PostgreSQL) and inserted by one INSERT … SELECT … ON CONFLICT DO NOTHING,
       so two scans at once raise one alert; their subjects and "raised" events are appended the same way.
    3. An open alert takes the new facts; a dismissed or closed one re-opens (status new) only when its facts
       changed, which is how a dismissal "teaches": the same facts never fire again. Unchanged alerts only get
       `last_seen_at`, in batches.
    """
    now = timezone.now()
    by_key: dict[str, object] = {}
    for finding in findings:
        by_key.setdefault(alert_key(source=source, rule=rule, subjects=finding.subjects,
                                    episode=getattr(finding, "episode", "")), finding)
    keys = list(by_key)
    created, reopened = [], []
    with transaction.atomic():
        existing = _by_keys(keys)
        fresh = [key for key in keys if key not in existing]
        if fresh:
            inserted = _alerts_insert(source=source, rule=rule, severity=severity, now=now,
                                      findings={key: by_key[key] for key in fresh})
            created = list(inserted.values())
            existing.update(_by_keys(fresh))
        just_created, unchanged = set(created), []
        for key, (alert_id, status, digest) in existing.items():
            if key not in by_key or alert_id in just_created:
                continue
            finding = by_key[key]
            new_digest = facts_digest(finding.facts)
            if new_digest == digest:
                unchanged.append(alert_id)  # the common case on a rescan: touched in batches below
                continue
            fields = {"last_seen_at": now, "summary": finding.summary[:300], "evidence": finding.facts,
                      "facts_hash": new_digest, "amount_fen": finding.amount_fen}
            if status in (AlertStatus.DISMISSED, AlertStatus.CLOSED):
                fields.update(status=AlertStatus.NEW, status_changed_at=now, closed_at=None)
                if Alert.objects.filter(pk=alert_id, status=status).update(**fields):
                    AlertEvent.objects.create(alert_id=alert_id, action="refired", from_status=status,
                                              to_status=AlertStatus.NEW)
                    reopened.append(alert_id)
            else:
                Alert.objects.filter(pk=alert_id).update(**fields)
        for start in range(0, len(unchanged), BATCH):
            Alert.objects.filter(pk__in=unchanged[start:start + BATCH]).update(last_seen_at=now)
        ids = _by_keys(keys)
    return UpsertOutcome(alert_ids=[ids[key][0] for key in keys if key in ids], created_ids=created,
                         reopened_ids=reopened)


_STAGE = "alert_stage"
_STAGE_COLUMNS = {"key": "text", "region_id": "text", "item_id": "text", "period": "text", "roster_id": "bigint",
                  "summary": "text", "evidence": "text", "facts_hash": "text", "amount_fen": "bigint"}


def _alerts_insert(*, source: str, rule: str, severity: str, now, findings: dict) -> dict[str, int]:
    """Insert the alerts of these (key → finding) that no concurrent scan inserted first, with their subjects and
    a "raised" event each; returns key → id of the alerts this call inserted."""
    frame = pd.DataFrame({
        "key": list(findings),
        "region_id": [f.region_code for f in findings.values()],
        "item_id": [f.item_code for f in findings.values()],
        "period": [f.period for f in findings.values()],
        "roster_id": pd.array([f.roster_id for f in findings.values()], dtype="Int64"),
        "summary": [f.summary[:300] for f in findings.values()],
        "evidence": [json.dumps(f.facts, ensure_ascii=False, default=str) for f in findings.values()],
        "facts_hash": [facts_digest(f.facts) for f in findings.values()],
        "amount_fen": [int(f.amount_fen) for f in findings.values()],
    })
    postgres = connection.vendor == "postgresql"
    stamp = now.isoformat() if postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")
    evidence = "CAST(s.evidence AS jsonb)" if postgres else "s.evidence"
    table = Alert._meta.db_table
    with connection.cursor() as cursor:
        bulk.stage_create(cursor, _STAGE, _STAGE_COLUMNS)
        bulk.stage_fill(cursor, _STAGE, frame, text_columns=("period", "summary"))
        # WHERE true: SQLite needs it to tell the SELECT's end from the ON CONFLICT clause.
        cursor.execute(f"""
            INSERT INTO {table} (key, source, rule, severity, status, region_id, item_id, period, roster_id, summary,
                                 evidence, facts_hash, amount_fen, finding, dismiss_reason, recovered_fen, waiver,
                                 escalation_level, first_seen_at, last_seen_at, status_changed_at)
            SELECT s.key, %s, %s, %s, %s, s.region_id, s.item_id, s.period, s.roster_id, s.summary, {evidence},
                   s.facts_hash, s.amount_fen, '', '', 0, '', 0, %s, %s, %s
            FROM {_STAGE} s WHERE true
            ON CONFLICT (key) DO NOTHING""", [source, rule, severity, AlertStatus.NEW, stamp, stamp, stamp])
        # Ours are those first seen at this call's instant (a concurrent scan's rows carry its own).
        cursor.execute(f"SELECT a.key, a.id FROM {table} a JOIN {_STAGE} s ON s.key = a.key "
                       f"WHERE a.first_seen_at = %s", [stamp])
        inserted = dict(cursor.fetchall())
        bulk.stage_drop(cursor, _STAGE)
        if inserted:
            subjects = pd.DataFrame(
                [(inserted[key], subject.kind, str(subject.ref), json.dumps(subject.detail, ensure_ascii=False))
                 for key in inserted for subject in dict.fromkeys(findings[key].subjects)],
                columns=["alert_id", "kind", "ref", "detail"])
            bulk.table_copy(cursor, AlertSubject._meta.db_table, subjects)
            events = pd.DataFrame({"alert_id": list(inserted.values()), "action": "raised", "from_status": "",
                                   "to_status": AlertStatus.NEW, "note": "", "at": stamp})
            bulk.table_copy(cursor, AlertEvent._meta.db_table, events,
                            text_columns=("action", "from_status", "to_status", "note"))
    return inserted


def _by_keys(keys: list[str]) -> dict[str, tuple]:
    """key → (id, status, facts digest) of the alerts these keys name: one IN query for a few keys,
    one join against the staged keys for many (a full scan's tens of thousands)."""
    if len(keys) <= BATCH:
        return {key: tuple(rest) for key, *rest in Alert.objects.filter(key__in=keys).values_list(
            "key", "pk", "status", "facts_hash")}
    with connection.cursor() as cursor:
        bulk.stage_create(cursor, "alert_keys", {"key": "text"})
        bulk.stage_fill(cursor, "alert_keys", pd.DataFrame({"key": keys}))
        cursor.execute(f"SELECT a.key, a.id, a.status, a.facts_hash FROM {Alert._meta.db_table} a "
                       f"JOIN alert_keys k ON k.key = a.key")
        rows = {key: (pk, status, digest) for key, pk, status, digest in cursor.fetchall()}
        bulk.stage_drop(cursor, "alert_keys")
    return rows


def alerts_resolve(alert_ids: Iterable[int], *, note: str) -> list[int]:
    """The system closes alerts whose condition has ended (a county left the band): each one still open becomes
    closed, with closed_at and a "resolved" event carrying `note`. Alerts already dismissed or closed stay as
    they are, so running it twice changes nothing. Returns the ids closed now.

    Each alert is one conditional UPDATE on the status read, so a person moving it meanwhile wins and the
    system leaves it alone."""
    now = timezone.now()
    closed = []
    with transaction.atomic():
        rows = list(Alert.objects.filter(pk__in=list(alert_ids), status__in=OPEN_STATUSES)
                    .order_by("pk").values_list("pk", "status"))
        for alert_id, status in rows:
            if Alert.objects.filter(pk=alert_id, status=status).update(
                    status=AlertStatus.CLOSED, status_changed_at=now, closed_at=now):
                closed.append((alert_id, status))
        AlertEvent.objects.bulk_create([
            AlertEvent(alert_id=alert_id, action="resolved", from_status=status, to_status=AlertStatus.CLOSED,
                       note=note) for alert_id, status in closed])
    return [alert_id for alert_id, _ in closed]


@dataclass(frozen=True)
class NotifyOutcome:
    recipients: int  # (alert, user) pairs now in an inbox (new, re-opened or already there)
    notice_ids: list[int]  # outbox notices written now (high severity only)


def alerts_notify(alert_ids: Iterable[int]) -> NotifyOutcome:
    """Tell people of alerts just raised or re-opened: the scan calls this after alerts_upsert (pass it the
    outcome's created_ids + reopened_ids; any alert ids will do, only alerts still `new` are announced).

    1. Everyone active who works alerts (WORK_ROLES) and whose region contains the alert's region gets an inbox
       entry; an entry from before a re-opening becomes unread again. Running it twice adds nothing.
    2. High-severity alerts also go to the notification outbox for those users, de-duplicated per alert, user
       and facts (a re-opening on changed facts is news; the same facts are never sent twice).
    """
    from disbursement.accounts.models import User
    from disbursement.notifications.services import notices_enqueue_staff

    alerts = list(Alert.objects.filter(pk__in=list(alert_ids), status=AlertStatus.NEW)
                  .values_list("pk", "region_id", "severity", "rule", "facts_hash"))
    if not alerts:
        return NotifyOutcome(0, [])
    ancestors = {a[0]: codes.ancestor_codes(a[1]) for a in alerts}
    users_by_region: dict[str, list[int]] = {}
    for user_id, region_id in User.objects.filter(
            is_active=True, role__in=WORK_ROLES,
            region_id__in={code for path in ancestors.values() for code in path}).values_list("pk", "region_id"):
        users_by_region.setdefault(region_id, []).append(user_id)
    now = timezone.now()
    pairs = [(alert, user_id) for alert in alerts for code in ancestors[alert[0]]
             for user_id in users_by_region.get(code, [])]
    with transaction.atomic():
        InboxEntry.objects.filter(
            alert_id__in=[a[0] for a in alerts], reason="raised", created_at__lt=F("alert__status_changed_at"),
        ).update(read_at=None, created_at=now)
        written = InboxEntry.objects.bulk_create(
            [InboxEntry(user_id=user_id, alert_id=alert[0], reason="raised") for alert, user_id in pairs],
            batch_size=BATCH, ignore_conflicts=True)
        notice_ids = notices_enqueue_staff(rows=[
            {"user_id": user_id, "kind": "alert", "dedup_key": f"alert-{alert[0]}-{alert[4][:16]}-u{user_id}",
             "text": f"高风险预警 #{alert[0]}（规则 {alert[3]}）：请登录一卡通系统查看并处理。"}
            for alert, user_id in pairs if alert[2] == Severity.HIGH])
    return NotifyOutcome(len(written), notice_ids)


def inbox_mark_read(*, actor, entry_ids: list[int] | None = None, alert_id: int | None = None) -> int:
    """Mark the actor's own inbox entries read (the given ones, or all of one alert). Returns how many changed."""
    entries = InboxEntry.objects.filter(user_id=actor.pk, read_at__isnull=True)
    if entry_ids is not None:
        entries = entries.filter(pk__in=entry_ids)
    if alert_id is not None:
        entries = entries.filter(alert_id=alert_id)
    return entries.update(read_at=timezone.now())
