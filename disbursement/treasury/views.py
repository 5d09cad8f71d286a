"""Treasury cash (库款) pages: the statement upload, the monthly and the daily warning table, the county × month
grid, one region's days with its level history and open alerts, and the 三保 forecast. Views parse, call the
tables (reads) or one service, and render; a region out of reach is a 404, a bad filter a message. Imports run in
the request: a treasury export is a few hundred rows a day."""

import math
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disbursement.accounts.permissions import action_allowed
from disbursement.charts import BAND_COLOURS, line_chart
from disbursement.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from disbursement.money import yuan_to_fen
from disbursement.treasury import services, tables
from disbursement.treasury.exports import table_xlsx
from disbursement.treasury.models import TreasuryBand, TreasuryImport
from disbursement.treasury.selectors import treasury_settings
from disbursement.treasury.statements import COLUMNS
from disbursement.treasury.transfers import scheduled_transfer_add

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SORTS = ("level", "-level")


class StatementUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Treasury statement file (CSV or XLSX)"))


@login_required
def statement_import(request):
    may_import = action_allowed(request.user, "treasury.import", check_region=False)
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST":
        if not may_import:
            status = 403
            form.add_error(None, gettext_lazy("Only county finance and the provincial administrator import treasury "
                                   "statements."))
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = services.statements_import(actor=request.user, content=upload.read(), file_name=upload.name)
            except DomainError as exc:
                status = exc.status
                form.add_error(None, exc.message)
            else:
                status = 200 if result.status == "accepted" else 422
        else:
            status = 422
    imports = TreasuryImport.objects.all() if request.user.is_superuser else TreasuryImport.objects.filter(
        uploaded_by=request.user)
    return render(request, "treasury/import.html", {
        "form": form, "may_import": may_import, "result": result, "columns": COLUMNS,
        "imports": imports.order_by("-created_at")[:20],
    }, status=status)

def _refused(request, exc: DomainError, fallback: str):
    """NotFound is a 404 (existence not revealed); a role without the pages goes home; a bad filter is told and
    the page shown with its defaults."""
    if isinstance(exc, NotFound):
        raise Http404 from None
    messages.error(request, exc.message)
    return redirect("home" if isinstance(exc, PermissionDenied) else fallback)


def _filters(request) -> dict:
    sort = request.GET.get("sort", "")
    return {"region_code": (request.GET.get("region") or "").strip() or None, "sort": sort if sort in SORTS else ""}


def _sort_query(*, request, **shown) -> str:
    """The query a sort link keeps: the period shown and the region filter, ending ready for `sort=`."""
    region = (request.GET.get("region") or "").strip()
    return urlencode({**shown, **({"region": region} if region else {})}) + "&"


def _month_table(request):
    return tables.month_table(actor=request.user, month=tables.month_parse(request.GET.get("month")),
                              **_filters(request))


@login_required
def month_table(request):
    try:
        table = _month_table(request)
    except DomainError as exc:
        return _refused(request, exc, "treasury-months")
    return render(request, "treasury/month_table.html", {
        "table": table, "bands": TreasuryBand.choices, "query": request.GET.urlencode(),
        "region": request.GET.get("region", ""),
        "sort_query": _sort_query(month=f"{table.month:%Y-%m}", request=request),
    })


@login_required
def month_export(request):
    try:
        table = _month_table(request)
    except DomainError as exc:
        return _refused(request, exc, "treasury-months")
    response = HttpResponse(table_xlsx(table=table), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="treasury-{table.month:%Y-%m}.xlsx"'
    return response


@login_required
def day_table(request):
    try:
        table = tables.day_table(actor=request.user, day=tables.day_parse(request.GET.get("date")),
                                 **_filters(request))
    except DomainError as exc:
        return _refused(request, exc, "treasury-days")
    return render(request, "treasury/day_table.html", {
        "table": table, "bands": TreasuryBand.choices, "region": request.GET.get("region", ""),
        "sort_query": _sort_query(date=table.day.isoformat(), request=request),
    })


@login_required
def grid(request):
    try:
        table = tables.county_grid(actor=request.user, year=tables.year_parse(request.GET.get("year")),
                                   region_code=(request.GET.get("region") or "").strip() or None)
    except DomainError as exc:
        return _refused(request, exc, "treasury-grid")
    return render(request, "treasury/grid.html", {"grid": table, "region": request.GET.get("region", "")})


def _history_chart(region_code: str, month) -> dict:
    """The level over the months ending with `month`, with the band thresholds drawn and the bands shaded."""
    settings = treasury_settings()
    history = tables.level_history(region_code=region_code, month=month)
    warning, low, idle = (float(settings.warning_below), float(settings.low_below), float(settings.idle_above))
    option = line_chart(
        [day.isoformat() for day, _level in history], {_("Coverage level"): [level for _day, level in history]},
        thresholds=[(str(TreasuryBand.WARNING.label), warning, BAND_COLOURS["warning"]),
                    (str(TreasuryBand.LOW.label), low, BAND_COLOURS["low"]),
                    (str(TreasuryBand.IDLE.label), idle, BAND_COLOURS["idle"])],
        bands=[(None, warning, BAND_COLOURS["warning"]), (warning, low, BAND_COLOURS["low"]),
               (low, idle, BAND_COLOURS["normal"]), (idle, None, BAND_COLOURS["idle"])])
    # From zero to above the idle threshold, so every threshold line shows even when the level stays in one band.
    highest = max([float(level) for _day, level in history if level is not None] + [idle])
    option["yAxis"].update({"scale": False, "min": 0, "max": math.ceil(highest * 11) / 10})
    return option


@login_required
def region_detail(request, code: str):
    try:
        region, month, days = tables.region_month(actor=request.user, code=code,
                                                  month=tables.month_parse(request.GET.get("month")))
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        if isinstance(exc, PermissionDenied):
            return _refused(request, exc, "treasury-months")
        messages.error(request, exc.message)
        return redirect("treasury-region", code=code)
    return render(request, "treasury/region_detail.html", {
        "region": region, "month": month, "days": days, "breakdown": tables.has_breakdown(days),
        "previous": tables.month_shift(month, -1), "next": tables.month_shift(month, 1),
        "chart": _history_chart(region.code, month), "settings": treasury_settings(),
        "alerts": tables.open_treasury_alerts(actor=request.user, region_code=region.code),
        "months_url": reverse("treasury-months"),
    })


def _transfer_add(request):
    """The province's form: a transfer scheduled to a county for a month (the forecast counts it as inflow)."""
    post = request.POST
    try:
        amount_fen = yuan_to_fen(post.get("amount", ""))
    except ValueError:
        raise ValidationFailed(_("Give the amount in yuan with at most two decimals."), field="amount") from None
    month = tables.month_parse(post.get("month", ""))
    if month is None:
        raise ValidationFailed(_("A month is written YYYY-MM."), field="month")
    scheduled_transfer_add(actor=request.user, region_code=post.get("region", "").strip(), month=month,
                           amount_fen=amount_fen, document=post.get("document", ""))


@login_required
def forecast(request):
    if request.method == "POST":
        try:
            _transfer_add(request)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("The scheduled transfer is saved; the forecast counts it."))
        return redirect("treasury-forecast")
    region = (request.GET.get("region") or "").strip() or None
    try:
        counties = tables.forecast_table(actor=request.user, region_code=region)
    except DomainError as exc:
        return _refused(request, exc, "treasury-forecast")
    return render(request, "treasury/forecast.html", {
        "counties": counties, "region": region or "", "shortfalls": sum(bool(c.forecast.shortfalls) for c in counties),
        "may_schedule": action_allowed(request.user, "treasury.schedule", check_region=False),
    })
