"""The staff page where supervisors (and county finance or departments) read and answer complaints of their region."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disbursement import listing
from disbursement.accounts.permissions import action_allowed
from disbursement.complaints import selectors, services
from disbursement.complaints.models import Complaint, ComplaintKind, ComplaintStatus
from disbursement.errors import DomainError, ValidationFailed
from disbursement.exports import EXPORT_MAX_ROWS, Column, export_requested, xlsx_response
from disbursement.pii import mask_name


@login_required
def complaint_list(request):
    if request.method == "POST":
        try:
            services.complaint_answer(actor=request.user, complaint_id=int(request.POST.get("complaint", "0")),
                                      answer=request.POST.get("answer", ""))
        except (DomainError, ValueError) as exc:
            messages.error(request, getattr(exc, "message", str(exc)))
        else:
            messages.success(request, _("The answer is saved; the resident sees it with the tracking number."))
        return redirect("complaint-list")
    context = {"statuses": ComplaintStatus.choices, "kinds": ComplaintKind.choices,
               "filters": dict.fromkeys(COMPLAINT_FILTERS), "query": listing.list_query(request),
               # The provincial administrator reads the province's complaints; answering stays with the region's staff.
               "may_answer": action_allowed(request.user, "complaint.answer", check_region=False)}
    try:
        filters = selectors.complaint_filters_clean(actor=request.user, params=request.GET)
    except ValidationFailed as exc:
        context.update(error=exc.message, page=Paginator(Complaint.objects.none(), 30).get_page(1),
                       region_options=listing.region_options(actor=request.user, code=None))
        return render(request, "complaints/complaint_list.html", context, status=400)
    try:
        complaints = selectors.complaint_list(actor=request.user, **filters)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("home")
    context.update(filters=filters, region_selected=filters["region"],
                   region_options=listing.region_options(actor=request.user, code=filters["region"]))
    if export_requested(request):
        if complaints.count() > EXPORT_MAX_ROWS:
            context.update(error=_("More than %(n)s complaints: narrow the filters to export them.")
                           % {"n": f"{EXPORT_MAX_ROWS:,}"}, page=Paginator(complaints, 30).get_page(1))
            return render(request, "complaints/complaint_list.html", context, status=400)
        return xlsx_response(file_name="complaints", sheet_title=_("Complaints"), columns=_columns(),
                             rows=_complaint_rows(complaints))
    context["page"] = Paginator(complaints, 30).get_page(request.GET.get("page"))
    return render(request, "complaints/complaint_list.html", context)


COMPLAINT_FILTERS = ("status", "kind", "region", "since", "until")


def _columns() -> list[Column]:
    """Built per request: the headers are read in the request's language."""
    return [Column(_("No."), "int", 8), Column(_("Kind"), width=20), Column(_("Status"), width=10),
            Column(_("Region"), width=20), Column(_("Received"), "datetime", 17), Column(_("Subject"), width=50),
            Column(_("Contact"), width=10), Column(_("Contact phone"), width=14),
            Column(_("Payment reference"), width=20), Column(_("Roster"), "int", 8), Column(_("Answer"), width=50),
            Column(_("Answered"), "datetime", 17)]


def _complaint_rows(complaints):
    kinds, statuses = dict(ComplaintKind.choices), dict(ComplaintStatus.choices)
    rows = complaints.values_list("pk", "kind", "status", "region__name", "created_at", "subject", "contact_name",
                                  "contact_phone_masked", "payment__reference", "roster_id", "answer", "answered_at")
    for pk, kind, status, region, created, subject, name, phone, payment, roster, answer, answered in rows.iterator(
            chunk_size=2000):
        yield [pk, str(kinds.get(kind, kind)), str(statuses.get(status, status)), region, created, subject,
               mask_name(name) if name else "", phone, payment, roster, answer, answered]
