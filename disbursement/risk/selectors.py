"""What scans leave behind, read for the commands and pages: open risk alerts with their subjects."""

from disbursement.alerts.models import OPEN_STATUSES, Alert, AlertSource
from disbursement.money import fen_to_yuan
from geo.codes import subtree_bounds


def risk_alerts_open(*, region_code: str | None = None) -> list[dict]:
    """Every open risk alert (in a region's subtree, if given), as the `risk_scan --json` contract spells it:
    a line subject carries roster_id and row, a payment subject also payment_reference."""
    alerts = Alert.objects.filter(source=AlertSource.RISK, status__in=OPEN_STATUSES).order_by("id")
    if region_code:
        low, high = subtree_bounds(region_code)
        alerts = alerts.filter(region_id__gte=low, region_id__lte=high)
    return [
        {"id": alert.pk, "rule": alert.rule, "severity": alert.severity, "status": alert.status,
         "region": alert.region_id, "amount_yuan": fen_to_yuan(alert.amount_fen),
         "subjects": [_subject(s) for s in sorted(alert.subjects.all(), key=lambda s: (s.kind, s.ref))],
         "evidence": {"summary": alert.summary, **alert.evidence}}
        for alert in alerts.prefetch_related("subjects")
    ]


def _subject(subject) -> dict:
    detail = dict(subject.detail or {})
    shown = {"kind": subject.kind, "ref": subject.ref}
    if "roster_id" in detail:
        shown.update(roster_id=detail["roster_id"], row=detail.get("row"))
    if subject.kind == "payment":
        shown["payment_reference"] = detail.get("reference")
    return shown
