import io
from datetime import date, datetime

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from disbursement.errors import NotFound
from disbursement.money import fen_to_yuan
from disbursement.payments.holds import roster_held_lines
from disbursement.pii import mask_name
from disbursement.rosters import reports, selectors, services, workflow
from disbursement.treasury.forecast import approval_outlook

router = Router(tags=["rosters"])


class ImportErrorOut(Schema):
    row: int | None
    field: str | None
    code: str
    message: str


class ProgressOut(Schema):
    phase: str
    done: int
    total: int


class ImportOut(Schema):
    id: int
    status: str
    file_name: str
    item: str | None = Field(None, alias="item_id")
    township: str | None = Field(None, alias="township_id")
    period: str
    rows: int = Field(..., alias="rows_total")
    error_count: int
    errors: list[ImportErrorOut] = Field(..., description="the first 1,000 problems; the report has all")
    message: str
    roster_id: int | None
    report_url: str | None = None
    progress: ProgressOut

    @staticmethod
    def resolve_report_url(job) -> str | None:
        return f"/api/v1/rosters/imports/{job.pk}/report" if job.report else None

    @staticmethod
    def resolve_progress(job) -> dict:
        return services.import_progress_get(job)


class RosterOut(Schema):
    id: int
    item: str = Field(..., alias="item_id")
    item_name: str = Field(..., alias="item.name")
    township: str = Field(..., alias="township_id")
    township_name: str = Field(..., alias="township.name")
    period: str
    status: str
    lines: int = Field(..., alias="line_count")
    total_yuan: str

    @staticmethod
    def resolve_total_yuan(roster) -> str:
        return fen_to_yuan(roster.total_fen)


class VillageTotalOut(Schema):
    village: str
    village_name: str
    lines: int
    total_yuan: str


class RosterDetailOut(RosterOut):
    villages: list[VillageTotalOut]


class LineOut(Schema):
    row: int = Field(..., alias="row_number")
    name: str
    id_number: str
    card_number: str
    village: str = Field(..., alias="village_id")
    village_name: str = Field(..., alias="village.name")
    group: str
    quantity: str
    rate_yuan: str
    amount_yuan: str
    remark: str

    @staticmethod
    def resolve_name(line) -> str:
        return mask_name(line.person.name)

    @staticmethod
    def resolve_id_number(line) -> str:
        return line.person.id_masked

    @staticmethod
    def resolve_card_number(line) -> str:
        return line.card.number_masked

    @staticmethod
    def resolve_quantity(line) -> str:
        whole, part = divmod(line.quantity_milli, 1000)
        return f"{whole}.{part:03d}".rstrip("0").rstrip(".")

    @staticmethod
    def resolve_rate_yuan(line) -> str:
        return fen_to_yuan(line.rate_fen)

    @staticmethod
    def resolve_amount_yuan(line) -> str:
        return fen_to_yuan(line.amount_fen)


@router.post("/rosters/imports", response={202: ImportOut}, summary="Upload a roster file (CSV or XLSX)")
def import_create(request, file: File[UploadedFile], item: Form[str], township: Form[str], period: Form[str]):
    job = services.roster_import_submit(actor=request.user, content=file, file_name=file.name or "roster.csv",
                                        item_code=item, township_code=township, period=period)
    return Status(202, job)


@router.get("/rosters/imports/{job_id}", response=ImportOut, summary="An import's state, progress and problems")
def import_detail(request, job_id: int):
    return selectors.import_job_get(actor=request.user, job_id=job_id)


@router.get("/rosters/imports/{job_id}/report", summary="The error report (XLSX) of a rejected import")
def import_report(request, job_id: int):
    job = selectors.import_job_get(actor=request.user, job_id=job_id)
    if not job.report:
        raise NotFound(_("This import has no error report."))
    return FileResponse(io.BytesIO(services.import_report_bytes(job)), as_attachment=True,
                        filename=reports.report_file_name(job.file_name))


@router.get("/rosters", response=list[RosterOut], summary="Rosters in your jurisdiction")
@paginate
def roster_list(request, item: str | None = None, period: str | None = None):
    return selectors.roster_list(actor=request.user, item=item, period=period)


@router.get("/rosters/{roster_id}", response=RosterDetailOut, summary="A roster with its totals by village")
def roster_detail(request, roster_id: int):
    roster = selectors.roster_get(actor=request.user, roster_id=roster_id)
    roster.villages = [
        {"village": row["village_id"], "village_name": row["village__name"], "lines": row["lines"],
         "total_yuan": fen_to_yuan(row["total_fen"])}
        for row in selectors.roster_village_totals(roster=roster)
    ]
    return roster


class LineFilter(Schema):
    village: str | None = Field(None, pattern=r"^[0-9]{12}$")


@router.get("/rosters/{roster_id}/lines", response=list[LineOut], summary="A roster's lines, masked")
@paginate
def roster_lines(request, roster_id: int, filters: Query[LineFilter]):
    roster = selectors.roster_get(actor=request.user, roster_id=roster_id)
    return selectors.roster_lines(roster=roster, village=filters.village)


class ActionIn(Schema):
    action: str = Field(..., pattern="^(start_publicity|township_approve|department_approve|finance_approve|reject)$")
    reason: str = Field("", max_length=500)
    notice_posted_on: date | None = Field(None, description="start_publicity: the day the village notice went up; "
                                         "recorded as information, the window runs from publication")
    publicity_start: date | None = Field(None, description="deprecated: the old name of notice_posted_on")


class ApprovalOut(Schema):
    action: str
    from_status: str
    to_status: str
    actor: str | None = None
    reason: str
    at: datetime

    @staticmethod
    def resolve_actor(approval) -> str | None:
        return str(approval.actor) if approval.actor_id else None


class HeldLineOut(Schema):
    """One reason a line is held before payment (事前拦截); a line held by two alerts appears twice, and one
    whose alert was dismissed since appears once with no alert (it goes out with the next bank file)."""

    row: int
    payment_reference: str
    amount_yuan: str
    alert_id: int | None
    rule: str
    rule_name: str
    summary: str
    alert_url: str | None


class ShortfallOut(Schema):
    month: str
    gap_yuan: str


class TreasuryOutlookOut(Schema):
    """The county's treasury beside the finance step: a warning when paying the roster out of the latest closing
    balance would leave the coverage level below the warning threshold (approval is never blocked)."""

    county: str
    county_name: str
    day: date
    band: str
    level: str | None
    days_of_cover: str | None
    closing_yuan: str
    avg_monthly_outflow_yuan: str
    roster_total_yuan: str
    level_after: str | None
    band_after: str
    warning_below: str
    warns: bool
    shortfalls: list[ShortfallOut]


def _text(value) -> str | None:
    return None if value is None else str(value)


def treasury_outlook_out(roster) -> dict | None:
    outlook = approval_outlook(roster)
    if outlook is None:
        return None
    return {"county": outlook.region_code, "county_name": outlook.region_name, "day": outlook.day,
            "band": outlook.band, "level": _text(outlook.level), "days_of_cover": _text(outlook.days_of_cover),
            "closing_yuan": fen_to_yuan(outlook.closing_fen),
            "avg_monthly_outflow_yuan": fen_to_yuan(outlook.avg_monthly_outflow_fen),
            "roster_total_yuan": fen_to_yuan(outlook.roster_total_fen), "level_after": _text(outlook.level_after),
            "band_after": outlook.band_after, "warning_below": str(outlook.warning_below), "warns": outlook.warns,
            "shortfalls": [{"month": row.label, "gap_yuan": fen_to_yuan(row.gap_fen)}
                           for row in outlook.forecast.shortfalls]}


class WorkflowOut(RosterOut):
    publicity_started_at: datetime | None = Field(None, description="when the roster was published (system clock)")
    publicity_end: date | None = Field(None, description="the last full day of publicity; township approval from "
                                                         "the next day on")
    notice_posted_on: date | None
    publicity_start: date | None = Field(None, description="deprecated: the local date of publicity_started_at")
    rejected_reason: str
    next_actions: list[str]
    history: list[ApprovalOut]
    held_lines: list[HeldLineOut]
    treasury_outlook: TreasuryOutlookOut | None = Field(
        None, description="at the finance step and in the finance approval's answer: the county's treasury")


def held_lines_flat(*, roster_id: int) -> list[dict]:
    rows = []
    for held in roster_held_lines(roster_id=roster_id):
        base = {"row": held["row"], "payment_reference": held["reference"],
                "amount_yuan": fen_to_yuan(held["amount_fen"])}
        for alert in held["alerts"] or [None]:
            rows.append({**base, "alert_id": alert and alert["alert_id"], "rule": alert["rule"] if alert else "",
                         "rule_name": alert["rule_name"] if alert else "", "summary": alert["summary"] if alert else "",
                         "alert_url": f"/alerts/{alert['alert_id']}/" if alert else None})
    return rows

    @staticmethod
    def resolve_publicity_start(roster) -> date | None:
        return timezone.localdate(roster.publicity_started_at) if roster.publicity_started_at else None


def _workflow_out(request, roster, *, approved_now: bool = False):
    roster.next_actions = workflow.roster_next_actions(actor=request.user, roster=roster)
    finance_step = approved_now or "finance_approve" in roster.next_actions
    roster.treasury_outlook = treasury_outlook_out(roster) if finance_step else None
    roster.history = list(roster.approvals.select_related("actor"))
    roster.held_lines = held_lines_flat(roster_id=roster.pk)
    return roster


@router.post("/rosters/{roster_id}/actions", response=WorkflowOut,
             summary="Move a roster along: publicity, approvals, or back to the clerk with a reason")
def roster_action(request, roster_id: int, payload: ActionIn):
    roster = workflow.roster_act(actor=request.user, roster_id=roster_id, action=payload.action,
                                 reason=payload.reason,
                                 notice_posted_on=payload.notice_posted_on or payload.publicity_start)
    return _workflow_out(request, selectors.roster_get(actor=request.user, roster_id=roster.pk),
                         approved_now=payload.action == "finance_approve")


@router.get("/rosters/{roster_id}/workflow", response=WorkflowOut, summary="A roster's workflow state and history")
def roster_workflow(request, roster_id: int):
    return _workflow_out(request, selectors.roster_get(actor=request.user, roster_id=roster_id))
