"""Residents look up their own payments by name and ID number (互联网+监督 self-service).

A wrong pair (unknown ID, wrong name, malformed ID) answers exactly like a pair with no payments would
look to an outsider — `{"payments": [], "totals": [], "person": null}` — and runs the same work: the blind
index is always computed and the same two queries always run, so neither the body nor the timing says
whether an ID number is on the register.
"""

import uuid
from collections import defaultdict

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from disbursement import pii
from disbursement.money import fen_to_yuan
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.portal import ratelimit
from disbursement.registry.models import Person
from disbursement.registry.validators import id_number_reference

# Plain words for residents (the portal is read by villagers, not clerks), in the language of the page that asks.
_IN_PROGRESS = ("in_progress", _("In progress"), "")
_STATUS_WORDS = {
    PaymentStatus.PAID: ("paid", _("Paid to your card"), ""),
    PaymentStatus.FAILED: ("failed", _("Payment failed"),
                           _("Bring your ID card and your one-card to the township office to check the card.")),
    PaymentStatus.REISSUED: ("reissued", _("Failed, sent again as a new payment"), ""),
    PaymentStatus.RETURNED: ("returned", _("Returned (not paid)"),
                             _("Ask the township office if this is unexpected.")),
    PaymentStatus.PENDING: _IN_PROGRESS,
    PaymentStatus.SENT: _IN_PROGRESS,
    # A pre-payment hold is not announced to the payee while its alert is verified (核实).
    PaymentStatus.HELD: _IN_PROGRESS,
}


def id_number_index(id_number: str) -> tuple[str, uuid.UUID]:
    """(normalised value or "", blind index). A malformed number still gets an index — of a text that no
    valid number normalises to ("!" prefix) — so the work done, and the query run, do not depend on it."""
    value, error = id_number_reference(id_number)
    if error:
        return "", pii.blind_index("!" + (id_number or "").strip().upper())
    return value, pii.blind_index(value)


def resident_payments(*, name: str, id_number: str) -> dict:
    """Every payment (cancelled ones aside) to the person with this ID number AND exactly this name."""
    _value, index = id_number_index(id_number)
    person = Person.objects.filter(id_hash=index, name=(name or "").strip()).values("id", "name", "id_masked").first()
    rows = list(
        Payment.objects.filter(person_id=person["id"] if person else -1)
        .exclude(status=PaymentStatus.CANCELLED)
        .order_by("roster__period", "id")
        .values("reference", "status", "amount_fen", "settled_at", "roster__period", "roster__item__name",
                "village__name")
    )
    if person is None:
        return {"payments": [], "totals": [], "person": None}

    payments = []
    paid_fen: dict[str, int] = defaultdict(int)
    paid_count: dict[str, int] = defaultdict(int)
    for row in rows:
        code, words, advice = _STATUS_WORDS.get(row["status"], _IN_PROGRESS)
        year = row["roster__period"][:4]
        if row["status"] == PaymentStatus.PAID:
            paid_fen[year] += row["amount_fen"]
            paid_count[year] += 1
        else:
            paid_fen[year] += 0  # the year is listed even when nothing in it is paid yet
        payments.append({
            "reference": row["reference"],
            "item": row["roster__item__name"],
            "period": row["roster__period"],
            "amount_yuan": fen_to_yuan(row["amount_fen"]),
            "status": code,
            "status_text": str(words),
            "advice": str(advice),
            # A failed payment is "settled" too (the bank answered): only money on the card has a payment date.
            "paid_on": timezone.localdate(row["settled_at"]).isoformat()
            if row["status"] == PaymentStatus.PAID and row["settled_at"] else None,
            "village": row["village__name"],
        })
    totals = [{"year": year, "paid_yuan": fen_to_yuan(paid_fen[year]), "paid_count": paid_count[year]}
              for year in sorted(paid_fen)]
    return {
        "payments": payments,
        "totals": totals,
        "person": {"name": pii.mask_name(person["name"]), "id_number": person["id_masked"]},
    }


def portal_lookup(*, client_ip: str, name: str, id_number: str, challenge_id: str | None = None,
                  challenge_answer: str | None = None) -> dict:
    """The public lookup behind its limits: admit (or raise RateLimited / ChallengeRequired), look up,
    count a wrong pair, and attach the next challenge once the client has failed too often."""
    _value, index = id_number_index(id_number)
    ratelimit.lookup_admit(client_ip=client_ip, id_index=index, challenge_id=challenge_id,
                           challenge_answer=challenge_answer)
    result = resident_payments(name=name, id_number=id_number)
    challenge = ratelimit.lookup_settle(client_ip=client_ip, matched=result["person"] is not None)
    if challenge:
        result["challenge"] = challenge
    return result
