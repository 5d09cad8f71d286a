"""Alerts are written here and nowhere else: raised or refreshed by scans (alerts_upsert), and moved along
their lifecycle by people."""

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from disbursement.alerts.models import Alert, AlertEvent, AlertStatus, AlertSubject

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
