"""Alerts are written here and nowhere else: raised or refreshed by scans (alerts_upsert), and moved along
their lifecycle by people."""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

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
from disbursement.alerts.models import Alert, AlertEvent, AlertStatus, AlertSubject, InboxEntry, Severity
from geo import codes

BATCH = 1000


def alert_key(*, source: str, rule: str, subjects: Iterable) -> str:
    """The same rule on the same subjects is the same alert, whatever order the query returned them in."""
    parts = sorted(f"{s.kind}:{s.ref}" for s in subjects)
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
    2. New keys are inserted with ON CONFLICT DO NOTHING (two scans at once raise one alert), then read back.
    3. An open alert takes the new facts; a dismissed or closed one re-opens (status new) only when its facts
       changed, which is how a dismissal "teaches": the same facts never fire again.
    """
    now = timezone.now()
    by_key: dict[str, object] = {}
    for finding in findings:
        by_key.setdefault(alert_key(source=source, rule=rule, subjects=finding.subjects), finding)
    keys = list(by_key)
    created, reopened = [], []
    with transaction.atomic():
        existing = _by_keys(keys)
        fresh = [
            Alert(key=key, source=source, rule=rule, severity=severity, status=AlertStatus.NEW,
                  region_id=f.region_code, item_id=f.item_code, period=f.period, roster_id=f.roster_id,
                  summary=f.summary[:300], evidence=f.facts, facts_hash=facts_digest(f.facts), amount_fen=f.amount_fen,
                  first_seen_at=now, last_seen_at=now, status_changed_at=now)
            for key, f in by_key.items() if key not in existing
        ]
        for start in range(0, len(fresh), BATCH):
            Alert.objects.bulk_create(fresh[start:start + BATCH], ignore_conflicts=True)
        if fresh:
            inserted = _by_keys([a.key for a in fresh])
            new_ids = {key: row for key, row in inserted.items() if row[2] == now}
            subjects = [AlertSubject(alert_id=row[0], kind=s.kind, ref=str(s.ref), detail=s.detail)
                        for key, row in new_ids.items() for s in by_key[key].subjects]
            AlertSubject.objects.bulk_create(subjects, batch_size=BATCH, ignore_conflicts=True)
            AlertEvent.objects.bulk_create(
                [AlertEvent(alert_id=row[0], action="raised", to_status=AlertStatus.NEW) for row in new_ids.values()],
                batch_size=BATCH)
            created = [row[0] for row in new_ids.values()]
            existing.update(inserted)
        for key, (alert_id, status, _first, digest) in existing.items():
            if key not in by_key or alert_id in created:
                continue
            finding = by_key[key]
            changed = digest != facts_digest(finding.facts)
            fields = {"last_seen_at": now}
            if changed:
                fields.update(summary=finding.summary[:300], evidence=finding.facts,
                              facts_hash=facts_digest(finding.facts), amount_fen=finding.amount_fen)
            if changed and status in (AlertStatus.DISMISSED, AlertStatus.CLOSED):
                fields.update(status=AlertStatus.NEW, status_changed_at=now, closed_at=None)
                if Alert.objects.filter(pk=alert_id, status=status).update(**fields):
                    AlertEvent.objects.create(alert_id=alert_id, action="refired", from_status=status,
                                              to_status=AlertStatus.NEW)
                    reopened.append(alert_id)
            else:
                Alert.objects.filter(pk=alert_id).update(**fields)
        ids = _by_keys(keys)
    return UpsertOutcome(alert_ids=[ids[key][0] for key in keys if key in ids], created_ids=created,
                         reopened_ids=reopened)


def _by_keys(keys: list[str]) -> dict[str, tuple]:
    rows = {}
    for start in range(0, len(keys), BATCH):
        for key, *rest in Alert.objects.filter(key__in=keys[start:start + BATCH]).values_list(
                "key", "pk", "status", "first_seen_at", "facts_hash"):
            rows[key] = tuple(rest)
    return rows


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
