"""The staff page where supervisors (and county finance or departments) read and answer complaints of their region."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_allowed
from disbursement.complaints import selectors, services
from disbursement.complaints.models import ComplaintStatus
from disbursement.errors import DomainError


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
    status = request.GET.get("status") if request.GET.get("status") in ComplaintStatus.values else None
    try:
        complaints = selectors.complaint_list(actor=request.user, status=status)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("home")
    page = Paginator(complaints, 30).get_page(request.GET.get("page"))
    # The provincial administrator reads the province's complaints; answering stays with the region's staff.
    may_answer = action_allowed(request.user, "complaint.answer", check_region=False)
    return render(request, "complaints/complaint_list.html", {"page": page, "statuses": ComplaintStatus.choices,
                                                             "status": status, "may_answer": may_answer})
