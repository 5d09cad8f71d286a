"""The township clerk's one-step fix of a failed payment: register the payee's corrected card and re-issue the
payment to it (`corrections.payment_card_fix`, one transaction), from the roster's failed-payment list."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_refusal
from disbursement.banking.codes import REASONS
from disbursement.errors import DomainError, NotFound, PermissionDenied
from disbursement.payments import corrections, selectors
from disbursement.payments.models import PaymentStatus

BANK_MAX_LENGTH = 60


def _payment_for_fix(request, payment_id: int):
    try:
        payment = selectors.payment_get(actor=request.user, payment_id=payment_id)
    except NotFound:
        raise Http404 from None
    for action in ("payment.reissue", "card.register"):
        if action_refusal(request.user, action, region_code=payment.roster.township_id) is not None:
            raise DjangoPermissionDenied
    return payment


@login_required
def payment_card_fix(request, payment_id: int):
    payment = _payment_for_fix(request, payment_id)
    errors = {}
    status = 200
    if request.method == "POST":
        # The card number is used here and dropped: never echoed into a message, a log line or the next page.
        card_number = request.POST.get("card_number", "").strip()[:40]
        bank = request.POST.get("bank", "").strip()[:BANK_MAX_LENGTH]
        if not card_number and payment.status == PaymentStatus.FAILED:
            errors["card_number"] = _("Enter the corrected card number.")
        else:
            try:
                fix = corrections.payment_card_fix(actor=request.user, payment_id=payment.pk,
                                                   card_number=card_number, bank=bank)
            except NotFound:
                raise Http404 from None
            except PermissionDenied:
                raise DjangoPermissionDenied from None
            except DomainError as exc:
                errors[exc.field if exc.field in ("card_number", "bank") else "form"] = exc.message
            else:
                if fix.already:
                    messages.info(request, _("This payment was already re-issued (%(reference)s); nothing was "
                                             "registered or re-issued again.") % {"reference": fix.reissue.reference})
                else:
                    messages.success(request, _("The corrected card is registered and the payment re-issued to it."))
                return redirect("payment-card-fix", payment_id=payment.pk)
        status = 400
        payment.refresh_from_db()
    reason = REASONS.get(payment.result_code)
    return render(request, "payments/card_fix.html", {
        "payment": payment, "reason": reason, "errors": errors,
        "reissue": payment.reissue if payment.status == PaymentStatus.REISSUED else None,
        "fixable": payment.status == PaymentStatus.FAILED and (reason is None or reason.reissue),
    }, status=status)
