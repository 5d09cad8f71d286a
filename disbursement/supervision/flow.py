"""Fund flow from budget to cards: what an indicator (or every indicator of an item in a county and year) issued,
what rosters reserved, what the bank paid or failed, and what became of the failures (re-issued or returned).

Reads only: the budget's ledger balances (budget.selectors) and the payments' statuses. Amounts add up by
construction, stage by stage:

    issued    = reserved + unreserved                       (ledger: issue/adjust, reserve − release)
    reserved  = paid first time + failed + not yet settled + reserved without payment yet
    failed    = re-issued + returned + awaiting decision    (by the first attempt's status)
    re-issued = paid + returned + awaiting + not yet settled (by the status of the chain's last attempt)

A line's payments form a chain (attempt 1, its re-issue, …) sharing the line and the indicator; the first
attempt says which branch the line's money took, the last attempt where it ended. Cancelled payments (voided
held lines) were released and are counted in neither.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from disbursement.accounts.scoping import in_jurisdiction, scoped
from disbursement.budget.models import Indicator, LedgerEntry, Movement
from disbursement.budget.selectors import indicators_with_balances
from disbursement.errors import NotFound
from disbursement.payments.models import Payment, PaymentStatus
from geo import codes

UNSETTLED = (PaymentStatus.PENDING, PaymentStatus.SENT, PaymentStatus.HELD)
FAILED_FIRST = (PaymentStatus.FAILED, PaymentStatus.REISSUED, PaymentStatus.RETURNED)


@dataclass(frozen=True)
class Stage:
    key: str
    label: str
    amount_fen: int
    count: int | None = None
    url: str = ""


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    amount_fen: int


@dataclass
class Flow:
    title: str
    indicators: list = field(default_factory=list)
    stages: dict[str, Stage] = field(default_factory=dict)
    links: list[Link] = field(default_factory=list)
    query: dict = field(default_factory=dict)

    def node_labels(self) -> list[str]:
        used = {link.source for link in self.links if link.amount_fen} | {
            link.target for link in self.links if link.amount_fen}
        return [stage.label for key, stage in self.stages.items() if key in used]

    def chart_links(self) -> list[tuple[str, str, float]]:
        """(source label, target label, yuan) for charts.flow_chart; yuan as float is for drawing only."""
        return [(self.stages[link.source].label, self.stages[link.target].label, link.amount_fen / 100)
                for link in self.links if link.amount_fen]


def _indicators(*, user, indicator_id: int | None, item: str | None, county: str | None, year: int | None):
    queryset = scoped(Indicator.objects.select_related("item", "county"), user, "county")
    if indicator_id is not None:
        indicators = list(queryset.filter(pk=indicator_id))
        if not indicators:
            raise NotFound(_("Indicator not found."))
        return indicators
    if not (county and year):
        raise NotFound(_("Choose an indicator, or a county and a year (and an item)."))
    try:
        level = codes.region_level(county)
    except ValueError:
        raise NotFound(_("Region not found.")) from None
    if level != "county" or not in_jurisdiction(user, county):
        raise NotFound(_("Region not found."))
    indicators = queryset.filter(county_id=county, fiscal_year=year)
    if item:
        indicators = indicators.filter(item_id=item)
    return list(indicators.order_by("document_number"))


def _sums(rows, key: str) -> dict[str, tuple[int, int]]:
    return {row[key]: (row["amount"] or 0, row["n"]) for row in rows}


def fund_flow(*, user, indicator_id: int | None = None, item: str | None = None, county: str | None = None,
              year: int | None = None) -> Flow:
    """The flow of one indicator, or of all indicators of `county` for `year` (of `item` only, when given);
    NotFound when the indicator or the county is out of the user's reach (its existence is not revealed)."""
    indicators = _indicators(user=user, indicator_id=indicator_id, item=item, county=county, year=year)
    ids = [i.pk for i in indicators]
    balances = indicators_with_balances(Indicator.objects.filter(pk__in=ids)).aggregate(
        issued=Sum("issued_fen"), available=Sum("available_fen"), reserved=Sum("reserved_fen"),
        paid=Sum("paid_fen"), returned=Sum("returned_fen"))
    balances = {key: value or 0 for key, value in balances.items()} if ids else dict.fromkeys(
        ("issued", "available", "reserved", "paid", "returned"), 0)
    # Payments have no index on their indicator (each index costs on a million-row approval); the rosters an
    # indicator funded are in its ledger, and (roster, status) is indexed.
    rosters = LedgerEntry.objects.filter(indicator_id__in=ids, movement=Movement.RESERVE).values("roster_id")
    payments = Payment.objects.filter(roster_id__in=rosters, indicator_id__in=ids)
    first = _sums(payments.filter(attempt=1).values("status").annotate(amount=Sum("amount_fen"), n=Count("id")),
                  "status")
    # The last attempt of each re-issued chain: a re-issue (attempt > 1) that was not itself re-issued.
    last = _sums(payments.filter(attempt__gt=1).exclude(status=PaymentStatus.REISSUED).values("status")
                 .annotate(amount=Sum("amount_fen"), n=Count("id")), "status")

    def total(sums, statuses):
        return (sum(sums.get(s, (0, 0))[0] for s in statuses), sum(sums.get(s, (0, 0))[1] for s in statuses))

    reserved_net = balances["reserved"] + balances["paid"] + balances["returned"]
    paid_first, paid_first_n = total(first, [PaymentStatus.PAID])
    failed, failed_n = total(first, FAILED_FIRST)
    unsettled_first, unsettled_first_n = total(first, UNSETTLED)
    reissued, reissued_n = total(first, [PaymentStatus.REISSUED])
    returned_direct, returned_direct_n = total(first, [PaymentStatus.RETURNED])
    awaiting_direct, awaiting_direct_n = total(first, [PaymentStatus.FAILED])
    paid_again, paid_again_n = total(last, [PaymentStatus.PAID])
    returned_again, returned_again_n = total(last, [PaymentStatus.RETURNED])
    awaiting_again, awaiting_again_n = total(last, [PaymentStatus.FAILED])
    unsettled_again, unsettled_again_n = total(last, UNSETTLED)
    without_payment = max(reserved_net - paid_first - failed - unsettled_first, 0)

    query = {"indicator": ids[0]} if indicator_id is not None else {"item": item, "county": county, "year": year}
    budget_url = reverse("indicator-list") + "?" + urlencode(
        {"item": indicators[0].item_id if indicator_id is not None and indicators else item or "",
         "year": indicators[0].fiscal_year if indicators else year or ""})

    def payments_url(status):
        return reverse("payment-list") + "?" + urlencode({"status": status})

    stages = {
        "issued": Stage("issued", _("Issued"), balances["issued"], len(ids), budget_url),
        "unreserved": Stage("unreserved", _("Not reserved"), balances["available"], None, budget_url),
        "reserved": Stage("reserved", _("Reserved by rosters"), reserved_net, None,
                          reverse("roster-list")),
        "paid": Stage("paid", _("Paid to cards"), paid_first + paid_again, paid_first_n + paid_again_n,
                      payments_url(PaymentStatus.PAID)),
        "failed": Stage("failed", _("Failed at the bank"), failed, failed_n, payments_url(PaymentStatus.FAILED)),
        "reissued": Stage("reissued", _("Re-issued"), reissued, reissued_n, payments_url(PaymentStatus.REISSUED)),
        "returned": Stage("returned", _("Returned to the indicator"), returned_direct + returned_again,
                          returned_direct_n + returned_again_n, payments_url(PaymentStatus.RETURNED)),
        "awaiting": Stage("awaiting", _("Failed, awaiting a decision"), awaiting_direct + awaiting_again,
                          awaiting_direct_n + awaiting_again_n, payments_url(PaymentStatus.FAILED)),
        "unsettled": Stage("unsettled", _("Not yet settled"), unsettled_first + unsettled_again,
                           unsettled_first_n + unsettled_again_n, payments_url(PaymentStatus.PENDING)),
        "no_payment": Stage("no_payment", _("Reserved, no payment yet"), without_payment, None,
                            reverse("roster-list")),
    }
    links = [
        Link("issued", "reserved", reserved_net),
        Link("issued", "unreserved", balances["available"]),
        Link("reserved", "paid", paid_first),
        Link("reserved", "failed", failed),
        Link("reserved", "unsettled", unsettled_first),
        Link("reserved", "no_payment", without_payment),
        Link("failed", "reissued", reissued),
        Link("failed", "returned", returned_direct),
        Link("failed", "awaiting", awaiting_direct),
        Link("reissued", "paid", paid_again),
        Link("reissued", "returned", returned_again),
        Link("reissued", "awaiting", awaiting_again),
        Link("reissued", "unsettled", unsettled_again),
    ]
    if indicator_id is not None and indicators:
        title = indicators[0].document_number
    elif indicators:
        title = " · ".join(filter(None, [indicators[0].county.name, indicators[0].item.name if item else "",
                                         str(year)]))
    else:
        title = " · ".join(filter(None, [county, item, str(year)]))
    return Flow(title=title, indicators=indicators, stages=stages, links=links, query=query)
