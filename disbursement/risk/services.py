"""Scans: run the enabled rules and turn their findings into alerts (through alerts_upsert, the only writer).

A full scan is every enabled rule over the whole history; a region scope keeps subjects inside that subtree;
a roster scope is the pre-payment check of one roster's lines against the whole history.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import CharField
from django.db.models.functions import Cast

from disbursement.alerts import services as alerts_services
from disbursement.alerts.models import OPEN_STATUSES, AlertSource, AlertSubject, Severity, SubjectKind
from disbursement.audit.services import audit_record
from disbursement.risk import rules as _rules  # noqa: F401  (registers every rule)
from disbursement.risk.base import RULES, Rule, Scope
from disbursement.risk.models import RuleSetting
from disbursement.rosters.models import Roster, RosterLine
from geo.models import Region


@dataclass(frozen=True)
class ScanOutcome:
    counts: dict[str, int] = field(default_factory=dict)  # rule code -> alerts its findings name
    alert_ids: list[int] = field(default_factory=list)
    created_ids: list[int] = field(default_factory=list)
    reopened_ids: list[int] = field(default_factory=list)


def rule_thresholds(code: str, *, setting: RuleSetting | None = None) -> dict:
    """The rule's defaults overlaid by the administrator's thresholds (unknown names are ignored)."""
    rule = RULES[code]
    if setting is None:
        setting = RuleSetting.objects.filter(code=code).first()
    overrides = setting.thresholds if setting else {}
    return {**rule.defaults, **{name: value for name, value in (overrides or {}).items() if name in rule.defaults}}


def rule_settings_sync() -> int:
    """A setting row (enabled, no overrides) for every rule that has none yet; returns how many were added."""
    missing = set(RULES) - set(RuleSetting.objects.values_list("code", flat=True))
    RuleSetting.objects.bulk_create([RuleSetting(code=code) for code in sorted(missing)], ignore_conflicts=True)
    return len(missing)


def rules_enabled() -> list[Rule]:
    disabled = set(RuleSetting.objects.filter(enabled=False).values_list("code", flat=True))
    return [RULES[code] for code in sorted(RULES) if code not in disabled]


def risk_scan(*, scope: Scope | None = None, codes: list[str] | None = None, audit: bool = True) -> ScanOutcome:
    """Run each enabled rule (of `codes`, if given) within `scope` and raise or refresh its alerts.

    1. Each rule's findings go to alerts_upsert in a transaction of their own (a rule's alerts commit together).
    2. Alerts raised or re-opened are handed to alerts_notify (which decides who hears of them).
    3. One audit record of the scan, with counts per rule, is the last write — unless `audit=False`: the
       pre-payment check runs inside a money step whose own audit record must stay that transaction's last
       write (and take the chain lock only at its end).
    """
    scope = scope or Scope()
    settings = {s.code: s for s in RuleSetting.objects.all()}
    counts, alert_ids, created, reopened = {}, [], [], []
    for rule in rules_enabled():
        if codes is not None and rule.code not in codes:
            continue
        findings = list(rule.findings(thresholds=rule_thresholds(rule.code, setting=settings.get(rule.code)),
                                      scope=scope))
        outcome = alerts_services.alerts_upsert(source=AlertSource.RISK, rule=rule.code, severity=rule.severity,
                                                findings=findings)
        counts[rule.code] = len(outcome.alert_ids)
        alert_ids += outcome.alert_ids
        created += outcome.created_ids
        reopened += outcome.reopened_ids
    if created or reopened:
        alerts_services.alerts_notify(alert_ids=created + reopened)
    if not audit:
        return ScanOutcome(counts=counts, alert_ids=alert_ids, created_ids=created, reopened_ids=reopened)
    scanned, region_code = _scanned(scope)
    with transaction.atomic():
        audit_record(actor=None, action="risk.scan", obj=scanned, region_code=region_code,
                     roster_id=scope.roster_id, counts=counts, created=len(created), reopened=len(reopened))
    return ScanOutcome(counts=counts, alert_ids=alert_ids, created_ids=created, reopened_ids=reopened)


def risk_scan_targeted(*, kind: str, scope_code: str | None = None) -> ScanOutcome:
    """After a register import: the rules that read that register, over the whole history (a person in the
    imported region may have been paid anywhere)."""
    codes = [rule.code for rule in rules_enabled() if kind in rule.needs]
    if not codes:
        return ScanOutcome()
    return risk_scan(codes=codes)


def roster_precheck(*, roster_id: int) -> set[int]:
    """The pre-payment check: run every enabled rule that judges a roster on this roster's lines against the
    whole history, and return the ids of its live lines that have an open high-severity alert (raised by this
    check or by any earlier scan)."""
    risk_scan(scope=Scope(roster_id=roster_id), codes=[rule.code for rule in rules_enabled() if rule.checks_roster],
              audit=False)  # recorded by the approval or bank-file step that asks
    line_refs = (RosterLine.objects.filter(roster_id=roster_id, is_void=False)
                 .annotate(ref=Cast("id", CharField())).values("ref"))
    held = (AlertSubject.objects
            .filter(kind=SubjectKind.LINE, ref__in=line_refs, alert__status__in=OPEN_STATUSES,
                    alert__severity=Severity.HIGH)
            .values_list("ref", flat=True).distinct())
    return {int(ref) for ref in held}


def _scanned(scope: Scope) -> tuple:
    """What the scan's audit record is about: the roster, the region, or the province (the tree's root)."""
    if scope.roster_id is not None:
        roster = Roster.objects.get(pk=scope.roster_id)
        return roster, roster.township_id
    if scope.region_code:
        region = Region.objects.get(pk=scope.region_code)
    else:
        region = Region.objects.filter(parent__isnull=True).order_by("code").first()
    return region, region.code
