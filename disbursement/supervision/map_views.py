"""The map pages: `/supervision/map/` (form, legend, table, and the map in an iframe), `/supervision/map/frame/`
(the folium document, the only response allowed inline script and style, by a per-response nonce, and framing
by ourselves), `/supervision/map/export/` (the same map as a standalone HTML file). All three take the same
query: measure, year, item, category, region."""

import re
from dataclasses import dataclass

from csp.constants import NONCE, SELF
from csp.decorators import csp_replace, csp_update
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Exists, Max, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin

from disbursement.accounts.permissions import action_check
from disbursement.catalog.models import Category, Item
from disbursement.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from disbursement.payments.models import Payment
from disbursement.rosters.selectors import roster_list
from disbursement.supervision import maps, measures, selectors
from geo import codes
from geo.models import Region

MEASURE_LABELS = {
    "paid_per_household": gettext_lazy("Paid per household (yuan)"),
    "paid_per_person": gettext_lazy("Paid per registered person (yuan)"),
    "change_vs_previous_year": gettext_lazy("Change against the previous year"),
    "alerts_per_10k": gettext_lazy("Open alerts per 10,000 payments"),
    "treasury_band": gettext_lazy("Treasury band"),
}
MAP_LEVELS = ("province", "city", "county")
PROVINCE = "430000000000"
_REGION_REFUSAL = gettext_lazy("Unknown region: a map is drawn for the province, a city or a county.")


@dataclass(frozen=True)
class MapQuery:
    measure: str
    year: int
    item: str | None
    category: str | None
    region: Region

    def querystring(self) -> str:
        from urllib.parse import urlencode

        pairs = {"measure": self.measure, "year": self.year, "item": self.item or "",
                 "category": self.category or "", "region": self.region.code}
        return urlencode({k: v for k, v in pairs.items() if v != ""})

    def filename(self) -> str:
        return f"map-{self.measure}-{self.year}-{self.region.code}.html"


def _default_year(user) -> int:
    """The latest roster year with payments in the user's reach (a roster's year is its period's); this year
    when there is none yet."""
    rosters = roster_list(actor=user).filter(Exists(Payment.objects.filter(roster=OuterRef("pk"))))
    latest = rosters.order_by().aggregate(latest=Max("period"))["latest"]
    return int(latest[:4]) if latest else timezone.localdate().year


def _map_query(request) -> MapQuery:
    """The query's parameters, checked: ValidationFailed (400) for a value that cannot be, NotFound (404) for a region
    outside the user's reach; a user without a map role is refused (403)."""
    action_check(request.user, "supervision.map", check_region=False)
    measure = request.GET.get("measure") or "paid_per_household"
    if measure not in measures.MEASURES:
        raise ValidationFailed(_("Unknown measure."), field="measure")
    year_text = request.GET.get("year") or ""
    if year_text:
        if not re.fullmatch(r"\d{4}", year_text) or not 2000 <= int(year_text) <= 2100:
            raise ValidationFailed(_("Unknown year: write it as four digits, like 2026."), field="year")
        year = int(year_text)
    else:
        year = _default_year(request.user)
    item = request.GET.get("item") or None
    if item and (len(item) > 16 or not Item.objects.filter(code=item).exists()):
        raise ValidationFailed(_("Unknown subsidy item."), field="item")
    category = request.GET.get("category") or None
    if category and (len(category) > 16 or not Category.objects.filter(code=category).exists()):
        raise ValidationFailed(_("Unknown category."), field="category")
    code = request.GET.get("region") or _default_region(request.user)
    try:
        level = codes.region_level(code)
    except ValueError:
        raise ValidationFailed(_REGION_REFUSAL, field="region") from None
    if level not in MAP_LEVELS:
        raise ValidationFailed(_REGION_REFUSAL, field="region")
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise NotFound(_("Not found."))
    action_check(request.user, "supervision.map", region_code=code)
    return MapQuery(measure, year, item, category, region)


def _default_region(user) -> str:
    """The user's own region, or the county above a township or village user (refused later as out of reach)."""
    if not user.region_id:
        return PROVINCE
    level = codes.region_level(user.region_id)
    return user.region_id if level in MAP_LEVELS else user.region_id[:6].ljust(codes.CODE_LENGTH, "0")


def _rows(request, query: MapQuery) -> list:
    return measures.county_measure(user=request.user, region_code=query.region.code, measure=query.measure,
                                   year=query.year, item=query.item, category=query.category)


def _drill_url(request, *, absolute: bool = False):
    def url(code: str) -> str:
        path = f"/supervision/regions/{code}/"
        return request.build_absolute_uri(path) if absolute else path
    return url


def _document(request, query: MapQuery, *, standalone: bool) -> tuple[maps.MapDocument, list]:
    rows = _rows(request, query)
    label = str(MEASURE_LABELS[query.measure])
    title = f"{query.region.name} · {label} · {query.year}"
    scale = maps.map_scale(region_code=query.region.code, measure=query.measure, rows=rows)
    legend = render_to_string("supervision/_map_legend.html", {"scale": scale, "label": label}, request=request)
    document = maps.map_document(
        region_code=query.region.code, measure=query.measure, measure_label=label, rows=rows,
        drill_url=_drill_url(request, absolute=standalone), title=title, standalone=standalone,
        nonce=None if standalone else str(request.csp_nonce), legend_html=legend)
    return document, rows


def _refusal(request, exc: DomainError, *, page: bool):
    """A refused query: 404 out of reach, 403 without a map role, 400 with the reason for anything else."""
    if isinstance(exc, NotFound):
        raise Http404 from None
    if isinstance(exc, PermissionDenied):
        raise DjangoPermissionDenied(exc.message) from None
    if page:
        return render(request, "supervision/map_refused.html", {"message": str(exc.message)}, status=400)
    return HttpResponse(str(exc.message), status=400, content_type="text/plain; charset=utf-8")


@login_required
def map_page(request):
    try:
        query = _map_query(request)
        rows = _rows(request, query)
    except DomainError as exc:
        return _refusal(request, exc, page=True)
    scale = maps.map_scale(region_code=query.region.code, measure=query.measure, rows=rows)
    qs = query.querystring()
    return render(request, "supervision/map.html", {
        "query": query, "rows": rows, "figure_keys": list(rows[0].figures) if rows else [],
        "scale": scale, "measure_label": MEASURE_LABELS[query.measure],
        "as_of": selectors.facts_as_of(region_code=query.region.code),
        "measures": list(MEASURE_LABELS.items()), "regions": _region_choices(request.user, query.region),
        "items": Item.objects.order_by("code").only("code", "name"),
        "categories": Category.objects.order_by("code").only("code", "name"),
        "frame_url": f"{reverse('supervision-map-frame')}?{qs}",
        "export_url": f"{reverse('supervision-map-export')}?{qs}",
    })


def _region_choices(user, current: Region) -> list[Region]:
    """The user's own region and, under a province, its cities: the maps a user can pick."""
    own = user.region_id if user.region_id and codes.region_level(user.region_id) in MAP_LEVELS else PROVINCE
    wanted = {own, current.code}
    if codes.region_level(own) == "province":
        wanted.update(maps.boundary_codes(level="city"))
    return list(Region.objects.filter(code__in=wanted).order_by("code"))


@login_required
@xframe_options_sameorigin
@csp_update({"script-src": [NONCE], "style-src": [NONCE]})
@csp_replace({"frame-ancestors": [SELF]})
def map_frame(request):
    try:
        query = _map_query(request)
        document, _rows_ = _document(request, query, standalone=False)
    except DomainError as exc:
        return _refusal(request, exc, page=False)
    return HttpResponse(document.html, content_type="text/html; charset=utf-8")


@login_required
def map_export(request):
    try:
        query = _map_query(request)
        document, _rows_ = _document(request, query, standalone=True)
    except DomainError as exc:
        return _refusal(request, exc, page=False)
    response = HttpResponse(document.html, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{query.filename()}"'
    return response
