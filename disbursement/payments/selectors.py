
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from disbursement.accounts.scoping import scoped
from disbursement.alerts.models import Alert, AlertStatus, AlertSubject, Severity, SubjectKind
from disbursement.budget.selectors import indicators_with_balances
from disbursement.errors import NotFound
from disbursement.money import fen_to_yuan
from disbursement.payments.models import BankFile, Payment, PaymentStatus
from disbursement.pii import mask_name
from disbursement.rosters.models import Roster
from geo import codes
from geo.models import Region


def payment_filters_clean(*, actor, params) -> dict:
    """The payment list's filters from a query string; ValidationFailed names the field of a bad value."""
    from disbursement import listing
    from disbursement.banking.codes import REASONS

    reference = listing.param(params, "reference", 32)
    return {
        "reference": reference,
        "status": listing.choice_clean(params, "status", PaymentStatus.values),
        "reason": listing.choice_clean(params, "reason", REASONS),
        "item": listing.item_clean(params),
        "period": listing.period_clean(params),
        "year": listing.year_clean(params),
        "village": listing.region_clean(actor, params, "village", level="village"),
        "region": listing.region_clean(actor, params, "region"),
        "bank": listing.param(params, "bank", 60),
        "roster_id": listing.int_clean(params, "roster"),
    }


def payment_search(*, actor, reference: str | None = "", status: str | None = None, roster_id: int | None = None,
                   village: str | None = None, reason: str | None = None, item: str | None = None,
                   period: str | None = None, year: int | None = None, region: str | None = None,
                   bank: str | None = None) -> QuerySet[Payment]:
    """Payments in the actor's jurisdiction, newest first. Region, item, period and year go through the roster
    (a small table; payments are found by their roster index), the village through the payment's frozen
    village."""
    payments = scoped(Payment.objects.select_related("roster", "roster__item", "roster__township", "village"),
                      actor, "roster__township")
    if reference:
        payments = payments.filter(reference__startswith=reference.strip())
    if status:
        payments = payments.filter(status=status)
    if roster_id:
        payments = payments.filter(roster_id=roster_id)
    if village:
        low, high = codes.subtree_bounds(village[:9].ljust(12, "0"))
        payments = payments.filter(village_id=village, roster__township_id__gte=low, roster__township_id__lte=high)
    if region:
        low, high = codes.subtree_bounds(region)
        if codes.region_level(region) == "village":
            payments = payments.filter(village_id=region)
            low, high = codes.subtree_bounds(region[:9].ljust(12, "0"))
        payments = payments.filter(roster__township_id__gte=low, roster__township_id__lte=high)
    if reason:
        payments = payments.filter(result_code=reason)
    if item:
        payments = payments.filter(roster__item_id=item)
    if period:
        payments = payments.filter(roster__period=period)
    if year:
        payments = payments.filter(roster__period__startswith=str(year))
    if bank:
        payments = payments.filter(bank=bank)
    return payments.order_by("-id")


def payment_banks(*, actor) -> list[str]:
    """The agent banks of the actor's payment files, for the bank filter (bank files are few; payments many)."""
    return sorted(set(scoped(BankFile.objects.all(), actor, "roster__township").values_list("bank", flat=True)))


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


def rule_names() -> dict[str, str]:
    """Chinese names of the risk rules by code."""
    import disbursement.risk.rules  # noqa: F401  (registers every rule in RULES)
    from disbursement.risk.base import RULES

    return {code: rule.name for code, rule in RULES.items()}


def payments_stopped(*, actor) -> dict:
    """"Stopped before payment" (the source article's 2.45 million): lines whose payment a risk alert held
    before money left, with their amounts, per county and rule, within the actor's jurisdiction.

    Counted: payments held now, and held payments whose line was voided (or whose roster was returned)
    afterwards; a hold released because its alert was dismissed is not counted (the payment went out). A line
    is counted under every rule whose high-severity alert (not dismissed) stands on it, and once in the
    county's total.
    """
    if actor.is_superuser:
        low, high = "0" * 12, "9" * 12
    elif actor.region_id:
        low, high = codes.subtree_bounds(actor.region_id)
    else:
        return {"rows": [], "counties": [], "lines": 0, "amount_fen": 0}
    payment, roster, subject, alert, region = (m._meta.db_table for m in (Payment, Roster, AlertSubject, Alert,
                                                                          Region))
    stopped = f"""
        stopped AS (
            SELECT p.id, p.line_id, p.amount_fen, SUBSTR(r.township_id, 1, 6) || '000000' AS county
            FROM {payment} p JOIN {roster} r ON r.id = p.roster_id
            WHERE p.held_at IS NOT NULL AND p.status IN (%s, %s) AND r.township_id BETWEEN %s AND %s)"""
    params = [PaymentStatus.HELD, PaymentStatus.CANCELLED, low, high]
    with connection.cursor() as cursor:
        cursor.execute(f"""
            WITH {stopped},
            reasons AS (
                SELECT DISTINCT st.id, a.rule FROM stopped st
                JOIN {subject} s ON s.kind = %s AND s.ref = CAST(st.line_id AS TEXT)
                JOIN {alert} a ON a.id = s.alert_id
                WHERE a.severity = %s AND a.status <> %s)
            SELECT st.county, g.name, COALESCE(x.rule, ''), COUNT(*), SUM(st.amount_fen)
            FROM stopped st LEFT JOIN reasons x ON x.id = st.id LEFT JOIN {region} g ON g.code = st.county
            GROUP BY st.county, g.name, COALESCE(x.rule, '') ORDER BY st.county, COALESCE(x.rule, '')""",
                       [*params, SubjectKind.LINE, Severity.HIGH, AlertStatus.DISMISSED])
        names = rule_names()
        rows = [{"county": c, "county_name": n or c, "rule": r, "rule_name": names.get(r, ""), "lines": int(k),
                 "amount_fen": int(f)}
                for c, n, r, k, f in cursor.fetchall()]
        cursor.execute(f"""
            WITH {stopped}
            SELECT st.county, g.name, COUNT(*), SUM(st.amount_fen) FROM stopped st
            LEFT JOIN {region} g ON g.code = st.county GROUP BY st.county, g.name ORDER BY st.county""", params)
        counties = [{"county": c, "county_name": n or c, "lines": int(k), "amount_fen": int(f)}
                    for c, n, k, f in cursor.fetchall()]
    return {"rows": rows, "counties": counties, "lines": sum(c["lines"] for c in counties),
            "amount_fen": sum(c["amount_fen"] for c in counties)}


# --- The clerk's card fix and the person page (issue 12) ---

def payment_get(*, actor, payment_id: int) -> Payment:
    """One payment of the actor's jurisdiction (by its roster's township), with what its pages show."""
    payment = (scoped(Payment.objects.select_related("roster", "roster__item", "village", "previous"), actor,
                      "roster__township").filter(pk=payment_id).first())
    if payment is None:
        raise NotFound(_("Payment not found."))
    return payment


def person_payments(*, actor, person_id: int) -> QuerySet[Payment]:
    """A person's payments in rosters of the actor's jurisdiction, newest first."""
    return (scoped(Payment.objects.select_related("roster", "roster__item"), actor, "roster__township")
            .filter(person_id=person_id).order_by("-id"))
