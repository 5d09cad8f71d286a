from datetime import datetime

import pydantic
from django.http import HttpResponse
from ninja import Field, File, Query, Router, Schema
from ninja.errors import ValidationError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from disbursement.banking import services as banking
from disbursement.money import fen_to_yuan
from disbursement.payments import corrections, holds, selectors
from disbursement.pii import mask_name
from disbursement.registry.services import card_replace
from disbursement.rosters.selectors import roster_get

router = Router(tags=["payments"])


class BankFileOut(Schema):
    id: int
    file_id: str
    bank: str
    sequence: int
    records: int = Field(..., alias="record_count")
    total_yuan: str
    returned_at: datetime | None
    download_url: str

    @staticmethod
    def resolve_total_yuan(obj) -> str:
        return fen_to_yuan(obj.total_fen)

    @staticmethod
    def resolve_download_url(obj) -> str:
        return f"/api/v1/bank-files/{obj.pk}/download"


class PaymentOut(Schema):
    id: int
    reference: str
    roster: int = Field(..., alias="roster_id")
    payee: str
    card: str = Field(..., alias="card_masked")
    bank: str
    amount_yuan: str
    status: str
    result_code: str
    attempt: int

    @staticmethod
    def resolve_payee(obj) -> str:
        return mask_name(obj.payee_name)

    @staticmethod
    def resolve_amount_yuan(obj) -> str:
        return fen_to_yuan(obj.amount_fen)


class PaymentFilter(Schema):
    reference: str = Field("", max_length=32)
    status: str | None = None
    roster: int | None = None


class CardIn(Schema):
    card_number: str = Field(..., max_length=30)
    bank: str = Field("", max_length=60)


@router.post("/rosters/{roster_id}/bank-files", response=list[BankFileOut],
             summary="Generate the payment files of an approved roster (one per agent bank)")
def bank_files_create(request, roster_id: int):
    banking.bank_files_generate(actor=request.user, roster_id=roster_id)
    return list(roster_get(actor=request.user, roster_id=roster_id).bank_files.order_by("id"))


@router.get("/rosters/{roster_id}/bank-files", response=list[BankFileOut], summary="A roster's bank files")
def bank_files_list(request, roster_id: int):
    return list(roster_get(actor=request.user, roster_id=roster_id).bank_files.order_by("id"))


@router.get("/bank-files/{bank_file_id}/download", summary="The payment file (county finance; audited)")
def bank_file_download(request, bank_file_id: int):
    bank_file = banking.bank_file_download(actor=request.user, bank_file_id=bank_file_id)
    response = HttpResponse(bank_file.payment_file_bytes(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{bank_file.file_id}.csv"'
    return response


@router.post("/bank-files/returns", response=BankFileOut, summary="Import a bank return file (idempotent)")
def bank_return_create(request, file: File[UploadedFile]):
    return banking.return_file_import(actor=request.user, data=file.read())


@router.get("/payments", response=list[PaymentOut], summary="Payments in your jurisdiction (masked)")
@paginate
def payment_list(request, filters: Query[PaymentFilter]):
    return selectors.payment_search(actor=request.user, reference=filters.reference, status=filters.status,
                                    roster_id=filters.roster)


@router.get("/payments/{reference}/trace", summary="A payment traced from its indicator to the card")
def payment_trace(request, reference: str):
    return selectors.payment_trace(actor=request.user, reference=reference)


def _corrected_card(request) -> CardIn | None:
    """The re-issue's optional body. Declared by hand: django-ninja has no optional JSON body, and no body, `{}`
    or a form post without fields must stay the plain one-click re-issue."""
    if request.content_type != "application/json" or request.body.strip() in (b"", b"{}", b"null"):
        return None
    try:
        return CardIn.model_validate_json(request.body)
    except pydantic.ValidationError as exc:
        raise ValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_input=False)]) from None


@router.post("/payments/{payment_id}/reissue", response=PaymentOut,
             summary="Re-issue a failed payment; with a body, register the corrected card first (one transaction)",
             description="Without a body the re-issue goes to the payee's active card. Failures about the card "
                         "itself (R01, R04, R06) answer 409 unless the active card is another one: send "
                         "`{card_number, bank}` to register the corrected card and re-issue to it in one step.",
             openapi_extra={"requestBody": {"required": False, "content": {
                 "application/json": {"schema": CardIn.model_json_schema()}}}})
def payment_reissue(request, payment_id: int):
    card = _corrected_card(request)
    if card is None:
        return corrections.payment_reissue(actor=request.user, payment_id=payment_id)
    return corrections.payment_reissue_to_card(actor=request.user, payment_id=payment_id,
                                               card_number=card.card_number, bank=card.bank)


@router.post("/payments/{payment_id}/return", response=PaymentOut,
             summary="Return a failed payment's money to its indicator")
def payment_return(request, payment_id: int):
    return corrections.payment_return(actor=request.user, payment_id=payment_id)


class StoppedRowOut(Schema):
    county: str
    county_name: str
    rule: str
    rule_name: str
    lines: int
    amount_yuan: str


class StoppedCountyOut(Schema):
    county: str
    county_name: str
    lines: int
    amount_yuan: str


class StoppedOut(Schema):
    lines: int
    amount_yuan: str
    rows: list[StoppedRowOut]
    counties: list[StoppedCountyOut]


@router.get("/risk/stopped", response=StoppedOut,
            summary="Stopped before payment: lines held by a risk alert and their amounts, per county and rule")
def stopped_report(request):
    report = selectors.payments_stopped(actor=request.user)

    def yuan(row: dict) -> dict:
        return {**row, "amount_yuan": fen_to_yuan(row["amount_fen"])}

    return {"lines": report["lines"], "amount_yuan": fen_to_yuan(report["amount_fen"]),
            "rows": [yuan(r) for r in report["rows"]], "counties": [yuan(c) for c in report["counties"]]}


class VoidIn(Schema):
    reason: str = Field(..., min_length=1, max_length=500)


@router.post("/payments/{payment_id}/void", response=PaymentOut,
             summary="Void a line held by a risk alert: its payment is cancelled and its money released")
def payment_hold_void(request, payment_id: int, payload: VoidIn):
    return holds.payment_hold_void(actor=request.user, payment_id=payment_id, reason=payload.reason)


@router.post("/registry/persons/{person_id}/cards", summary="Register a person's new card (closes the old one)")
def person_card_create(request, person_id: int, payload: CardIn):
    card = card_replace(actor=request.user, person_id=person_id, card_number=payload.card_number, bank=payload.bank)
    return {"card": card.number_masked, "bank": card.bank, "status": card.status}
