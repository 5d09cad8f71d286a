from django.db.models import QuerySet
from django.utils.translation import gettext as _

from disbursement.accounts.scoping import scoped
from disbursement.budget.selectors import indicators_with_balances
from disbursement.errors import NotFound
from disbursement.money import fen_to_yuan
from disbursement.payments.models import Payment
from disbursement.pii import mask_name


def payment_search(*, actor, reference: str = "", status: str | None = None, roster_id: int | None = None,
                   village: str | None = None) -> QuerySet[Payment]:
    payments = scoped(Payment.objects.select_related("roster", "roster__item"), actor, "roster__township")
    if reference:
        payments = payments.filter(reference__startswith=reference.strip())
    if status:
        payments = payments.filter(status=status)
    if roster_id:
        payments = payments.filter(roster_id=roster_id)
    if village:
        payments = payments.filter(village_id=village)
    return payments.order_by("-id")


def payment_trace(*, actor, reference: str) -> dict:
    """One payment traced up to its indicator and down to the card: indicator → roster → approvals → bank file
    → bank result → card (masked), with its re-issue chain."""
    payment = (scoped(Payment.objects.select_related("roster", "roster__item", "roster__township", "bank_file",
                                                     "indicator", "village"), actor, "roster__township")
               .filter(reference=reference).first())
    if payment is None:
        raise NotFound(_("Payment not found."))
    indicator = indicators_with_balances().select_related("county").get(pk=payment.indicator_id)
    roster = payment.roster
    chain = []
    cursor = payment
    while cursor.previous_id:
        cursor = Payment.objects.get(pk=cursor.previous_id)
        chain.append(cursor)
    later = Payment.objects.filter(previous=payment).first()
    return {
        "payment": {"reference": payment.reference, "status": payment.status, "amount_yuan":
                    fen_to_yuan(payment.amount_fen), "attempt": payment.attempt},
        "indicator": {"document_number": indicator.document_number, "county": indicator.county.name,
                      "fiscal_year": indicator.fiscal_year, "funding_level": indicator.funding_level,
                      "issued_yuan": fen_to_yuan(indicator.issued_fen),
                      "available_yuan": fen_to_yuan(indicator.available_fen),
                      "reserved_yuan": fen_to_yuan(indicator.reserved_fen),
                      "paid_yuan": fen_to_yuan(indicator.paid_fen),
                      "returned_yuan": fen_to_yuan(indicator.returned_fen)},
        "roster": {"id": roster.pk, "item": roster.item_id, "item_name": roster.item.name,
                   "township": roster.township.name, "period": roster.period, "status": roster.status},
        "approvals": [{"action": a.action, "by": str(a.actor) if a.actor_id else None, "at": a.at.isoformat(),
                       "reason": a.reason} for a in roster.approvals.select_related("actor")],
        "bank_file": None if payment.bank_file is None else {
            "file_id": payment.bank_file.file_id, "bank": payment.bank_file.bank,
            "created_at": payment.bank_file.created_at.isoformat(),
            "returned_at": payment.bank_file.returned_at.isoformat() if payment.bank_file.returned_at else None},
        "bank_result": {"status": payment.status, "code": payment.result_code, "transaction": payment.bank_txn,
                        "settled_at": payment.settled_at.isoformat() if payment.settled_at else None},
        "payee": {"name": mask_name(payment.payee_name), "card": payment.card_masked, "bank": payment.bank,
                  "village": payment.village.name},
        "earlier_attempts": [p.reference for p in chain],
        "reissued_as": later.reference if later else None,
    }
