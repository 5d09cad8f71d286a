"""Pages for the bank side of a roster (files out, returns in, failed payments) and for tracing a payment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disbursement.banking import services as banking
from disbursement.errors import DomainError, NotFound
from disbursement.payments import corrections, holds, selectors
from disbursement.payments.models import PaymentStatus
from disbursement.redirects import redirect_next


def _outcome(request, run, success: str, already: str = ""):
    """Run one service and say how it went; `already` is said instead of `success` when the service answers a
    repeat (it marks its result `already_done`, or returns an empty list of new things)."""
    try:
        result = run()
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        repeated = getattr(result, "already_done", False) or result == []
        if repeated and already:
            messages.info(request, already)
        else:
            messages.success(request, success)


@login_required
def bank_files_generate(request, roster_id: int):
    if request.method == "POST":
        _outcome(request, lambda: banking.bank_files_generate(actor=request.user, roster_id=roster_id),
                 _("Payment files are ready to download."),
                 _("No payment was waiting for a file: the payment files had been made already."))
    return redirect("roster-detail", roster_id=roster_id)


@login_required
def bank_file_download(request, bank_file_id: int):
    try:
        bank_file = banking.bank_file_download(actor=request.user, bank_file_id=bank_file_id)
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("payment-list")
    response = HttpResponse(bank_file.payment_file_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{bank_file.file_id}.csv"'
    return response


@login_required
def bank_return_upload(request, roster_id: int):
    if request.method == "POST" and request.FILES.get("file"):
        data = request.FILES["file"].read()
        _outcome(request, lambda: banking.return_file_import(actor=request.user, data=data),
                 _("The return file is reconciled."),
                 _("This return file had already been reconciled; nothing changed."))
    return redirect("roster-detail", roster_id=roster_id)


@login_required
def payment_act(request, payment_id: int):
    if request.method != "POST":
        raise Http404
    action = request.POST.get("action")
    if action == "void":
        _outcome(request, lambda: holds.payment_hold_void(actor=request.user, payment_id=payment_id,
                                                          reason=request.POST.get("reason", "")[:500]),
                 _("The held line is voided and its money released."),
                 _("The held line had already been voided; nothing changed."))
        return redirect_next(request, "payment-list")
    card_number = request.POST.get("card_number", "").strip()
    if action == "reissue" and card_number:
        # The card number is used here and dropped: never echoed into a message, a log line or the next page.
        def run(*, actor, payment_id):
            return corrections.payment_reissue_to_card(actor=actor, payment_id=payment_id, card_number=card_number,
                                                       bank=request.POST.get("bank", "").strip()[:60])
    else:
        run = {"reissue": corrections.payment_reissue, "return": corrections.payment_return}.get(action)
    if run is None:
        raise Http404
    already = {"reissue": _("The payment had already been re-issued; nothing changed."),
               "return": _("The money had already been returned to the indicator; nothing changed.")}[action]
    _outcome(request, lambda: run(actor=request.user, payment_id=payment_id), _("Done."), already)
    return redirect_next(request, "payment-list")


@login_required
def payment_list(request):
    status = request.GET.get("status") if request.GET.get("status") in PaymentStatus.values else None
    payments = selectors.payment_search(actor=request.user, reference=request.GET.get("reference", "")[:32],
                                        status=status)
    page = Paginator(payments, 50).get_page(request.GET.get("page"))
    return render(request, "payments/payment_list.html", {"page": page, "statuses": PaymentStatus.choices,
                                                          "status": status})


@login_required
def payment_trace(request, reference: str):
    try:
        trace = selectors.payment_trace(actor=request.user, reference=reference)
    except NotFound:
        raise Http404 from None
    return render(request, "payments/payment_trace.html", {"trace": trace})


@login_required
def stopped_report(request):
    """Stopped before payment, county × rule, within the user's jurisdiction."""
    report = selectors.payments_stopped(actor=request.user)
    counties = [{**county, "rows": [r for r in report["rows"] if r["county"] == county["county"]]}
                for county in report["counties"]]
    return render(request, "payments/stopped.html", {"report": report, "counties": counties})
