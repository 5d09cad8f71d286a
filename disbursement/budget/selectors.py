import numpy as np
from django.db.models import BigIntegerField, Case, F, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Coalesce

from disbursement.accounts.scoping import scoped
from disbursement.budget.models import Indicator, LedgerEntry, LedgerState
from disbursement.errors import NotFound

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


def allocation_plan(amounts: np.ndarray, available: list[int]) -> tuple[list[tuple[int, int, int, int]], int]:
    """How roster lines (amounts, in row order) fit indicators (their available balances, in document order):
    each indicator takes the longest run of remaining lines that fits, a line is never split. Returns the runs
    as (indicator position, first line, line after the last, fen reserved) and the fen of the lines left over."""
    ends = np.cumsum(amounts, dtype=np.int64)
    runs: list[tuple[int, int, int, int]] = []
    start, consumed = 0, 0
    for position, balance in enumerate(available):
        if start == len(amounts):
            break
        stop = int(np.searchsorted(ends, consumed + balance, side="right"))
        if stop <= start:
            continue
        reserved = int(ends[stop - 1] - consumed)
        runs.append((position, start, stop, reserved))
        consumed += reserved
        start = stop
    shortfall = int(ends[-1] - consumed) if start < len(amounts) else 0
    return runs, shortfall


def roster_shortfall_fen(*, roster, amounts: np.ndarray) -> int:
    """What approving the roster now would lack (0 when its indicators cover it): the reservation's own plan,
    read without locks, for the roster page's warning and its prefilled issue form."""
    county_code = roster.township_id[:6].ljust(12, "0")
    indicators = sorted(
        Indicator.objects.filter(item_id=roster.item_id, county_id=county_code, fiscal_year=int(roster.period[:4])),
        key=lambda indicator: indicator.document_number,
    )
    available = [indicator_available_fen(indicator_id=indicator.pk) for indicator in indicators]
    return allocation_plan(amounts, available)[1] if len(amounts) else 0


def indicator_get(*, actor, indicator_id: int) -> Indicator:
    """One indicator with its balances, inside the actor's jurisdiction (NotFound otherwise)."""
    indicator = indicators_with_balances(
        scoped(Indicator.objects.select_related("item", "county", "created_by"), actor, "county")
    ).filter(pk=indicator_id).first()
    if indicator is None:
        raise NotFound("indicator not found")
    return indicator


def indicator_entries(*, indicator_id: int) -> QuerySet[LedgerEntry]:
    """An indicator's movements, oldest first."""
    return LedgerEntry.objects.filter(indicator_id=indicator_id).select_related("actor", "roster").order_by("id")


def indicator_rosters(*, indicator_id: int) -> list[dict]:
    """The rosters an indicator funds, with what each holds reserved, paid and returned from it now."""
    def state(name):
        return (Coalesce(Sum("amount_fen", filter=Q(credit=name)), 0)
                - Coalesce(Sum("amount_fen", filter=Q(debit=name)), 0))
    return list(
        LedgerEntry.objects.filter(indicator_id=indicator_id, roster__isnull=False)
        .values("roster_id", "roster__period", "roster__status", "roster__township__name")
        .annotate(reserved_fen=state(LedgerState.RESERVED), paid_fen=state(LedgerState.PAID),
                  returned_fen=state(LedgerState.RETURNED))
        .order_by("roster_id")
    )
