"""Roster pages: upload with live progress, the import's outcome, roster list and detail."""

import io
from datetime import date

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from backend.uploads import upload_too_large_message
from disbursement import listing
from disbursement.accounts.permissions import action_allowed
from disbursement.accounts.roles import Role
from disbursement.budget.selectors import roster_shortfall_fen
from disbursement.catalog.models import Item
from disbursement.complaints.selectors import roster_objections
from disbursement.errors import DomainError, NotFound, ValidationFailed
from disbursement.exports import EXPORT_MAX_ROWS, Column, export_requested, xlsx_response
from disbursement.money import fen_to_yuan
from disbursement.payments.holds import roster_held_lines
from disbursement.payments.services import roster_line_amounts
from disbursement.rosters import reports, selectors, services, workflow
from disbursement.rosters.models import ImportKind, Roster, RosterStatus
from disbursement.treasury.forecast import approval_outlook
from geo.models import Region, RegionLevel
from geo.selectors import province_code

ACTION_LABELS = {
    "start_publicity": _("Start publicity"),
    "township_approve": _("Approve (township)"),
    "department_approve": _("Approve (department)"),
    "finance_approve": _("Approve and reserve budget (finance)"),
    "reject": _("Return to clerk"),
}


def region_picker_attrs() -> dict:
    """The texts and API address the region cascade (static/js/pickers.js) reads from data-* attributes."""
    return {
        "data-children-url": reverse("api:region_children", kwargs={"code": "000000000000"}),
        "data-label-city": RegionLevel.CITY.label, "data-label-county": RegionLevel.COUNTY.label,
        "data-label-township": RegionLevel.TOWNSHIP.label, "data-label-village": RegionLevel.VILLAGE.label,
        "data-choose": _("Choose…"),
    }


class UploadForm(forms.Form):
    # Rosters are for items paid onto the card; the others are paid to an insurer, school or bank.
    item = forms.ModelChoiceField(label=_("Subsidy item"), queryset=Item.objects.filter(is_active=True, card_paid=True))
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
        # The pickers: items grouped by category with a type-ahead, townships by a cascade below the user's region.
        items = self.fields["item"].queryset.select_related("category").order_by("category_id", "code")
        groups: dict[str, list] = {}
        for item in items:
            groups.setdefault(item.category.name, []).append((item.code, f"{item.code} {item.name}"))
        self.fields["item"].choices = [("", "---------"), *groups.items()]
        self.fields["item"].widget.attrs.update({"data-picker": "item", "data-search-label": _("Find by name or code"),
                                                  "data-no-match": _("No item matches.")})
        self.fields["township"].widget.attrs.update({
            "data-picker": "region", "data-region-root": user.region_id or province_code(),
            "data-region-target": RegionLevel.TOWNSHIP, **region_picker_attrs()})


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


ROSTER_FILTERS = ("item", "period", "status", "township", "region")


@login_required
def roster_list(request):
    imports = selectors.import_job_list(actor=request.user).filter(kind=ImportKind.ROSTER)[:10]
    context = {"imports": imports, "statuses": RosterStatus.choices, "item_groups": listing.item_groups(),
               "filters": dict.fromkeys(ROSTER_FILTERS), "query": listing.list_query(request)}
    try:
        filters = selectors.roster_filters_clean(actor=request.user, params=request.GET)
    except ValidationFailed as exc:
        context.update(error=exc.message, page=Paginator(Roster.objects.none(), 50).get_page(1),
                       region_options=listing.region_options(actor=request.user, code=None, lowest="township"))
        return render(request, "rosters/roster_list.html", context, status=400)
    rosters = selectors.roster_list(actor=request.user, **filters)
    region = filters["township"] or filters["region"]
    context.update(filters=filters, region_selected=region, region_options=listing.region_options(
        actor=request.user, code=region, lowest="township"))
    if export_requested(request):
        if rosters.count() > EXPORT_MAX_ROWS:
            context.update(error=_("More than %(n)s rosters: narrow the filters to export them.")
                           % {"n": f"{EXPORT_MAX_ROWS:,}"}, page=Paginator(rosters, 50).get_page(1))
            return render(request, "rosters/roster_list.html", context, status=400)
        return xlsx_response(file_name="rosters", sheet_title=_("Rosters"), columns=[
            Column(_("No."), "int", 8), Column(_("Item"), width=24), Column(_("Township")),
            Column(_("Period"), width=9), Column(_("Lines"), "int", 8), Column(_("Total (yuan)"), "fen"),
            Column(_("Status"), width=16), Column(_("Uploaded"), "date", 12)], rows=(
            [r.pk, r.item.name, r.township.name, r.period, r.line_count, r.total_fen, r.get_status_display(),
             r.created_at] for r in rosters.iterator(chunk_size=2000)))
    context["page"] = Paginator(rosters, 50).get_page(request.GET.get("page"))
    return render(request, "rosters/roster_list.html", context)


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


def _budget_shortfall(user, roster) -> tuple[int, str]:
    """What approving would lack in indicator money, and the prefilled issue form's address if the user issues."""
    shortfall = roster_shortfall_fen(roster=roster, amounts=roster_line_amounts(roster_id=roster.pk)[1])
    county = roster.township_id[:6].ljust(12, "0")
    if not shortfall or not action_allowed(user, "indicator.issue", region_code=county, existing=False):
        return shortfall, ""
    query = urlencode({"item": roster.item_id, "county": county, "year": roster.period[:4],
                       "amount": fen_to_yuan(shortfall), "next": reverse("roster-detail", args=[roster.pk])})
    return shortfall, f"{reverse('indicator-issue')}?{query}"


@login_required
def roster_detail(request, roster_id: int):
    try:
        roster = selectors.roster_get(actor=request.user, roster_id=roster_id)
    except NotFound:
        raise Http404 from None
    village = request.GET.get("village") or None
    lines = Paginator(selectors.roster_lines(roster=roster, village=village), 100).get_page(request.GET.get("page"))
    actions = workflow.roster_next_actions(actor=request.user, roster=roster)
    shortfall_fen, issue_url = _budget_shortfall(request.user, roster) if "finance_approve" in actions else (0, "")
    return render(request, "rosters/roster_detail.html", {
        "roster": roster, "villages": selectors.roster_village_totals(roster=roster), "page": lines,
        "village": village, "actions": actions,
        # At the finance step: the county's treasury beside the approval (a warning, never a block).
        "outlook": approval_outlook(roster) if "finance_approve" in actions else None,
        # Short of indicator money: how much, and the issue form prefilled for it.
        "shortfall_fen": shortfall_fen, "issue_url": issue_url,
        "approvals": roster.approvals.select_related("actor"), "action_labels": ACTION_LABELS,
        "bank_files": roster.bank_files.order_by("id"), "failed": roster.payments.filter(status="failed")[:200],
        "objections": roster_objections(roster_id=roster.pk),
        "held": roster_held_lines(roster_id=roster.pk),
        "is_finance": action_allowed(request.user, "bankfile.generate", region_code=roster.township_id),
        "handles_failures": action_allowed(request.user, "payment.reissue", region_code=roster.township_id),
    })
