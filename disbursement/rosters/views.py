"""Roster pages: upload with live progress, the import's outcome, roster list and detail."""

import io
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from backend.uploads import upload_too_large_message
from disbursement.accounts.permissions import action_allowed
from disbursement.accounts.roles import Role
from disbursement.catalog.models import Item
from disbursement.complaints.selectors import roster_objections
from disbursement.errors import DomainError, NotFound
from disbursement.payments.holds import roster_held_lines
from disbursement.rosters import reports, selectors, services, workflow
from disbursement.rosters.models import ImportKind
from disbursement.treasury.forecast import approval_outlook
from geo.models import Region, RegionLevel

ACTION_LABELS = {
    "start_publicity": _("Start publicity"),
    "township_approve": _("Approve (township)"),
    "department_approve": _("Approve (department)"),
    "finance_approve": _("Approve and reserve budget (finance)"),
    "reject": _("Return to clerk"),
}


class UploadForm(forms.Form):
    item = forms.ModelChoiceField(label=_("Subsidy item"), queryset=Item.objects.filter(is_active=True))
    township = forms.ModelChoiceField(label=_("Township"), queryset=Region.objects.none())
    period = forms.CharField(
        label=_("Period"), max_length=7,
        help_text=_("2026 for yearly items, 2026H2 half-yearly, 2026Q4 quarterly, 2026-11 monthly"),
    )
    file = forms.FileField(label=_("Roster file (CSV or XLSX)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        townships = Region.objects.filter(level=RegionLevel.TOWNSHIP)
        if not user.is_superuser:
            townships = townships.within(user.region_id) if user.region_id else townships.none()
        self.fields["township"].queryset = townships.order_by("code")
        if user.role == Role.TOWNSHIP_CLERK:
            self.fields["township"].initial = user.region_id


@login_required
def roster_upload(request):
    if getattr(request, "upload_too_large", False):
        form = UploadForm({}, user=request.user)
        form.errors.clear()
        form.add_error("file", upload_too_large_message())
        return render(request, "rosters/upload.html", {"form": form}, status=413)
    if request.method == "POST":
        form = UploadForm(request.POST, request.FILES, user=request.user)
        if form.is_valid():
            try:
                job = services.roster_import_submit(
                    actor=request.user, content=form.cleaned_data["file"], file_name=form.cleaned_data["file"].name,
                    item_code=form.cleaned_data["item"].code, township_code=form.cleaned_data["township"].code,
                    period=form.cleaned_data["period"].strip(),
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect("import-detail", job_id=job.pk)
    else:
        form = UploadForm(user=request.user)
    return render(request, "rosters/upload.html", {"form": form})


# backend.middleware.HostileInputMiddleware hands an oversized upload to this view for its form error.
roster_upload.handles_upload_too_large = True


@login_required
def import_detail(request, job_id: int):
    try:
        job = selectors.import_job_get(actor=request.user, job_id=job_id)
    except NotFound:
        raise Http404 from None
    return render(request, "rosters/import_detail.html",
                  {"job": job, "progress": services.import_progress_get(job), "errors": job.errors[:200]})


@login_required
def import_report(request, job_id: int):
    try:
        job = selectors.import_job_get(actor=request.user, job_id=job_id)
    except NotFound:
        raise Http404 from None
    if not job.report:
        raise Http404
    return FileResponse(io.BytesIO(services.import_report_bytes(job)), as_attachment=True,
                        filename=reports.report_file_name(job.file_name))


@login_required
def roster_list(request):
    rosters = selectors.roster_list(actor=request.user, item=request.GET.get("item") or None,
                                    period=request.GET.get("period") or None)
    imports = selectors.import_job_list(actor=request.user).filter(kind=ImportKind.ROSTER)[:10]
    page = Paginator(rosters, 50).get_page(request.GET.get("page"))
    return render(request, "rosters/roster_list.html", {"page": page, "imports": imports})


@login_required
def roster_act(request, roster_id: int):
    """The workflow buttons of the roster page post here; the outcome is shown as a message."""
    if request.method != "POST":
        return redirect("roster-detail", roster_id=roster_id)
    notice_posted_on = None
    if request.POST.get("notice_posted_on"):
        try:
            notice_posted_on = date.fromisoformat(request.POST["notice_posted_on"])
        except ValueError:
            messages.error(request, _("The date the notice was posted is not a date."))
            return redirect("roster-detail", roster_id=roster_id)
    try:
        roster = workflow.roster_act(actor=request.user, roster_id=roster_id, action=request.POST.get("action", ""),
                                     reason=request.POST.get("reason", ""), notice_posted_on=notice_posted_on)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if getattr(roster, "already_done", False):
            messages.info(request, _("This step had already been taken; nothing changed. The roster is: %(status)s.")
                          % {"status": roster.get_status_display()})
        else:
            messages.success(request, _("The roster is now: %(status)s.") % {"status": roster.get_status_display()})
    return redirect("roster-detail", roster_id=roster_id)


@login_required
def roster_detail(request, roster_id: int):
    try:
        roster = selectors.roster_get(actor=request.user, roster_id=roster_id)
    except NotFound:
        raise Http404 from None
    village = request.GET.get("village") or None
    lines = Paginator(selectors.roster_lines(roster=roster, village=village), 100).get_page(request.GET.get("page"))
    actions = workflow.roster_next_actions(actor=request.user, roster=roster)
    return render(request, "rosters/roster_detail.html", {
        "roster": roster, "villages": selectors.roster_village_totals(roster=roster), "page": lines,
        "village": village, "actions": actions,
        # At the finance step: the county's treasury beside the approval (a warning, never a block).
        "outlook": approval_outlook(roster) if "finance_approve" in actions else None,
        "approvals": roster.approvals.select_related("actor"), "action_labels": ACTION_LABELS,
        "bank_files": roster.bank_files.order_by("id"), "failed": roster.payments.filter(status="failed")[:200],
        "objections": roster_objections(roster_id=roster.pk),
        "held": roster_held_lines(roster_id=roster.pk),
        "is_finance": action_allowed(request.user, "bankfile.generate", region_code=roster.township_id),
        "handles_failures": action_allowed(request.user, "payment.reissue", region_code=roster.township_id),
    })
