"""What happens to a failed payment: re-issued after correction, or returned to its indicator."""

from typing import NamedTuple

import pandas as pd
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
from disbursement.registry import validators
from disbursement.registry.models import Card, CardStatus, Person
from disbursement.registry.services import card_replace
from disbursement.supervision.services import facts_refresh_enqueue


def _already_done(payment: Payment) -> Payment:
    """Marks the answer to a repeated request (`already_done`), so a page can say the step had been taken
    instead of repeating its success; API callers get the same payment either way."""
    payment.already_done = True
    return payment


def _failed(payment_id: int) -> Payment:
    payment = Payment.objects.select_for_update().select_related("roster").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("Payment not found."))
    return payment


def _reissuable(payment: Payment) -> None:
    if payment.status != PaymentStatus.FAILED:
        raise Conflict(_("Only a failed payment can be re-issued."))
    reason = REASONS.get(payment.result_code)
    if reason is not None and not reason.reissue:
        raise Conflict(_("The bank's reason (%(reason)s) rules out paying again; return the money instead.")
                       % {"reason": reason.label})


def _reissue_create(*, actor, payment: Payment) -> Payment:
    """The re-issue of a locked, re-issuable payment: frozen anew from the register (the current active card and
    the current name, which is what the clerk corrected), village and amount as before."""
    card = Card.objects.filter(person_id=payment.person_id, status=CardStatus.ACTIVE).first()
    if card is None:
        raise Conflict(_("The person has no active card; register the corrected card first."))
    reason = REASONS.get(payment.result_code)
    if reason is not None and reason.needs_new_card and card.pk == payment.card_id:
        raise Conflict(_("The bank refused this card (%(reason)s): paying it again fails the same way. Register "
                         "the corrected card first, then re-issue.") % {"reason": reason.label}, field="card_number")
    person = Person.objects.only("name").get(pk=payment.person_id)
    if validators.names(pd.Series([person.name]))["error"].iloc[0]:
        # A register name from before the name rule: the bank file would refuse the whole batch.
        raise Conflict(_("The person's registered name cannot go into a bank file; correct the name first."),
                       field="name")
    base = payment.reference.rsplit("-", 1)[0]
    again = Payment.objects.create(
        reference=f"{base}-{payment.attempt + 1}", roster=payment.roster, line_id=payment.line_id,
        indicator_id=payment.indicator_id, person_id=payment.person_id, card=card, payee_name=person.name,
        card_masked=card.number_masked, bank=card.bank, village_id=payment.village_id, amount_fen=payment.amount_fen,
        status=PaymentStatus.PENDING, attempt=payment.attempt + 1, previous=payment,
    )
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.FAILED).update(status=PaymentStatus.REISSUED)
    facts_refresh_enqueue(region_code=payment.roster.township_id, period=payment.roster.period)
    audit_record(actor=actor, action="payment.reissue", obj=payment, region_code=payment.roster.township_id,
                 reissue=again.reference, card=card.number_masked)
    return again


@transaction.atomic
def payment_reissue(*, actor, payment_id: int) -> Payment:
    """A new payment to the person's current active card, for the next bank file; the money stays reserved.
    Re-issuing twice gives the same re-issue. When the bank failed the card itself (R01, R04, R06) the active
    card must be another one: register it first, or use `payment_reissue_to_card`.

    Locks: the failed payment row (then reads the person's cards)."""
    payment = _failed(payment_id)
    action_check(actor, "payment.reissue", region_code=payment.roster.township_id, not_found=_("Payment not found."))
    if payment.status == PaymentStatus.REISSUED:
        return _already_done(payment.reissue)
    _reissuable(payment)
    return _reissue_create(actor=actor, payment=payment)


def payment_reissue_to_card(*, actor, payment_id: int, card_number: str, bank: str = "") -> Payment:
    """Register the payee's corrected card (the registry's `card_replace`, which closes the old card) and re-issue
    the failed payment to it, in one transaction: a refused card leaves both the register and the payment as
    they were. Submitted twice (or twice at once) it registers and re-issues once: the second call finds the
    payment re-issued and returns that re-issue without touching the register.

    Locks, in this order: the failed payment row, then the person's card rows (card_replace's UPDATE), then the
    audit chain (card_replace's record, held to the commit; the re-issue's record is the last write) — the order
    of `payment_reissue` and of the return-file import: payments before the chain."""
    return payment_card_fix(actor=actor, payment_id=payment_id, card_number=card_number, bank=bank).reissue


class CardFix(NamedTuple):
    reissue: Payment
    already: bool  # the payment had been re-issued before this call: nothing was registered or re-issued now


@transaction.atomic
def payment_card_fix(*, actor, payment_id: int, card_number: str, bank: str = "") -> CardFix:
    """`payment_reissue_to_card` that also says whether this call did the work or found it done (a second
    submit of the clerk's form, or two at once: the row lock makes the later one see the re-issue).

    Locks: as `payment_reissue_to_card`."""
    payment = _failed(payment_id)
    action_check(actor, "payment.reissue", region_code=payment.roster.township_id, not_found=_("Payment not found."))
    if payment.status == PaymentStatus.REISSUED:
        return CardFix(_already_done(payment.reissue), True)
    _reissuable(payment)
    card_replace(actor=actor, person_id=payment.person_id, card_number=card_number, bank=bank)
    return CardFix(_reissue_create(actor=actor, payment=payment), False)


@transaction.atomic
def payment_return(*, actor, payment_id: int) -> Payment:
    """Give a failed payment's money back to its indicator (reserved → returned)."""
    payment = _failed(payment_id)
    action_check(actor, "payment.return", region_code=payment.roster.township_id, not_found=_("Payment not found."))
    if payment.status == PaymentStatus.RETURNED:
        return _already_done(payment)
    if payment.status != PaymentStatus.FAILED:
        raise Conflict(_("Only a failed payment can be returned."))
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.FAILED).update(status=PaymentStatus.RETURNED)
    ledger_move(indicator_id=payment.indicator_id, movement=Movement.RETURN, amount_fen=payment.amount_fen,
                actor=actor, roster=payment.roster, reference=payment.reference)
    roster_settle(roster_id=payment.roster_id)
    facts_refresh_enqueue(region_code=payment.roster.township_id, period=payment.roster.period)
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
