"""The supervisor's desk: the overview, the drill-down from the user's region to a village's roster lines (which
end at the payment trace), and the fund flow from budget to cards. Views parse, call selectors, and render;
a region or object out of reach answers 404."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as PageForbidden
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from disbursement import charts
from disbursement.accounts.permissions import action_allowed
from disbursement.accounts.scoping import in_jurisdiction
from disbursement.catalog import selectors as catalog_selectors
from disbursement.errors import NotFound, ValidationFailed
from disbursement.supervision import flow as flows
from disbursement.supervision import selectors
from disbursement.supervision.exports import children_xlsx
from disbursement.supervision.lines import roster_village_lines
from geo import selectors as geo_selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YEARS_SHOWN = 5


def _desk_user(request):
    if not action_allowed(request.user, "supervision.view", check_region=False):
        raise PageForbidden


def _filters(request) -> dict:
    """Year (this year by default, within the last few), item and category from the query string."""
    this_year = timezone.localdate().year
    years = list(range(this_year, this_year - YEARS_SHOWN, -1))
    raw = request.GET.get("year", "")
    year = int(raw) if raw.isdigit() and int(raw) in years else this_year
    item = request.GET.get("item", "")[:8] or None
    category = None if item else (request.GET.get("category", "")[:4] or None)
    return {"year": year, "years": years, "item": item, "category": category}


def _pickers(filters: dict) -> dict:
    return {"items": catalog_selectors.item_list(active=None), "categories": catalog_selectors.category_list(),
            **filters}


def _query(filters: dict) -> str:
    return urlencode({k: filters[k] for k in ("year", "item", "category") if filters.get(k)})


def _cards(figures: dict) -> list[dict]:
    """The headline figures in the order a supervisor reads them, each with its label and list URL."""
    labels = [
        ("paid_fen", _("Amount paid (yuan)")), ("payments", _("Payments made")),
        ("households", _("Households reached")), ("persons", _("Persons reached")),
        ("failed", _("Payments failed")), ("reissued", _("Payments re-issued")),
        ("returned", _("Payments returned")), ("returned_fen", _("Money returned (yuan)")),
        ("alerts_open", _("Alerts open")), ("alerts_high", _("Alerts open, high")),
        ("alerts_medium", _("Alerts open, medium")), ("alerts_low", _("Alerts open, low")),
        ("stopped", _("Lines stopped before payment")), ("stopped_fen", _("Stopped before payment (yuan)")),
        ("band_warning", _("Counties in treasury warning")), ("band_low", _("Counties with a low treasury")),
        ("band_normal", _("Counties with a normal treasury")), ("band_idle", _("Counties with idle treasury money")),
    ]
    return [{"key": key, "label": label, "figure": figures[key]} for key, label in labels if key in figures]


def _item_chart(rows, *, year: int, region_code: str):
    """Paid by item: rows of (code, name, fen, payments); a click opens the region's page for that item."""
    base = reverse("supervision-region", args=[region_code])
    return charts.bar_chart(
        [name for _code, name, _fen, _n in rows], {_("Paid"): [fen / 100 for _c, _n, fen, _p in rows]},
        horizontal=True, title=_("Paid by item"),
        links={name: f"{base}?{urlencode({'year': year, 'item': code})}" for code, name, _f, _n in rows})


def _month_chart(rows):
    return charts.bar_chart([month for month, _fen, _n in rows], {_("Paid"): [fen / 100 for _m, fen, _n in rows]},
                            title=_("Paid by month"))


@login_required
def overview(request):
    _desk_user(request)
    filters = _filters(request)
    try:
        figures = selectors.overview(user=request.user, year=filters["year"], item=filters["item"],
                                     category=filters["category"])
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("supervision")
    except NotFound:
        raise Http404 from None
    code = figures.region_code
    by_item = selectors.by_item(user=request.user, region_code=code, year=filters["year"])
    by_month = selectors.by_month(user=request.user, region_code=code, year=filters["year"],
                                  item=filters["item"], category=filters["category"])
    return render(request, "supervision/overview.html", {
        "overview": figures, "cards": _cards(figures.figures), **_pickers(filters), "query": _query(filters),
        "item_chart": _item_chart(by_item, year=filters["year"], region_code=code) if by_item else None,
        "month_chart": _month_chart(by_month) if by_month else None,
    })


@login_required
def region(request, code: str):
    _desk_user(request)
    filters = _filters(request)
    try:
        place = selectors.region_in_reach(user=request.user, region_code=code)
        rows = None
        if place.level != "village":
            rows = selectors.children(user=request.user, region_code=code, year=filters["year"],
                                      item=filters["item"], category=filters["category"])
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("supervision-region", code=code)
    except NotFound:
        raise Http404 from None
    if rows is not None and request.GET.get("export") == "xlsx":
        response = HttpResponse(children_xlsx(region_name=place.name, year=filters["year"], rows=rows),
                                content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="supervision-{code}-{filters["year"]}.xlsx"'
        return response
    by_item = selectors.by_item(user=request.user, region_code=code, year=filters["year"])
    by_month = selectors.by_month(user=request.user, region_code=code, year=filters["year"],
                                  item=filters["item"], category=filters["category"])
    path = [{"code": step.code, "name": step.name, "link": in_jurisdiction(request.user, step.code)}
            for step in geo_selectors.region_path(region=place)]
    totals = None
    if rows:
        totals = {key: sum(getattr(r, key) for r in rows) for key in (
            "paid_fen", "payments", "households", "persons", "failed", "reissued", "returned", "returned_fen",
            "open_alerts")}
    return render(request, "supervision/region.html", {
        "region": place, "path": path, "rows": rows, "totals": totals, **_pickers(filters), "query": _query(filters),
        "rosters": selectors.village_rosters(user=request.user, village_code=code, year=filters["year"])
        if place.level == "village" else None,
        "alerts": selectors.open_alerts(user=request.user, region_code=code),
        "item_chart": _item_chart(by_item, year=filters["year"], region_code=code) if by_item else None,
        "month_chart": _month_chart(by_month) if by_month else None,
        "as_of": selectors.facts_as_of(region_code=code),
    })


@login_required
def roster_lines(request, code: str, roster_id: int):
    _desk_user(request)
    try:
        place = selectors.region_in_reach(user=request.user, region_code=code)
        if place.level != "village":
            raise NotFound(_("Region not found."))
        roster, lines = roster_village_lines(user=request.user, village_code=code, roster_id=roster_id)
    except NotFound:
        raise Http404 from None
    path = [{"code": step.code, "name": step.name, "link": in_jurisdiction(request.user, step.code)}
            for step in geo_selectors.region_path(region=place)]
    page = Paginator(lines, 100).get_page(request.GET.get("page"))
    return render(request, "supervision/roster_lines.html", {
        "region": place, "path": path, "roster": roster, "page": page,
        "total_fen": sum(line.amount_fen for line in lines if not line.is_void),
    })


@login_required
def fund_flow(request):
    _desk_user(request)
    filters = _filters(request)
    raw_indicator = request.GET.get("indicator", "")
    county = request.GET.get("county", "")[:12]
    try:
        home = selectors.home_region(user=request.user)
        if raw_indicator:
            if not raw_indicator.isdigit() or len(raw_indicator) > 12:
                raise NotFound(_("Indicator not found."))
            flow = flows.fund_flow(user=request.user, indicator_id=int(raw_indicator))
        elif county:
            flow = flows.fund_flow(user=request.user, item=filters["item"], county=county, year=filters["year"])
        else:
            flow = None
    except NotFound:
        raise Http404 from None
    context = {"flow": flow, **_pickers(filters), "county": county,
               "counties": geo_selectors.region_search(level="county", within=home.code)}
    if flow is not None:
        context["chart"] = charts.flow_chart(flow.node_labels(), flow.chart_links())
        context["links"] = [
            {"source": link.source, "target": link.target, "amount_fen": link.amount_fen,
             "source_label": flow.stages[link.source].label, "target_label": flow.stages[link.target].label}
            for link in flow.links if link.amount_fen]
    return render(request, "supervision/flow.html", context)
