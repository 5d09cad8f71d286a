"""Aggregates over the money path that the selectors build on, keyed by a region-code prefix.

Each function takes a code range (a subtree), a year and optional item or category, and the length of the
prefix to group by (0: one group keyed "").
"""

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, Substr, TruncMonth

from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.models import Person

FAILED_STATUSES = (PaymentStatus.FAILED, PaymentStatus.REISSUED, PaymentStatus.RETURNED)


def sum_filtered(field: str, condition: Q):
    return Sum(field, filter=condition)


def _payments(low: str, high: str, year: int, item: str | None, category: str | None):
    payments = Payment.objects.filter(village_id__gte=low, village_id__lte=high,
                                      roster__period__startswith=str(year))
    if item:
        payments = payments.filter(roster__item_id=item)
    elif category:
        payments = payments.filter(roster__item__category_id=category)
    return payments.order_by()


def _key(prefix_len: int):
    return Substr("village_id", 1, prefix_len) if prefix_len else Value("")


def totals(*, low: str, high: str, year: int, item: str | None = None, category: str | None = None,
           prefix_len: int = 0) -> dict[str, dict[str, int]]:
    paid, failed = Q(status=PaymentStatus.PAID), Q(status__in=FAILED_STATUSES)
    reissued, returned = Q(status=PaymentStatus.REISSUED), Q(status=PaymentStatus.RETURNED)
    rows = (_payments(low, high, year, item, category).annotate(key=_key(prefix_len)).values("key")
            .annotate(paid_fen=Sum("amount_fen", filter=paid), payments=Count("id", filter=paid),
                      failed=Count("id", filter=failed), failed_fen=Sum("amount_fen", filter=failed),
                      reissued=Count("id", filter=reissued), returned=Count("id", filter=returned),
                      returned_fen=Sum("amount_fen", filter=returned)))
    return {row.pop("key"): {k: int(v or 0) for k, v in row.items()} for row in rows}


def reach(*, low: str, high: str, year: int, item: str | None = None, category: str | None = None,
          prefix_len: int = 0) -> dict[str, dict[str, int]]:
    rows = (_payments(low, high, year, item, category).filter(status=PaymentStatus.PAID)
            .annotate(key=_key(prefix_len)).values("key")
            .annotate(persons=Count("person_id", distinct=True),
                      households=Count(Coalesce("person__household_id", F("person_id") * -1), distinct=True)))
    return {row.pop("key"): {k: int(v or 0) for k, v in row.items()} for row in rows}


def register_persons(*, low: str, high: str, prefix_len: int) -> dict[str, int]:
    """Persons on the register living in each region (their village today)."""
    key = Substr("village_id", 1, prefix_len) if prefix_len else Value("")
    rows = (Person.objects.filter(village_id__gte=low, village_id__lte=high).order_by().annotate(key=key)
            .values("key").annotate(n=Count("id")))
    return {row["key"]: int(row["n"]) for row in rows}


def paid_by_item(*, low: str, high: str, year: int) -> list[tuple[str, int, int]]:
    rows = (_payments(low, high, year, None, None).filter(status=PaymentStatus.PAID).values("roster__item_id")
            .annotate(fen=Sum("amount_fen"), n=Count("id")))
    return [(r["roster__item_id"], int(r["fen"] or 0), int(r["n"])) for r in rows]


def paid_by_month(*, low: str, high: str, year: int, item: str | None = None,
                  category: str | None = None) -> list[tuple[str, int, int]]:
    rows = (_payments(low, high, year, item, category).filter(status=PaymentStatus.PAID)
            .annotate(month=TruncMonth(Coalesce("settled_at", "created_at"))).values("month")
            .annotate(fen=Sum("amount_fen"), n=Count("id")).order_by("month"))
    return [(r["month"].strftime("%Y-%m"), int(r["fen"] or 0), int(r["n"])) for r in rows]


def as_of(*, region_code: str | None = None):
    return None
