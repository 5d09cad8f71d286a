"""The pre-payment hold (事前拦截): a roster line with an open high-severity alert gets no money until the alert
is dismissed or the line is voided.

The hold is a payment status (PaymentStatus.HELD): the payment exists, its money stays reserved on the
indicator, and it goes into no bank file. `payments_hold_sync` puts payments on hold and takes them off, at
finance approval and again at every bank-file generation; `payment_hold_void` cancels a held payment for good.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_check
from disbursement.alerts.models import OPEN_STATUSES, AlertSubject, Severity, SubjectKind
from disbursement.audit.services import audit_record
from disbursement.budget.models import Movement
from disbursement.budget.services import ledger_move
from disbursement.errors import Conflict, NotFound, ValidationFailed
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.payments.selectors import rule_names
from disbursement.risk.services import roster_precheck
from disbursement.rosters.services import roster_line_void

CHUNK = 500  # ids per IN (…) list: SQLite allows 999 parameters


def lines_held(*, roster_id: int) -> set[int]:
    """Ids of the roster's live lines that an open high-severity alert stands against, after running every
    roster-checking rule on the roster's lines against the whole history (the one place the hold asks)."""
    return roster_precheck(roster_id=roster_id)


def payments_hold_sync(*, roster_id: int, held: set[int] | None = None) -> tuple[int, int]:
    """Hold the roster's unsent payments whose lines have an open high alert, and release (back to pending)
    the held ones whose lines no longer have one; returns (newly held, released). `held` is lines_held's
    answer when the caller asked already. Must run in the caller's transaction with the roster row locked
    (finance approval, bank-file generation), so no file is cut while the holds move."""
    if held is None:
        if not Payment.objects.filter(roster_id=roster_id,
                                      status__in=[PaymentStatus.PENDING, PaymentStatus.HELD]).exists():
            return 0, 0  # nothing unsent: no rule needs to run
        held = lines_held(roster_id=roster_id)
    now = timezone.now()
    newly_held = 0
    ids = sorted(held)
    for start in range(0, len(ids), CHUNK):
        newly_held += Payment.objects.filter(roster_id=roster_id, status=PaymentStatus.PENDING,
                                             line_id__in=ids[start:start + CHUNK]).update(
            status=PaymentStatus.HELD, held_at=now)
    # Held payments are few (alerts are rare), so the release set is computed here rather than in SQL.
    stale = sorted(set(Payment.objects.filter(roster_id=roster_id, status=PaymentStatus.HELD)
                       .values_list("line_id", flat=True)) - held)
    released = 0
    for start in range(0, len(stale), CHUNK):
        released += Payment.objects.filter(roster_id=roster_id, status=PaymentStatus.HELD,
                                           line_id__in=stale[start:start + CHUNK]).update(status=PaymentStatus.PENDING)
    return newly_held, released


def roster_held_lines(*, roster_id: int) -> list[dict]:
    """What the approver reads: each held payment's row, amount and the open high alerts that hold it
    (alert id, rule, rule name, summary). A held payment whose alert was dismissed since is listed with no
    alert: it goes out with the next bank file."""
    held = list(Payment.objects.filter(roster_id=roster_id, status=PaymentStatus.HELD)
                .select_related("line").order_by("line__row_number"))
    if not held:
        return []
    refs = [str(p.line_id) for p in held]
    reasons: dict[str, list[dict]] = {}
    names = rule_names()
    for start in range(0, len(refs), CHUNK):
        for ref, alert_id, rule, summary in (
                AlertSubject.objects.filter(kind=SubjectKind.LINE, ref__in=refs[start:start + CHUNK],
                                            alert__severity=Severity.HIGH, alert__status__in=OPEN_STATUSES)
                .order_by("alert_id").values_list("ref", "alert_id", "alert__rule", "alert__summary")):
            reasons.setdefault(ref, []).append({"alert_id": alert_id, "rule": rule, "rule_name": names.get(rule, ""),
                                                "summary": summary})
    return [{"payment_id": p.pk, "reference": p.reference, "line_id": p.line_id, "row": p.line.row_number,
             "amount_fen": p.amount_fen, "alerts": reasons.get(str(p.line_id), [])} for p in held]


@transaction.atomic
def payment_hold_void(*, actor, payment_id: int, reason: str):
    """Void a held line: its payment is cancelled and its money released to the indicator (reserved →
    available). Locks the payment row, then writes the ledger; the audit record is the last write. Voiding
    twice is harmless."""
    payment = Payment.objects.select_for_update().select_related("roster").filter(pk=payment_id).first()
    if payment is None:
        raise NotFound(_("Payment not found."))
    action_check(actor, "payment.void", region_code=payment.roster.township_id, not_found=_("Payment not found."))
    if payment.status == PaymentStatus.CANCELLED and payment.held_at is not None:
        payment.already_done = True  # the page says so instead of repeating the success
        return payment  # already voided
    if payment.status != PaymentStatus.HELD:
        raise Conflict(_("Only a payment held by a risk alert can be voided here."))
    if not reason.strip():
        raise ValidationFailed(_("Say why the line is voided."), field="reason")
    Payment.objects.filter(pk=payment.pk, status=PaymentStatus.HELD).update(status=PaymentStatus.CANCELLED)
    roster_line_void(line_id=payment.line_id)
    ledger_move(indicator_id=payment.indicator_id, movement=Movement.RELEASE, amount_fen=payment.amount_fen,
                actor=actor, roster=payment.roster, reference=payment.reference)
    from disbursement.banking.services import roster_settle

    roster_settle(roster_id=payment.roster_id)
    audit_record(actor=actor, action="payment.hold_void", obj=payment, region_code=payment.roster.township_id,
                 amount_fen=payment.amount_fen, reason=reason.strip()[:200])
    payment.refresh_from_db()
    return payment
