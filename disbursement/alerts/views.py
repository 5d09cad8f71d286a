"""Alert pages: the queue, one alert with its actions, the inbox. Views parse, call one selector or service,
and render; domain errors become a message on the page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disbursement.alerts import selectors, services
from disbursement.alerts.exports import alerts_xlsx
from disbursement.alerts.lifecycle import MEASURES
from disbursement.alerts.models import AlertSource, AlertStatus, Severity
from disbursement.errors import DomainError, NotFound, PermissionDenied

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _queue(request):
    filters = selectors.alert_filters_clean(request.GET)
    return filters, selectors.alert_queue(actor=request.user, filters=filters)


@login_required
def alert_list(request):
    try:
        filters, alerts = _queue(request)
    except PermissionDenied as exc:
        messages.error(request, exc.message)
        return redirect("home")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("alert-list")
    page = Paginator(alerts, 30).get_page(request.GET.get("page"))
    return render(request, "alerts/alert_list.html", {
        "page": page, "filters": filters, "severities": Severity.choices, "statuses": AlertStatus.choices,
        "sources": AlertSource.choices, "by_rule": selectors.alert_counts_by_rule(alerts=alerts),
        "by_region": selectors.alert_counts_by_region(actor=request.user, alerts=alerts,
                                                      region_code=filters.get("region")),
        "query": request.GET.urlencode(),
    })


@login_required
def alert_export(request):
    try:
        _filters, alerts = _queue(request)
    except PermissionDenied:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("alert-list")
    response = HttpResponse(alerts_xlsx(alerts=alerts), content_type=XLSX)
    response["Content-Disposition"] = 'attachment; filename="alerts.xlsx"'
    return response


def _action_arguments(action: str, post) -> dict:
    text = {"note": post.get("note", "")}
    if action == "assign":
        return {"assignee_id": int(post.get("assignee_id") or 0), **text}
    if action == "confirm":
        return {"finding": post.get("finding", "")}
    if action == "dismiss":
        return {"reason": post.get("reason", "")}
    if action == "rectify":
        return {"recovery_due_yuan": post.get("recovery_due_yuan", ""), "measures": post.getlist("measures"), **text}
    if action == "recover":
        return {"amount_yuan": post.get("amount_yuan", ""), **text}
    if action == "close":
        return {"waiver": post.get("waiver", ""), **text}
    return text


@login_required
def alert_detail(request, alert_id: int):
    if request.method == "POST":
        action = request.POST.get("action", "")
        if action not in services.ACTIONS:
            messages.error(request, _("Unknown action."))
            return redirect("alert-detail", alert_id=alert_id)
        try:
            services.ACTIONS[action](actor=request.user, alert_id=alert_id,
                                     **_action_arguments(action, request.POST))
        except NotFound:
            raise Http404 from None
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", _("The form is not valid.")))
        else:
            messages.success(request, _("Saved."))
        return redirect("alert-detail", alert_id=alert_id)
    try:
        detail = selectors.alert_detail(actor=request.user, alert_id=alert_id)
    except NotFound:
        raise Http404 from None
    services.inbox_mark_read(actor=request.user, alert_id=alert_id)
    return render(request, "alerts/alert_detail.html", {
        "detail": detail, "alert": detail.alert, "actions": detail.actions, "measures": MEASURES.items(),
        "assignees": selectors.alert_assignees(alert=detail.alert) if "assign" in detail.actions else [],
    })


@login_required
def inbox(request):
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("entry") if i.isdigit()]
        services.inbox_mark_read(actor=request.user, entry_ids=ids if ids else None)
        return redirect("inbox")
    page = Paginator(selectors.inbox_list(actor=request.user), 30).get_page(request.GET.get("page"))
    return render(request, "alerts/inbox.html", {"page": page,
                                                 "unread": selectors.inbox_unread_count(actor=request.user)})
