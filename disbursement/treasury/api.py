"""Treasury cash in the JSON API: statement files in (all or nothing), transfers scheduled by the province, and
the reads: the status of every region as of a day (the `treasury_status` contract), one region's days, the
county × month grid and the 三保 forecast. Reads are scoped like the pages; a region out of reach is 404.
Amounts are yuan strings."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from disbursement.errors import ValidationFailed
from disbursement.money import fen_to_yuan, yuan_to_fen
from disbursement.treasury import selectors, services, tables
from disbursement.treasury.transfers import scheduled_transfer_add

router = Router(tags=["treasury"])


class StatementErrorOut(Schema):
    row: int | None = None
    field: str | None = None
    code: str | None = None
    message: str


class StatementImportOut(Schema):
    status: str
    code: str
    rows: int
    errors: list[StatementErrorOut]
    error_count: int
    message: str
    inserted: int
    replaced: int
    unchanged: int


class StatementRejectedOut(Schema):
    """A 422: the file rejected whole (status "rejected", with every row's errors), or a request the API could not
    take at all (no file: the common error shape, `errors` naming the field)."""

    status: str | None = Field(None, description='"rejected" when a file was read and refused')
    code: str
    message: str
    rows: int | None = None
    error_count: int | None = None
    errors: list[StatementErrorOut] = []


@router.post("/treasury/statements", response={200: StatementImportOut, 422: StatementRejectedOut},
             summary="Import daily treasury statements (CSV or XLSX): accepted whole (200) or rejected whole (422)")
def treasury_statements_import(request, file: File[UploadedFile]):
    result = services.statements_import(actor=request.user, content=file.read(),
                                        file_name=file.name or "statements.csv")
    return Status(200 if result.status == "accepted" else 422, result.as_json())


class TransferIn(Schema):
    region: str = Field(..., pattern=r"^[0-9]{12}$", description="the county's 12-digit code")
    month: str = Field(..., pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$", description="YYYY-MM (1900–2099)")
    amount_yuan: str = Field(..., max_length=20, description="decimal yuan, e.g. 5000000.00")
    document: str = Field(..., min_length=1, max_length=100, description="the document number (文号)")


class TransferOut(Schema):
    id: int
    region: str
    month: str
    amount_yuan: str
    document: str
    created_at: datetime.datetime


@router.post("/treasury/transfers", response={201: TransferOut},
             summary="Schedule a transfer to a county for a month (province): counted in the county's forecast")
def treasury_transfer_add(request, payload: TransferIn):
    try:
        amount_fen = yuan_to_fen(payload.amount_yuan)
    except ValueError:
        raise ValidationFailed(_("Write the amount in yuan with at most two decimals."), field="amount_yuan") from None
    year, month = (int(part) for part in payload.month.split("-"))
    transfer = scheduled_transfer_add(actor=request.user, region_code=payload.region,
                                      month=datetime.date(year, month, 1), amount_fen=amount_fen,
                                      document=payload.document)
    return Status(201, {"id": transfer.pk, "region": transfer.region_id, "month": transfer.month.strftime("%Y-%m"),
                        "amount_yuan": fen_to_yuan(transfer.amount_fen), "document": transfer.document,
                        "created_at": transfer.created_at})


def _yuan(fen):
    return None if fen is None else fen_to_yuan(fen)


class StatusFilter(Schema):
    date: str | None = Field(None, max_length=10, description="YYYY-MM-DD: each treasury as of its latest statement "
                                                               "on or before it; default: today")
    region: str | None = Field(None, max_length=12, description="a region code: the treasuries of its subtree; "
                                                                "default: your jurisdiction")


class StatusRegionOut(Schema):
    region: str
    day: str = Field(..., description="the statement day the figures are from")
    closing_yuan: str
    avg_monthly_outflow_yuan: str
    level: float | None = Field(..., description="closing ÷ average monthly outflow, 4 decimals; null: no outflow")
    band: str = Field(..., description="warning, low, normal or idle")
    days_of_cover: float | None


class StatusOut(Schema):
    date: str
    regions: list[StatusRegionOut]


@router.get("/treasury/status", response=StatusOut, summary="Every treasury's level and band as of a day (the "
            "treasury_status command's JSON)")
def treasury_status(request, filters: Query[StatusFilter]):
    day = tables.day_parse(filters.date) or timezone.localdate()
    # Reach first (a role without treasuries 403, a region out of reach 404); the subtree then is in reach.
    tables.treasury_regions(actor=request.user, region_code=filters.region)
    within = filters.region or (None if request.user.is_superuser else request.user.region_id)
    return selectors.treasury_status(day, within)


class DaysFilter(Schema):
    start: str | None = Field(None, max_length=10, description="YYYY-MM-DD; default: the first day of the month "
                                                                "of `end`")
    end: str | None = Field(None, max_length=10, description="YYYY-MM-DD; default: the region's latest day")


class DayOut(Schema):
    day: datetime.date
    opening_yuan: str
    inflow_yuan: str
    outflow_yuan: str
    closing_yuan: str
    inflow_transfer_yuan: str | None
    inflow_tax_yuan: str | None
    inflow_bond_yuan: str | None
    inflow_other_yuan: str | None
    outflow_wages_yuan: str | None
    outflow_subsidy_yuan: str | None
    outflow_other_yuan: str | None
    avg_monthly_outflow_yuan: str | None
    level: float | None
    band: str | None
    days_of_cover: float | None


def _day_out(day: tables.RegionDay) -> dict:
    s, lv = day.statement, day.level
    return {
        "day": s.day, **{f"{name}_yuan": _yuan(getattr(s, f"{name}_fen")) for name in (
            "opening", "inflow", "outflow", "closing", "inflow_transfer", "inflow_tax", "inflow_bond", "inflow_other",
            "outflow_wages", "outflow_subsidy", "outflow_other")},
        "avg_monthly_outflow_yuan": _yuan(lv.avg_monthly_outflow_fen) if lv else None,
        "level": tables.level_number(lv.level) if lv else None, "band": lv.band if lv else None,
        "days_of_cover": float(lv.days_of_cover) if lv and lv.days_of_cover is not None else None,
    }


@router.get("/treasury/regions/{code}/days", response=list[DayOut],
            summary="One treasury's daily statements with their level and band")
@paginate
def treasury_region_days(request, code: str, filters: Query[DaysFilter]):
    end = tables.day_parse(filters.end, name="end")
    start = tables.day_parse(filters.start, name="start")
    if end is None:
        end = tables.region_latest_day(actor=request.user, code=code) or timezone.localdate()
    start = start or end.replace(day=1)
    return [_day_out(day) for day in tables.region_days(actor=request.user, code=code, start=start, end=end)]


class GridFilter(Schema):
    year: str | None = Field(None, max_length=4, description="default: the latest year with data")
    region: str | None = Field(None, max_length=12, description="a region code: the counties of its subtree")


class GridCellOut(Schema):
    month: str
    red_days: int
    yellow_days: int


class GridRowOut(Schema):
    region: str
    name: str
    months: list[GridCellOut]


class GridOut(Schema):
    year: int
    counties: list[GridRowOut]


@router.get("/treasury/grid", response=GridOut, summary="Red (warning) and yellow (low) days per county and month")
def treasury_grid(request, filters: Query[GridFilter]):
    grid = tables.county_grid(actor=request.user, year=tables.year_parse(filters.year), region_code=filters.region)
    return {"year": grid.year, "counties": [
        {"region": row.code, "name": row.name,
         "months": [{"month": f"{c.month:%Y-%m}", "red_days": c.red, "yellow_days": c.yellow} for c in row.cells]}
        for row in grid.rows]}


class ForecastFilter(Schema):
    region: str | None = Field(None, max_length=12, description="a region code: the counties of its subtree")


class ForecastMonthOut(Schema):
    month: str
    days: int = Field(..., description="days of the month the row covers (the first: after the latest statement)")
    opening_yuan: str
    expected_inflow_yuan: str = Field(..., description="estimated from history, with scheduled transfers")
    scheduled_yuan: str
    recurring_outflow_yuan: str
    committed_basic_yuan: str = Field(..., description="三保 outflow of approved rosters not yet sent")
    committed_other_yuan: str
    closing_yuan: str = Field(..., description="projected")
    gap_yuan: str
    warning: bool = Field(..., description="a positive gap: a shortfall at the end of the month")


class CountyForecastOut(Schema):
    region: str
    name: str
    latest_day: datetime.date
    closing_yuan: str
    months: list[ForecastMonthOut]


@router.get("/treasury/forecast", response=list[CountyForecastOut],
            summary="The 三保 shortfall forecast of every county in reach")
@paginate
def treasury_forecast(request, filters: Query[ForecastFilter]):
    return [{
        "region": c.code, "name": c.name, "latest_day": c.forecast.latest_day,
        "closing_yuan": fen_to_yuan(c.forecast.closing_fen),
        "months": [{"month": row.label, "days": row.days, "opening_yuan": fen_to_yuan(row.opening_fen),
                    "expected_inflow_yuan": fen_to_yuan(row.expected_inflow_fen),
                    "scheduled_yuan": fen_to_yuan(row.scheduled_fen),
                    "recurring_outflow_yuan": fen_to_yuan(row.recurring_outflow_fen),
                    "committed_basic_yuan": fen_to_yuan(row.committed_basic_fen),
                    "committed_other_yuan": fen_to_yuan(row.committed_other_fen),
                    "closing_yuan": fen_to_yuan(row.closing_fen), "gap_yuan": fen_to_yuan(row.gap_fen),
                    "warning": row.gap_fen > 0} for row in c.forecast.rows],
    } for c in tables.forecast_table(actor=request.user, region_code=filters.region)]
