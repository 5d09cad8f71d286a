"""The demo's alert queue worked into several states, so a supervisor signing in sees a queue in motion: one
alert assigned, one being verified (核实), one confirmed and in rectification with part of the money recovered,
one dismissed as a false alarm, one closed with everything recovered; the rest stay new. Demo data only.

Runs after the scan (disbursement.risk.services.risk_scan) through the alert lifecycle services, as a county
supervisor would. Running it again changes nothing: it
only takes alerts that are still new, and stops once the demo states exist.
"""

from disbursement.accounts.models import User
from disbursement.accounts.roles import Role
from disbursement.alerts import lifecycle as life
from disbursement.alerts.models import Alert, AlertStatus, AlertSubject, Severity, SubjectKind
from disbursement.money import fen_to_yuan
from disbursement.payments.models import Payment, PaymentStatus

# The states the demo leaves, in the order alerts are taken (high severity first, oldest first).
PLAN = ("assigned", "verifying", "rectifying", "dismissed", "closed")


def _supervisor_for(alert: Alert) -> User | None:
    """The supervisor nearest the alert: of its county, else its city, else the province."""
    region = alert.region_id
    for code in (region[:6].ljust(12, "0"), region[:4].ljust(12, "0"), region[:2].ljust(12, "0")):
        user = User.objects.filter(role=Role.SUPERVISOR, region_id=code, is_active=True).order_by("pk").first()
        if user is not None:
            return user
    return None


def demo_alerts_work(*, out=print) -> dict[str, int]:
    """Move a few new alerts along their lifecycle; returns how many alerts each planned state got."""
    if Alert.objects.exclude(status=AlertStatus.NEW).exists():
        out("alerts: already worked (some are past new), nothing changed")
        return {}
    # Alerts that hold a payment stay open: dismissing or closing one would release a line the demo shows held.
    held_lines = [str(line) for line in Payment.objects.filter(status=PaymentStatus.HELD)
                  .values_list("line_id", flat=True)]
    holding = set(AlertSubject.objects.filter(kind=SubjectKind.LINE, ref__in=held_lines)
                  .values_list("alert_id", flat=True))
    new = list(Alert.objects.filter(status=AlertStatus.NEW).order_by("id"))
    high = [a for a in new if a.severity == Severity.HIGH]
    other = [a for a in new if a.severity != Severity.HIGH]
    done: dict[str, int] = {}
    for state in PLAN:
        # High alerts first, but the false alarm is a medium or low one where there is one.
        pool = other + high if state == "dismissed" else high + other
        if state in ("dismissed", "closed"):
            pool = [a for a in pool if a.pk not in holding]
        if not pool:
            continue
        alert = pool[0]
        (high if alert in high else other).remove(alert)
        actor = _supervisor_for(alert)
        if actor is None:
            continue
        _work(alert, state, actor)
        done[state] = done.get(state, 0) + 1
        out(f"alert {alert.pk} ({alert.rule}, {alert.get_severity_display()}) → {state}")
    return done


def _work(alert: Alert, state: str, actor: User) -> None:
    """Walk one alert from new to `state` through the lifecycle services."""
    ids = {"actor": actor, "alert_id": alert.pk}
    life.alert_assign(**ids, assignee_id=actor.pk)
    if state == "assigned":
        return
    life.alert_verify(**ids)
    if state == "verifying":
        return
    if state == "dismissed":
        life.alert_dismiss(**ids, reason="经入户核实，情况与登记不符，系误报（演示数据）")
        return
    life.alert_confirm(**ids, finding=f"经入户核实属实：{alert.summary}（演示数据）")
    due = fen_to_yuan(max(alert.amount_fen, 100))
    life.alert_rectify(**ids, recovery_due_yuan=due, measures=["stop_payment", "recovery_order"],
                       note="停发并下达追回通知（演示数据）")
    if state == "rectifying":
        life.alert_recover(**ids, amount_yuan=fen_to_yuan(max(alert.amount_fen, 100) // 2))
        return
    life.alert_recover(**ids, amount_yuan=due)
    life.alert_close(**ids)
