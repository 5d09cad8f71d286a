"""A roster's lines in one village, each with the payment that stands for it now (the last attempt of its chain):
the step of the drill-down between the village and the payment trace. Read live: a village is small."""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from disbursement.errors import NotFound
from disbursement.payments.selectors import payment_search
from disbursement.pii import mask_name
from disbursement.rosters.selectors import roster_get, roster_lines
from geo import codes


@dataclass(frozen=True)
class VillageLine:
    row_number: int
    name_masked: str
    amount_fen: int
    is_void: bool
    status: str  # the payment's status, "" while the roster has no payments
    status_label: str
    reference: str  # the payment's reference, "" while none


def roster_village_lines(*, user, village_code: str, roster_id: int):
    """(roster, lines) of the roster's lines in the village; NotFound when the roster is out of reach or has no
    lines there (a roster of another township is not shown under this village)."""
    roster = roster_get(actor=user, roster_id=roster_id)
    if codes.ancestor_codes(village_code)[3] != roster.township_id:
        raise NotFound(_("Roster not found."))
    lines = list(roster_lines(roster=roster, village=village_code))
    if not lines:
        raise NotFound(_("Roster not found."))
    latest = {}
    for payment in payment_search(actor=user, roster_id=roster.pk, village=village_code).order_by("attempt"):
        latest[payment.line_id] = payment  # ordered by attempt: the last one stays
    shown = []
    for line in lines:
        payment = latest.get(line.pk)
        shown.append(VillageLine(
            row_number=line.row_number, name_masked=mask_name(line.person.name), amount_fen=line.amount_fen,
            is_void=line.is_void, status=payment.status if payment else "",
            status_label=str(payment.get_status_display()) if payment else "",
            reference=payment.reference if payment else ""))
    return roster, shown
