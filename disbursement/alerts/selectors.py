"""Reading alerts: the queue with its filters and counts, one alert with its subjects, history and links, the inbox.
Everything is scoped by the reader's jurisdiction; an alert out of reach is NotFound."""

from dataclasses import dataclass, field

from django.db.models import Count, F, QuerySet, Sum
from django.db.models.functions import Substr
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disbursement.accounts.scoping import jurisdiction_q
from disbursement.alerts.lifecycle import VIEW_ROLES, alert_actions, alert_for
from disbursement.alerts.models import (
    OPEN_STATUSES,
    Alert,
    AlertEvent,
    AlertSource,
    AlertStatus,
    AlertSubject,
    InboxEntry,
    Severity,
    SubjectKind,
)
from disbursement.errors import PermissionDenied, ValidationFailed
from geo import codes
from geo.models import Region

# What each history event means, for the pages (AlertEvent.action holds the code).
EVENT_LABELS = {
    "raised": gettext_lazy("raised"), "refired": gettext_lazy("raised again on changed facts"),
    "assign": gettext_lazy("assigned"), "verify": gettext_lazy("verification started"), "note": gettext_lazy("note"),
    "confirm": gettext_lazy("confirmed as irregular"), "dismiss": gettext_lazy("dismissed as false alarm"),
    "rectify": gettext_lazy("rectification ordered"), "recover": gettext_lazy("money recovered"),
    "close": gettext_lazy("alert closed"), "escalated": gettext_lazy("escalated"),
}
FILTERS = ("rule", "severity", "status", "region", "item", "period", "source")


def alerts_visible(*, actor) -> QuerySet[Alert]:
    if not (actor.is_authenticated and (actor.is_superuser or actor.role in VIEW_ROLES)):
        raise PermissionDenied(_("Your role does not work with alerts."))
    return Alert.objects.filter(jurisdiction_q(actor, "region_id"))


def alert_filters_clean(params) -> dict:
    """The queue's filters from a query string or API arguments: unknown or empty values are dropped; a bad
    region code or status is refused with the field named."""
    clean = {}
    for name in FILTERS:
        value = (params.get(name) or "").strip() if params.get(name) is not None else ""
        if value:
            clean[name] = value[:20]
    choices = {"severity": Severity.values, "status": [*AlertStatus.values, "open"], "source": AlertSource.values}
    for name, allowed in choices.items():
        if name in clean and clean[name] not in allowed:
            raise ValidationFailed(_("Unknown value for %(field)s.") % {"field": name}, field=name)
    if "region" in clean:
        try:
            codes.region_level(clean["region"])
        except ValueError:
            raise ValidationFailed(_("A region code has 12 digits."), field="region") from None
    return clean


def alert_queue(*, actor, filters: dict | None = None) -> QuerySet[Alert]:
    """Alerts the actor may see, newest first, narrowed by clean filters (status "open" = every open status)."""
    filters = filters or {}
    alerts = alerts_visible(actor=actor).select_related("region", "item", "assignee")
    for name in ("rule", "severity", "period", "source"):
        if name in filters:
            alerts = alerts.filter(**{name: filters[name]})
    if "item" in filters:
        alerts = alerts.filter(item_id=filters["item"])
    if "status" in filters:
        alerts = (alerts.filter(status__in=list(OPEN_STATUSES)) if filters["status"] == "open"
                  else alerts.filter(status=filters["status"]))
    if "region" in filters:
        low, high = codes.subtree_bounds(filters["region"])
        alerts = alerts.filter(region_id__gte=low, region_id__lte=high)
    return alerts.order_by("-first_seen_at", "-id")


def alert_counts_by_rule(*, alerts: QuerySet[Alert]) -> list[dict]:
    return list(alerts.order_by().values("rule").annotate(count=Count("id"), amount_fen=Sum("amount_fen"))
                .order_by("rule"))


def alert_counts_by_region(*, actor, alerts: QuerySet[Alert], region_code: str | None = None) -> list[dict]:
    """Counts per child region of `region_code` (default: the actor's region; the province for a superuser).
    Region codes carry their ancestors' prefixes, so the grouping is a substring, not a join."""
    parent = region_code or actor.region_id or Region.objects.filter(parent__isnull=True).values_list(
        "code", flat=True).first()
    if parent is None or codes.region_level(parent) == "village":
        return []
    child_level = codes.LEVELS[codes.LEVELS.index(codes.region_level(parent)) + 1]
    width = codes.PREFIX_LENGTHS[child_level]
    low, high = codes.subtree_bounds(parent)
    rows = (alerts.filter(region_id__gte=low, region_id__lte=high).order_by()
            .annotate(prefix=Substr("region_id", 1, width)).values("prefix")
            .annotate(count=Count("id"), amount_fen=Sum("amount_fen")))
    counted = {row["prefix"]: row for row in rows}
    result = []
    for region in Region.objects.filter(parent_id=parent).order_by("code"):
        row = counted.get(region.code[:width])
        if row:
            result.append({"code": region.code, "name": region.name, "count": row["count"],
                           "amount_fen": row["amount_fen"] or 0})
    # Alerts on the parent region itself (e.g. a county-level finding) are counted under it.
    own = counted.get(parent[:width])
    if own:
        result.append({"code": parent, "name": _("(this region itself)"), "count": own["count"],
                       "amount_fen": own["amount_fen"] or 0})
    return result


@dataclass
class SubjectView:
    kind: str
    kind_label: str
    ref: str
    detail: dict
    links: list[tuple[str, str]] = field(default_factory=list)  # (label, url)


@dataclass
class AlertDetail:
    alert: Alert
    subjects: list[SubjectView]
    events: list[AlertEvent]
    actions: list[str]


def alert_detail(*, actor, alert_id: int) -> AlertDetail:
    """One alert with its subjects (each with links to the payment trace and the roster), its history, and the
    actions the actor may take now."""
    from disbursement.payments.models import Payment

    alert = alert_for(actor, alert_id)
    alert = Alert.objects.select_related("region", "item", "assignee").get(pk=alert.pk)
    subjects = list(AlertSubject.objects.filter(alert_id=alert.pk).order_by("kind", "id"))
    line_ids = [int(s.ref) for s in subjects if s.kind == SubjectKind.LINE and s.ref.isdigit()]
    payment_ids = [int(s.ref) for s in subjects if s.kind == SubjectKind.PAYMENT and s.ref.isdigit()]
    # A line's trace is its latest payment (a re-issue supersedes a failed one).
    refs_by_line: dict[int, str] = {}
    for line_id, reference in Payment.objects.filter(line_id__in=line_ids).order_by("attempt").values_list(
            "line_id", "reference"):
        refs_by_line[line_id] = reference
    payments = dict(Payment.objects.filter(pk__in=payment_ids).values_list("pk", "reference"))
    labels = dict(SubjectKind.choices)
    views = []
    for s in subjects:
        view = SubjectView(kind=s.kind, kind_label=str(labels.get(s.kind, s.kind)), ref=s.ref, detail=s.detail)
        reference = None
        if s.kind == SubjectKind.PAYMENT:
            reference = (s.detail.get("reference") or s.detail.get("payment_reference")
                         or (payments.get(int(s.ref)) if s.ref.isdigit() else None))
        elif s.kind == SubjectKind.LINE and s.ref.isdigit():
            reference = refs_by_line.get(int(s.ref))
        if reference:
            view.links.append((_("Payment trace %(reference)s") % {"reference": reference},
                               reverse("payment-trace", args=[reference])))
        roster_id = s.detail.get("roster_id") or (s.ref if s.kind == SubjectKind.ROSTER else None)
        if roster_id:
            label = _("Roster %(id)s") % {"id": roster_id}
            if s.detail.get("row"):
                label += _(", row %(row)s") % {"row": s.detail["row"]}
            view.links.append((label, reverse("roster-detail", args=[int(roster_id)])))
        elif s.kind == SubjectKind.REGION:
            view.links.append((s.ref, reverse("region-detail", args=[s.ref])))
        views.append(view)
    events = list(AlertEvent.objects.filter(alert_id=alert.pk).select_related("actor").order_by("at", "id"))
    for event in events:
        event.label = EVENT_LABELS.get(event.action, event.action)
    return AlertDetail(alert=alert, subjects=views, events=events, actions=alert_actions(actor, alert))


def subject_link_rows(detail: AlertDetail) -> list[dict]:
    """The subjects as JSON-able rows (the API's shape)."""
    return [{"kind": s.kind, "ref": s.ref, "detail": s.detail,
             "links": [{"label": label, "url": url} for label, url in s.links]} for s in detail.subjects]


def inbox_list(*, actor) -> QuerySet[InboxEntry]:
    """The actor's inbox, unread first, newest first."""
    return (InboxEntry.objects.filter(user_id=actor.pk).select_related("alert", "alert__region")
            .order_by(F("read_at").asc(nulls_first=True), "-created_at", "-id"))


def inbox_unread_count(*, actor) -> int:
    return InboxEntry.objects.filter(user_id=actor.pk, read_at__isnull=True).count()


def alert_assignees(*, alert: Alert):
    """People the alert may be assigned to: active, of an assignable role, whose region contains its region."""
    from disbursement.accounts.models import User
    from disbursement.alerts.lifecycle import ASSIGNABLE_ROLES

    return (User.objects.filter(is_active=True, role__in=ASSIGNABLE_ROLES,
                                region_id__in=codes.ancestor_codes(alert.region_id)).order_by("region_id", "username"))
