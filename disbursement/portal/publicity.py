"""What a village's notice board shows (公示): rosters in publicity and what was paid, masked.

Rows are built here, already masked, so templates never hold a person, a card or a full number. Masks are
applied again to the stored masked values: idempotent on a well-formed mask, and a guard if one ever held more.
"""

import re
from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from disbursement.payments.models import Payment, PaymentStatus
from disbursement.pii import mask_card, mask_id, mask_name
from disbursement.rosters.models import Roster, RosterLine, RosterStatus
from geo.models import Region, RegionLevel

_ITEM_CODE = re.compile(r"^[0-9A-Za-z]{1,8}$")
_PERIOD = re.compile(r"^\d{4}(?:-\d{2}|H[12]|Q[1-4])?$")


@dataclass(frozen=True)
class PublicLine:
    name: str
    id_number: str
    card: str
    group: str
    quantity_milli: int
    amount_fen: int


@dataclass(frozen=True)
class PaidLine:
    item_name: str
    period: str
    name: str
    id_number: str
    card: str
    amount_fen: int
    paid_on: date | None


@dataclass(frozen=True)
class PublicityRoster:
    roster: Roster
    lines: list[PublicLine]
    total_fen: int


def village_get(*, code: str) -> Region:
    """The village, or Region.DoesNotExist (a 404 for the page) when the code is not a village."""
    return Region.objects.select_related("parent").get(code=code, level=RegionLevel.VILLAGE)


def township_get(*, code: str) -> Region:
    return Region.objects.select_related("parent").get(code=code, level=RegionLevel.TOWNSHIP)


def village_search(*, query: str, limit: int) -> list[Region]:
    """Villages of the province whose name contains `query`, with township and county for telling namesakes apart."""
    return list(Region.objects.filter(level=RegionLevel.VILLAGE, name__contains=query)
                .select_related("parent", "parent__parent").order_by("code")[:limit])


def township_villages(*, code: str) -> QuerySet[Region]:
    return Region.objects.filter(parent_id=code, level=RegionLevel.VILLAGE).order_by("code")


def publicity_rosters_for_village(*, village: Region) -> list[PublicityRoster]:
    """Rosters of the village's township now in publicity, each with this village's live lines.

    One query for the lines (served by the (roster, village) index), grouped in Python: a village has
    hundreds of lines, not millions.
    """
    lines = (
        RosterLine.objects.filter(roster__status=RosterStatus.PUBLICITY, roster__township_id=village.parent_id,
                                  village_id=village.code, is_void=False)
        .order_by("roster__item_id", "roster__period", "roster_id", "group", "row_number")
        .values("roster_id", "person__name", "person__id_masked", "card__number_masked", "group",
                "quantity_milli", "amount_fen")
    )
    by_roster: dict[int, list[PublicLine]] = {}
    for row in lines:
        by_roster.setdefault(row["roster_id"], []).append(PublicLine(
            name=mask_name(row["person__name"]), id_number=mask_id(row["person__id_masked"]),
            card=mask_card(row["card__number_masked"]), group=row["group"],
            quantity_milli=row["quantity_milli"], amount_fen=row["amount_fen"],
        ))
    rosters = Roster.objects.filter(pk__in=by_roster).select_related("item").order_by("item_id", "period", "pk")
    return [PublicityRoster(roster=r, lines=by_roster[r.pk], total_fen=sum(x.amount_fen for x in by_roster[r.pk]))
            for r in rosters]


def _village_paid(*, village: Region) -> QuerySet[Payment]:
    # Through the township's rosters so PostgreSQL can use the (roster, status) index instead of scanning
    # every payment of the province for one village.
    return Payment.objects.filter(roster__township_id=village.parent_id, status=PaymentStatus.PAID,
                                  village_id=village.code)


def paid_choices_for_village(*, village: Region) -> list[dict]:
    """The (item, period) pairs with paid payments in the village, newest period first, for the filter."""
    return list(
        _village_paid(village=village)
        .values("roster__item_id", "roster__item__name", "roster__period").distinct()
        .order_by("-roster__period", "roster__item_id")
    )


def paid_filter_clean(*, item: str | None, period: str | None) -> tuple[str | None, str | None]:
    """Query-string filters kept only when well formed; anything else is ignored rather than refused."""
    item = item if item and _ITEM_CODE.match(item) else None
    period = period if period and _PERIOD.match(period) else None
    return item, period


def paid_lines_for_village(*, village: Region, item_code: str | None = None,
                           period: str | None = None) -> QuerySet[Payment]:
    """Paid payments of the village, as masked-ready values; `paid_lines_mask` turns a page of them into rows."""
    payments = _village_paid(village=village)
    if item_code:
        payments = payments.filter(roster__item_id=item_code)
    if period:
        payments = payments.filter(roster__period=period)
    return payments.order_by("-roster__period", "roster__item_id", "payee_name", "pk").values(
        "roster__item__name", "roster__period", "payee_name", "person__id_masked", "card_masked", "amount_fen",
        "settled_at",
    )


def paid_lines_mask(*, rows) -> list[PaidLine]:
    return [
        PaidLine(
            item_name=row["roster__item__name"], period=row["roster__period"], name=mask_name(row["payee_name"]),
            id_number=mask_id(row["person__id_masked"]), card=mask_card(row["card_masked"]),
            amount_fen=row["amount_fen"],
            paid_on=timezone.localdate(row["settled_at"]) if row["settled_at"] else None,
        )
        for row in rows
    ]
