"""People working an alert to closure: assign, verify (核实), confirm (违规) or dismiss (误报), rectify (整改),
recover (追回), close; and the periodic escalation of overdue alerts.

Every transition is one conditional UPDATE on the status the actor saw (two supervisors confirming at once:
one wins, the other gets Conflict), then an AlertEvent, then `audit_record` as the last write.
Who may do what is the one table ACTION_ROLES below, beside the statuses each action starts from (the money
path's actions are in accounts/permissions.py; an alert's rights also depend on its status and assignee).
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts.models import User
from disbursement.accounts.roles import Role
from disbursement.accounts.scoping import in_jurisdiction
from disbursement.alerts.models import OPEN_STATUSES, Alert, AlertEvent, AlertStatus, InboxEntry, Severity
from disbursement.audit.services import audit_record
from disbursement.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from disbursement.money import yuan_to_fen
from geo import codes

S = AlertStatus
# Roles that see alerts of their jurisdiction. Township clerks see their township's and answer 核实 requests.
VIEW_ROLES = frozenset({Role.SUPERVISOR, Role.COUNTY_FINANCE, Role.PROVINCE_ADMIN, Role.TOWNSHIP_CLERK})
# Roles that work alerts (and are told of new ones in their inbox).
WORK_ROLES = frozenset({Role.SUPERVISOR, Role.COUNTY_FINANCE})
# action -> (roles that may take it, statuses it starts from). "verify" is also open to the assignee, and
# "note" to a township clerk only while the alert is being verified.
ACTION_ROLES: dict[str, tuple[frozenset, tuple]] = {
    "assign": (WORK_ROLES, (S.NEW, S.ASSIGNED, S.VERIFYING)),
    "verify": (WORK_ROLES, (S.NEW, S.ASSIGNED)),
    "note": (WORK_ROLES | {Role.TOWNSHIP_CLERK}, (S.NEW, S.ASSIGNED, S.VERIFYING, S.CONFIRMED, S.RECTIFYING)),
    "confirm": (WORK_ROLES, (S.VERIFYING,)),
    "dismiss": (WORK_ROLES, (S.NEW, S.ASSIGNED, S.VERIFYING)),
    "rectify": (WORK_ROLES, (S.CONFIRMED,)),
    "recover": (WORK_ROLES, (S.RECTIFYING,)),
    "close": (WORK_ROLES, (S.RECTIFYING,)),
}
# Rectification measures (整改措施), in the order the form lists them.
MEASURES = {"stop_payment": "停止发放", "freeze_card": "冻结账户", "recovery_order": "追回"}
# Who may be assigned an alert: people who work alerts, and township clerks (to verify on the spot).
ASSIGNABLE_ROLES = WORK_ROLES | {Role.TOWNSHIP_CLERK}
# Levels a supervisor sits at: escalation climbs these.
ESCALATION_LEVELS = ("county", "city", "province")


def alert_visible(actor, alert: Alert) -> bool:
    if actor.is_authenticated and actor.is_superuser:
        return True
    return getattr(actor, "role", None) in VIEW_ROLES and in_jurisdiction(actor, alert.region_id)


def alert_for(actor, alert_id: int) -> Alert:
    """The alert if the actor may see it; NotFound both when absent and when out of reach."""
    alert = Alert.objects.filter(pk=alert_id).first()
    if alert is None or not alert_visible(actor, alert):
        raise NotFound(_("Alert not found."))
    return alert


def alert_actions(actor, alert: Alert) -> list[str]:
    """The actions the actor may take on the alert now (what the detail page offers)."""
    return [action for action in ACTION_ROLES if _allowed(actor, alert, action)]


def _allowed(actor, alert: Alert, action: str) -> bool:
    roles, statuses = ACTION_ROLES[action]
    if alert.status not in statuses:
        return False
    if actor.is_superuser:
        return True
    if action == "verify" and alert.assignee_id == actor.pk:
        return True
    if action == "note" and actor.role == Role.TOWNSHIP_CLERK:
        return alert.status == S.VERIFYING
    return actor.role in roles


def _check(actor, alert_id: int, action: str) -> Alert:
    alert = alert_for(actor, alert_id)
    roles, statuses = ACTION_ROLES[action]
    if alert.status not in statuses:
        raise Conflict(_("The alert is %(status)s; it cannot be %(action)s now.")
                       % {"status": alert.get_status_display(), "action": action})
    if not _allowed(actor, alert, action):
        raise PermissionDenied(_("Your role may not take this action on an alert."))
    return alert


def _move(actor, alert: Alert, action: str, to_status: str | None, *, note: str = "", amount_fen: int | None = None,
          guard: Q | None = None, audit: dict | None = None, also=None, **fields) -> Alert:
    """The guarded step every transition shares: UPDATE … WHERE status = what the actor saw, the event, the audit."""
    now = timezone.now()
    updates = dict(fields)
    if to_status is not None:
        updates.update(status=to_status, status_changed_at=now)
    with transaction.atomic():
        rows = Alert.objects.filter(pk=alert.pk, status=alert.status)
        if guard is not None:
            rows = rows.filter(guard)
        changed = rows.update(**updates) if updates else rows.select_for_update().exists()
        if not changed:
            raise Conflict(_("Someone else changed this alert meanwhile; reload it and try again."))
        AlertEvent.objects.create(alert_id=alert.pk, actor=actor if actor.is_authenticated else None, action=action,
                                  from_status=alert.status, to_status=to_status or alert.status, note=note,
                                  amount_fen=amount_fen)
        alert.refresh_from_db()
        if also is not None:
            also(alert)
        audit_record(actor=actor, action=f"alert_{action}", obj=alert, region_code=alert.region_id,
                     status=alert.status, note=note[:500], amount_fen=amount_fen, **(audit or {}))
    return alert


def _text(value: str, field: str, message: str, limit: int = 4000) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed(message, field=field)
    if len(value) > limit:
        raise ValidationFailed(_("At most %(n)s characters.") % {"n": limit}, field=field)
    return value


def _fen(amount_yuan: str, field: str, *, positive: bool) -> int:
    try:
        fen = yuan_to_fen(amount_yuan)
    except ValueError:
        raise ValidationFailed(_("Write the amount in yuan with at most two decimals."), field=field) from None
    if fen < 0 or (positive and fen == 0):
        raise ValidationFailed(_("The amount must be greater than zero.") if positive
                               else _("The amount must not be negative."), field=field)
    return fen


def alert_assign(*, actor, alert_id: int, assignee_id: int, note: str = "") -> Alert:
    """Give the alert to one person whose region contains the alert's region; they find it in their inbox."""
    alert = _check(actor, alert_id, "assign")
    assignee = User.objects.filter(pk=assignee_id, is_active=True, role__in=ASSIGNABLE_ROLES).first()
    if assignee is None or not in_jurisdiction(assignee, alert.region_id):
        raise ValidationFailed(_("Assign the alert to an active supervisor, finance user or clerk whose region "
                                 "contains the alert's region."), field="assignee_id")
    to_status = S.ASSIGNED if alert.status == S.NEW else None

    def to_inbox(alert):
        InboxEntry.objects.bulk_create([InboxEntry(user_id=assignee.pk, alert_id=alert.pk, reason="assigned")],
                                       ignore_conflicts=True)
        InboxEntry.objects.filter(user_id=assignee.pk, alert_id=alert.pk, reason="assigned").update(read_at=None)

    return _move(actor, alert, "assign", to_status, note=note.strip(), assignee_id=assignee.pk,
                 audit={"assignee_id": assignee.pk}, also=to_inbox)


def alert_verify(*, actor, alert_id: int, note: str = "") -> Alert:
    """核实 starts: the assignee or a supervisor takes the alert up."""
    alert = _check(actor, alert_id, "verify")
    return _move(actor, alert, "verify", S.VERIFYING, note=note.strip())


def alert_note(*, actor, alert_id: int, note: str) -> Alert:
    """A note or verification result on the alert's history; the status does not move."""
    alert = _check(actor, alert_id, "note")
    return _move(actor, alert, "note", None, note=_text(note, "note", _("Write the note.")))


def alert_confirm(*, actor, alert_id: int, finding: str) -> Alert:
    """违规: the facts are confirmed; `finding` says what was wrong."""
    alert = _check(actor, alert_id, "confirm")
    finding = _text(finding, "finding", _("Write the finding: what was found to be irregular."))
    return _move(actor, alert, "confirm", S.CONFIRMED, note=finding, finding=finding)


def alert_dismiss(*, actor, alert_id: int, reason: str) -> Alert:
    """误报: the reason teaches; the same facts never raise the alert again (alerts_upsert)."""
    alert = _check(actor, alert_id, "dismiss")
    reason = _text(reason, "reason", _("Write why the alert is a false alarm."))
    return _move(actor, alert, "dismiss", S.DISMISSED, note=reason, dismiss_reason=reason)


def alert_rectify(*, actor, alert_id: int, recovery_due_yuan: str, measures: list[str], note: str = "") -> Alert:
    """整改: the measures taken (stop payment, freeze card, recovery order 追回) and the amount to recover."""
    alert = _check(actor, alert_id, "rectify")
    measures = [m for m in MEASURES if m in set(measures or [])]
    if not measures:
        raise ValidationFailed(_("Choose at least one rectification measure."), field="measures")
    due = _fen(recovery_due_yuan, "recovery_due_yuan", positive=False)
    if "recovery_order" in measures and due == 0:
        raise ValidationFailed(_("A recovery order needs the amount due."), field="recovery_due_yuan")
    text = "；".join(MEASURES[m] for m in measures) + (f"。{note.strip()}" if note.strip() else "")
    return _move(actor, alert, "rectify", S.RECTIFYING, note=text, amount_fen=due, recovery_due_fen=due,
                 audit={"measures": measures})


def alert_recover(*, actor, alert_id: int, amount_yuan: str, note: str = "") -> Alert:
    """Record money recovered (追回); may repeat, and the total never exceeds the amount due."""
    alert = _check(actor, alert_id, "recover")
    amount = _fen(amount_yuan, "amount_yuan", positive=True)
    if alert.recovered_fen + amount > (alert.recovery_due_fen or 0):
        raise ValidationFailed(_("Recovered money would exceed the amount due."), field="amount_yuan")
    # The guard re-checks the sum in the UPDATE: two recoveries at once cannot pass the amount due together.
    return _move(actor, alert, "recover", None, note=note.strip(), amount_fen=amount,
                 guard=Q(recovered_fen__lte=F("recovery_due_fen") - amount), recovered_fen=F("recovered_fen") + amount)


def alert_close(*, actor, alert_id: int, waiver: str = "", note: str = "") -> Alert:
    """Close: recovered equals due, or a written waiver says why the rest is not recovered."""
    alert = _check(actor, alert_id, "close")
    waiver = (waiver or "").strip()
    settled = alert.recovered_fen == (alert.recovery_due_fen or 0)
    if not settled and not waiver:
        raise ValidationFailed(_("Closing needs the whole amount due recovered, or a written waiver."),
                               field="waiver")
    guard = None if waiver else Q(recovered_fen=Coalesce(F("recovery_due_fen"), 0))
    return _move(actor, alert, "close", S.CLOSED, note=waiver or note.strip(), guard=guard, waiver=waiver,
                 closed_at=timezone.now())


ACTIONS = {"assign": alert_assign, "verify": alert_verify, "note": alert_note, "confirm": alert_confirm,
           "dismiss": alert_dismiss, "rectify": alert_rectify, "recover": alert_recover, "close": alert_close}


def overdue_days() -> dict[str, int]:
    return {Severity.HIGH: settings.ALERT_OVERDUE_DAYS_HIGH, Severity.MEDIUM: settings.ALERT_OVERDUE_DAYS_MEDIUM,
            Severity.LOW: settings.ALERT_OVERDUE_DAYS_LOW}


def escalation_region(region_code: str, level: int) -> str:
    """The region whose supervisors an alert at `level` escalations reaches: the lowest supervisor level
    (county, city, province) containing the alert's region, then one level up per escalation."""
    path = codes.ancestor_codes(region_code)
    steps = [code for code in reversed(path) if codes.region_level(code) in ESCALATION_LEVELS]
    return steps[min(level, len(steps) - 1)]


def alerts_escalate_overdue(*, now=None) -> list[int]:
    """Periodic: open alerts with no action for their severity's N days go one level up.

    "No action" counts from the alert's latest event (a status change, a note, a recovery, or an escalation), so
    an alert escalates once per overdue period, and running this twice escalates nothing more. A scan refreshing
    the alert is not an action.
    1. Find the candidates (read only). 2. Lock them in pk order, then re-read which are still overdue: a run
       that waited on the locks sees the escalation events the other run committed. 3. Per alert: level + 1, an
       event, inbox entries for the supervisors of the region one level up, the audit record last.
    """
    now = now or timezone.now()
    last_event = AlertEvent.objects.filter(alert=OuterRef("pk")).values("alert").annotate(at=Max("at")).values("at")
    overdue = Q()
    for severity, days in overdue_days().items():
        overdue |= Q(severity=severity, last_action_at__lt=now - timedelta(days=days))
    rows = (Alert.objects.filter(status__in=OPEN_STATUSES)
            .annotate(last_action_at=Greatest("status_changed_at", Coalesce(Subquery(last_event),
                                                                             "status_changed_at")))
            .filter(overdue))
    candidates = list(rows.values_list("pk", flat=True))
    escalated = []
    if not candidates:
        return escalated
    with transaction.atomic():
        list(Alert.objects.select_for_update().filter(pk__in=candidates).order_by("pk").values_list("pk"))
        due = list(Alert.objects.filter(pk__in=rows.filter(pk__in=candidates).values("pk")).order_by("pk"))
        for alert in due:
            target = escalation_region(alert.region_id, alert.escalation_level + 1)
            Alert.objects.filter(pk=alert.pk).update(escalation_level=F("escalation_level") + 1)
            AlertEvent.objects.create(alert_id=alert.pk, action="escalated", from_status=alert.status,
                                      to_status=alert.status, note=target)
            users = User.objects.filter(region_id=target, role=Role.SUPERVISOR, is_active=True).values_list(
                "pk", flat=True)
            InboxEntry.objects.bulk_create([InboxEntry(user_id=u, alert_id=alert.pk, reason="escalated")
                                            for u in users], ignore_conflicts=True)
            InboxEntry.objects.filter(alert_id=alert.pk, reason="escalated", user_id__in=users).update(read_at=None)
            escalated.append(alert.pk)
        for alert in due:
            audit_record(actor=None, action="alert_escalated", obj=alert, region_code=alert.region_id,
                         level=alert.escalation_level + 1)
    return escalated


__all__ = ["ACTIONS", "ACTION_ROLES", "MEASURES", "VIEW_ROLES", "WORK_ROLES", "alert_actions", "alert_assign",
           "alert_close", "alert_confirm", "alert_dismiss", "alert_for", "alert_note", "alert_recover",
           "alert_rectify", "alert_verify", "alert_visible", "alerts_escalate_overdue", "escalation_region"]
