"""Public supervision pages (互联网+监督): no login, no per-user data, so shared caches may keep them."""

import segno
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from disbursement.portal import publicity, statistics
from geo import codes
from geo.models import Region

PAID_PAGE_SIZE = 200
VILLAGE_SEARCH_LIMIT = 50

public_page = cache_control(public=True, max_age=300)


def _village_or_404(code: str) -> Region:
    try:
        return publicity.village_get(code=code)
    except Region.DoesNotExist:
        raise Http404 from None


def _qr_svg(url: str) -> str:
    # The QR encodes only the page's own public address; inline SVG prints sharply on the notice.
    return segno.make(url, error="m").svg_inline(scale=4, border=2, svgclass="qr", omitsize=True)


def _village_context(request, village: Region) -> dict:
    item, period = publicity.paid_filter_clean(item=request.GET.get("item"), period=request.GET.get("period"))
    choices = publicity.paid_choices_for_village(village=village)
    if "period" not in request.GET and item is None and choices:
        # The newest period on first arrival; a reader who picks 「全部期间」 sends period= and sees them all.
        period = choices[0]["roster__period"]
    items = {c["roster__item_id"]: c["roster__item__name"] for c in choices}
    page_url = request.build_absolute_uri(reverse("portal:village", args=[village.code]))
    return {
        "village": village,
        "township": village.parent,
        "rosters": publicity.publicity_rosters_for_village(village=village),
        "paid": publicity.paid_lines_for_village(village=village, item_code=item, period=period),
        "items": items,
        "periods": sorted({c["roster__period"] for c in choices}, reverse=True),
        "item": item or "",
        "item_name": items.get(item, ""),
        "period": period or "",
        "page_url": page_url,
        "qr_svg": _qr_svg(page_url),
    }


@require_GET
@public_page
def village_publicity(request, code: str):
    village = _village_or_404(code)
    context = _village_context(request, village)
    page = Paginator(context["paid"], PAID_PAGE_SIZE).get_page(request.GET.get("page"))
    context.update(paid_page=page, paid_lines=publicity.paid_lines_mask(rows=page.object_list))
    return render(request, "portal/village.html", context)


@require_GET
@public_page
def village_publicity_print(request, code: str):
    village = _village_or_404(code)
    context = _village_context(request, village)
    context["paid_lines"] = publicity.paid_lines_mask(rows=context["paid"])
    return render(request, "portal/village_print.html", context)


@require_GET
@public_page
def village_qr(request, code: str):
    village = _village_or_404(code)
    url = request.build_absolute_uri(reverse("portal:village", args=[village.code]))
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2, omitsize=False)
    return HttpResponse(svg, content_type="image/svg+xml")


@require_GET
@public_page
def village_search(request):
    query = request.GET.get("q", "").strip()[:20]
    return render(request, "portal/village_search.html", {
        "q": query, "villages": publicity.village_search(query=query, limit=VILLAGE_SEARCH_LIMIT) if query else [],
        "limit": VILLAGE_SEARCH_LIMIT,
    })


@require_GET
@public_page
def township_index(request, code: str):
    try:
        township = publicity.township_get(code=code)
    except Region.DoesNotExist:
        raise Http404 from None
    return render(request, "portal/township.html",
                  {"township": township, "villages": publicity.township_villages(code=code)})


def _statistics_filters(request) -> dict:
    year = request.GET.get("year", "")
    county = request.GET.get("county", "")
    year = int(year) if year.isdigit() and len(year) == 4 else None
    try:
        county = county if codes.region_level(county) == "county" else None
    except ValueError:
        county = None
    return {"year": year, "county_code": county}


@require_GET
@public_page
def statistics_page(request):
    filters = _statistics_filters(request)
    return render(request, "portal/statistics.html", {
        "cells": statistics.statistics_cells(**filters),
        "counties": statistics.statistics_counties(),
        "year": filters["year"] or "",
        "county": filters["county_code"] or "",
        "threshold": statistics.SUPPRESS_BELOW,
    })


@require_GET
@public_page
def statistics_download(request):
    data = statistics.statistics_csv(cells=statistics.statistics_cells(**_statistics_filters(request)))
    response = HttpResponse(data, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="subsidy-statistics.csv"'
    return response
