"""What happens to a failed payment: re-issued after correction, or returned to its indicator."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_check
from disbursement.audit.services import audit_record
from disbursement.banking.codes import REASONS
from disbursement.banking.services import roster_settle
from disbursement.budget.models import Movement
from disbursement.budget.services import ledger_move
from disbursement.errors import Conflict, NotFound
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.models import Card, CardStatus


def _failed(payment_id: int) -> Payment:
    payment = Payment.objects.select_for_update().select_related("roster").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("Payment not found."))
    return payment


@transaction.atomic
def payment_reissue(*, actor, payment_id: int) -> Payment:
    """A new payment to the person's current active card, for the next bank file; the money stays reserved.
    Re-issuing twice gives the same re-issue."""
    payment = _failed(payment_id)
    action_check(actor, "payment.reissue", region_code=payment.roster.township_id, not_found=_("Payment not found."))
    if payment.status == PaymentStatus.REISSUED:
        return payment.reissue
    if payment.status != PaymentStatus.FAILED:
        raise Conflict(_("Only a failed payment can be re-issued."))
    if payment.result_code in REASONS and not REASONS[payment.result_code].reissue:
        raise Conflict(_("The bank's reason (%(reason)s) rules out paying again; return the money instead.")
                       % {"reason": REASONS[payment.result_code].label})
    card = Card.objects.filter(person_id=payment.person_id, status=CardStatus.ACTIVE).first()
    if card is None:
        raise Conflict(_("The person has no active card; register the corrected card first."))
    base = payment.reference.rsplit("-", 1)[0]
    again = Payment.objects.create(
        reference=f"{base}-{payment.attempt + 1}", roster=payment.roster, line_id=payment.line_id,
        indicator_id=payment.indicator_id, person_id=payment.person_id, card=card, payee_name=payment.payee_name,
        card_masked=card.number_masked, bank=card.bank, village_id=payment.village_id, amount_fen=payment.amount_fen,
        status=PaymentStatus.PENDING, attempt=payment.attempt + 1, previous=payment,
    )
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.FAILED).update(status=PaymentStatus.REISSUED)
    audit_record(actor=actor, action="payment.reissue", obj=payment, region_code=payment.roster.township_id,
                 reissue=again.reference)
    return again


@transaction.atomic
def payment_return(*, actor, payment_id: int) -> Payment:
    """Give a failed payment's money back to its indicator (reserved → returned)."""
    payment = _failed(payment_id)
    action_check(actor, "payment.return", region_code=payment.roster.township_id, not_found=_("Payment not found."))
    if payment.status == PaymentStatus.RETURNED:
        return payment
    if payment.status != PaymentStatus.FAILED:
        raise Conflict(_("Only a failed payment can be returned."))
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.FAILED).update(status=PaymentStatus.RETURNED)
    ledger_move(indicator_id=payment.indicator_id, movement=Movement.RETURN, amount_fen=payment.amount_fen,
                actor=actor, roster=payment.roster, reference=payment.reference)
    roster_settle(roster_id=payment.roster_id)
    audit_record(actor=actor, action="payment.return", obj=payment, region_code=payment.roster.township_id)
    payment.refresh_from_db()
    return payment


def payments_return_expired(*, days: int) -> int:
    """Periodic: failed payments nobody re-issued within `days` go back to their indicators."""
    cutoff = timezone.now() - timezone.timedelta(days=days)
    returned = 0
    for payment_id in Payment.objects.filter(status=PaymentStatus.FAILED, settled_at__lt=cutoff).values_list(
            "pk", flat=True).iterator():
        try:
            payment_return(actor=None, payment_id=payment_id)
            returned += 1
        except Conflict:  # re-issued or returned meanwhile
            continue
    return returned
