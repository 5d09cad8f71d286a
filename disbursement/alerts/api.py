"""Alerts in the JSON API: the queue (same filters as the page), counts, one alert, its actions, the XLSX
export, and the inbox. Endpoints parse and call one selector or service; errors map in backend/api.py."""

from datetime import datetime

from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from disbursement.alerts import selectors, services
from disbursement.alerts.exports import alerts_xlsx
from disbursement.errors import ValidationFailed
from disbursement.money import fen_to_yuan

router = Router(tags=["alerts"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class AlertFilter(Schema):
    rule: str | None = Field(None, max_length=16)
    severity: str | None = Field(None, description="high, medium or low")
    status: str | None = Field(None, description="a status, or 'open' for every status not dismissed or closed")
    region: str | None = Field(None, max_length=12, description="a region code: that region's subtree")
    item: str | None = Field(None, max_length=8)
    period: str | None = Field(None, max_length=7)
    source: str | None = Field(None, description="risk or treasury")


def _yuan(fen):
    return None if fen is None else fen_to_yuan(fen)


class AlertOut(Schema):
    id: int
    source: str
    rule: str
    severity: str
    status: str
    region: str = Field(..., alias="region_id")
    region_name: str = Field(..., alias="region.name")
    item: str | None = Field(..., alias="item_id")
    period: str
    summary: str
    amount_yuan: str
    recovery_due_yuan: str | None
    recovered_yuan: str
    assignee: int | None = Field(..., alias="assignee_id")
    escalation_level: int
    first_seen_at: datetime
    last_seen_at: datetime
    status_changed_at: datetime
    closed_at: datetime | None

    @staticmethod
    def resolve_amount_yuan(obj) -> str:
        return fen_to_yuan(obj.amount_fen)

    @staticmethod
    def resolve_recovery_due_yuan(obj) -> str | None:
        return _yuan(obj.recovery_due_fen)

    @staticmethod
    def resolve_recovered_yuan(obj) -> str:
        return fen_to_yuan(obj.recovered_fen)


class LinkOut(Schema):
    label: str
    url: str


class SubjectOut(Schema):
    kind: str
    ref: str
    detail: dict
    links: list[LinkOut]


class EventOut(Schema):
    at: datetime
    actor: str | None
    action: str
    from_status: str
    to_status: str
    note: str
    amount_yuan: str | None


class AlertDetailOut(AlertOut):
    evidence: dict
    finding: str
    dismiss_reason: str
    waiver: str
    subjects: list[SubjectOut] = Field(..., alias="subject_rows")
    events: list[EventOut] = Field(..., alias="event_rows")
    actions: list[str] = Field(..., alias="allowed_actions")


class CountOut(Schema):
    key: str
    name: str
    count: int
    amount_yuan: str


class CountsOut(Schema):
    by_rule: list[CountOut]
    by_region: list[CountOut]


class ActionIn(Schema):
    action: str = Field(..., description="assign, verify, note, confirm, dismiss, rectify, recover or close")
    assignee_id: int | None = None
    note: str = Field("", max_length=4000)
    finding: str = Field("", max_length=4000)
    reason: str = Field("", max_length=4000)
    recovery_due_yuan: str | None = Field(None, max_length=20)
    measures: list[str] = Field(default_factory=list, description="stop_payment, freeze_card, recovery_order")
    amount_yuan: str | None = Field(None, max_length=20)
    waiver: str = Field("", max_length=4000)


class InboxOut(Schema):
    id: int
    alert: int = Field(..., alias="alert_id")
    rule: str = Field(..., alias="alert.rule")
    severity: str = Field(..., alias="alert.severity")
    summary: str = Field(..., alias="alert.summary")
    reason: str
    created_at: datetime
    read_at: datetime | None


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="entries to mark read; none: all of yours")


class MarkedOut(Schema):
    marked: int


def _queue(request, filters: AlertFilter):
    clean = selectors.alert_filters_clean(filters.dict(exclude_none=True))
    return clean, selectors.alert_queue(actor=request.user, filters=clean)


@router.get("/alerts", response=list[AlertOut], summary="The alert queue in your jurisdiction")
@paginate
def alert_list(request, filters: Query[AlertFilter]):
    return _queue(request, filters)[1]


@router.get("/alerts/counts", response=CountsOut, summary="Counts of the filtered queue by rule and by child region")
def alert_counts(request, filters: Query[AlertFilter]):
    clean, alerts = _queue(request, filters)
    return {
        "by_rule": [{"key": r["rule"], "name": r["rule"], "count": r["count"],
                     "amount_yuan": fen_to_yuan(r["amount_fen"] or 0)}
                    for r in selectors.alert_counts_by_rule(alerts=alerts)],
        "by_region": [{"key": r["code"], "name": r["name"], "count": r["count"],
                       "amount_yuan": fen_to_yuan(r["amount_fen"])}
                      for r in selectors.alert_counts_by_region(actor=request.user, alerts=alerts,
                                                                region_code=clean.get("region"))],
    }


@router.get("/alerts/export", summary="The filtered queue as an XLSX workbook")
def alert_export(request, filters: Query[AlertFilter]):
    response = HttpResponse(alerts_xlsx(alerts=_queue(request, filters)[1]), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="alerts.xlsx"'
    return response


def _detail(request, alert_id: int):
    """The alert with its subjects (and links), history and allowed actions attached for AlertDetailOut."""
    detail = selectors.alert_detail(actor=request.user, alert_id=alert_id)
    alert = detail.alert
    alert.subject_rows = selectors.subject_link_rows(detail)
    alert.event_rows = [{"at": e.at, "actor": str(e.actor) if e.actor_id else None, "action": e.action,
                         "from_status": e.from_status, "to_status": e.to_status, "note": e.note,
                         "amount_yuan": _yuan(e.amount_fen)} for e in detail.events]
    alert.allowed_actions = detail.actions
    return alert


@router.get("/alerts/{alert_id}", response=AlertDetailOut, summary="One alert: evidence, subjects with links, "
            "history, and the actions you may take now")
def alert_get(request, alert_id: int):
    return _detail(request, alert_id)


@router.post("/alerts/{alert_id}/actions", response=AlertDetailOut, summary="Take an action on an alert")
def alert_act(request, alert_id: int, payload: ActionIn):
    data = payload.dict()
    action = data.pop("action")
    if action not in services.ACTIONS:
        raise ValidationFailed(_("Unknown action."), field="action")
    wanted = {
        "assign": ("assignee_id", "note"), "verify": ("note",), "note": ("note",), "confirm": ("finding",),
        "dismiss": ("reason",), "rectify": ("recovery_due_yuan", "measures", "note"),
        "recover": ("amount_yuan", "note"), "close": ("waiver", "note"),
    }[action]
    arguments = {name: data[name] if data[name] is not None else "" for name in wanted}
    if action == "assign" and not data["assignee_id"]:
        raise ValidationFailed(_("Name the person to assign."), field="assignee_id")
    services.ACTIONS[action](actor=request.user, alert_id=alert_id, **arguments)
    return _detail(request, alert_id)


@router.get("/inbox", response=list[InboxOut], summary="Your inbox: unread first")
@paginate
def inbox_list(request):
    return selectors.inbox_list(actor=request.user)


@router.post("/inbox/read", response=MarkedOut, summary="Mark inbox entries read")
def inbox_read(request, payload: MarkReadIn):
    return {"marked": services.inbox_mark_read(actor=request.user, entry_ids=payload.ids)}
