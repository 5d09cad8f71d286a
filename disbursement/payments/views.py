"""Pages for the bank side of a roster (files out, returns in, failed payments) and for tracing a payment."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disbursement import listing
from disbursement.banking import services as banking
from disbursement.banking.codes import REASONS
from disbursement.errors import DomainError, NotFound, ValidationFailed
from disbursement.exports import EXPORT_MAX_ROWS, Column, export_requested, xlsx_response
from disbursement.payments import corrections, holds, selectors
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.pii import mask_name
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


PAYMENT_FILTERS = ("reference", "status", "reason", "item", "period", "year", "village", "region", "bank", "roster_id")


def _payment_columns(*, failed: bool) -> list[Column]:
    columns = [Column(_("Reference"), width=24), Column(_("Item")), Column(_("Period"), width=9),
               Column(_("Township")), Column(_("Village")), Column(_("Payee"), width=10), Column(_("Card"), width=22),
               Column(_("Bank")), Column(_("Amount (yuan)"), "fen"), Column(_("Status"), width=12),
               Column(_("Bank result"), width=24)]
    if failed:
        columns.append(Column(_("What to do"), width=40))
    return [*columns, Column(_("Attempt"), "int", 8), Column(_("Created"), "datetime", 17),
            Column(_("Settled"), "datetime", 17)]


def _payment_rows(payments, *, failed: bool):
    statuses = dict(PaymentStatus.choices)
    rows = payments.values_list("reference", "roster__item__name", "roster__period", "roster__township__name",
                                "village__name", "payee_name", "card_masked", "bank", "amount_fen", "status",
                                "result_code", "attempt", "created_at", "settled_at")
    for (reference, item, period, township, village, payee, card, bank, amount, status, code, attempt, created,
         settled) in rows.iterator(chunk_size=2000):
        reason = REASONS.get(code)
        row = [reference, item, period, township, village, mask_name(payee), card, bank, amount,
               str(statuses.get(status, status)), f"{code} {reason.label}" if reason else code]
        if failed:
            row.append(str(reason.action) if reason else "")
        yield [*row, attempt, created, settled]


def _payments_page(request, *, failed: bool):
    """The payment list and the failed-payment list: one query string, filtered, paginated, or exported."""
    template = "payments/failed_list.html" if failed else "payments/payment_list.html"
    context = {"statuses": PaymentStatus.choices, "reasons": REASONS.values(),
               "banks": selectors.payment_banks(actor=request.user), "filters": dict.fromkeys(PAYMENT_FILTERS),
               "query": listing.list_query(request), "item_groups": listing.item_groups()}
    try:
        filters = selectors.payment_filters_clean(actor=request.user, params=request.GET)
    except ValidationFailed as exc:
        context.update(error=exc.message, page=Paginator(Payment.objects.none(), 50).get_page(1),
                       region_options=listing.region_options(actor=request.user, code=None))
        return render(request, template, context, status=400)
    if failed:
        filters["status"] = PaymentStatus.FAILED
    payments = selectors.payment_search(actor=request.user, **filters)
    region = filters["village"] or filters["region"]
    context.update(filters=filters, region_selected=region,
                   region_options=listing.region_options(actor=request.user, code=region))
    if export_requested(request):
        if payments.count() > EXPORT_MAX_ROWS:
            context.update(error=_("More than %(n)s payments: narrow the filters to export them.")
                           % {"n": f"{EXPORT_MAX_ROWS:,}"}, page=Paginator(payments, 50).get_page(1))
            return render(request, template, context, status=400)
        return xlsx_response(file_name="failed-payments" if failed else "payments",
                             sheet_title=_("Failed payments") if failed else _("Payments"),
                             columns=_payment_columns(failed=failed), rows=_payment_rows(payments, failed=failed))
    context["page"] = Paginator(payments, 50).get_page(request.GET.get("page"))
    return render(request, template, context)


@login_required
def payment_list(request):
    return _payments_page(request, failed=False)


@login_required
def failed_payment_list(request):
    """Failed payments of the user's jurisdiction, by reason, roster, item, period, region or bank; the
    re-issue and return buttons stay on each roster's page, which every row links to."""
    return _payments_page(request, failed=True)


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
