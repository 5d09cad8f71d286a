from django.db.models import BigIntegerField, Case, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from disbursement.accounts.scoping import scoped
from disbursement.budget.models import Indicator, LedgerEntry, LedgerState

STATES = (LedgerState.AVAILABLE, LedgerState.RESERVED, LedgerState.PAID, LedgerState.RETURNED)


def _state_sum(state: str):
    signed = Case(
        When(entries__credit=state, then=F("entries__amount_fen")),
        When(entries__debit=state, then=-F("entries__amount_fen")),
        default=Value(0),
        output_field=BigIntegerField(),
    )
    return Coalesce(Sum(signed), Value(0), output_field=BigIntegerField())


def indicators_with_balances(queryset: QuerySet[Indicator] | None = None) -> QuerySet[Indicator]:
    """Indicators annotated with issued_fen and one <state>_fen per state, all derived from the ledger."""
    queryset = Indicator.objects.all() if queryset is None else queryset
    annotations = {f"{state}_fen": _state_sum(state) for state in STATES}
    annotations["issued_fen"] = -_state_sum(LedgerState.SOURCE)
    return queryset.annotate(**annotations)


def indicator_list(*, actor, item: str | None = None, year: int | None = None) -> QuerySet[Indicator]:
    indicators = scoped(Indicator.objects.select_related("item", "county"), actor, "county")
    if item:
        indicators = indicators.filter(item_id=item)
    if year:
        indicators = indicators.filter(fiscal_year=year)
    return indicators_with_balances(indicators).order_by("fiscal_year", "document_number")


def indicator_available_fen(*, indicator_id: int) -> int:
    """Available balance of one indicator, read inside the caller's lock."""
    totals = LedgerEntry.objects.filter(indicator_id=indicator_id).aggregate(
        plus=Coalesce(Sum("amount_fen", filter=Q(credit=LedgerState.AVAILABLE)), 0),
        minus=Coalesce(Sum("amount_fen", filter=Q(debit=LedgerState.AVAILABLE)), 0),
    )
    return totals["plus"] - totals["minus"]


def roster_reserved_by_indicator(*, roster_id: int) -> dict[int, int]:
    """What a roster holds reserved now, per indicator: reservations less releases, payments and returns."""
    rows = (
        LedgerEntry.objects.filter(roster_id=roster_id)
        .values("indicator_id")
        .annotate(
            plus=Coalesce(Sum("amount_fen", filter=Q(credit=LedgerState.RESERVED)), 0),
            minus=Coalesce(Sum("amount_fen", filter=Q(debit=LedgerState.RESERVED)), 0),
        )
    )
    return {row["indicator_id"]: row["plus"] - row["minus"] for row in rows}
