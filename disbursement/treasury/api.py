import datetime

from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, Status
from ninja.files import UploadedFile

from disbursement.errors import ValidationFailed
from disbursement.money import fen_to_yuan, yuan_to_fen
from disbursement.treasury import services
from disbursement.treasury.transfers import scheduled_transfer_add

router = Router(tags=["treasury"])


class StatementErrorOut(Schema):
    row: int | None
    field: str | None
    code: str
    message: str


class StatementImportOut(Schema):
    status: str
    rows: int
    errors: list[StatementErrorOut]
    error_count: int
    message: str
    inserted: int
    replaced: int
    unchanged: int


@router.post("/treasury/statements", response={200: StatementImportOut, 422: StatementImportOut},
             summary="Import daily treasury statements (CSV or XLSX): accepted whole (200) or rejected whole (422)")
def treasury_statements_import(request, file: File[UploadedFile]):
    result = services.statements_import(actor=request.user, content=file.read(),
                                        file_name=file.name or "statements.csv")
    return Status(200 if result.status == "accepted" else 422, result.as_json())


class TransferIn(Schema):
    region: str = Field(..., pattern=r"^[0-9]{12}$", description="the county's 12-digit code")
    month: str = Field(..., pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
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
