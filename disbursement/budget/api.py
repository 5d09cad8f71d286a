from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from disbursement.budget import selectors, services
from disbursement.budget.models import FundingLevel
from disbursement.errors import ValidationFailed
from disbursement.money import fen_to_yuan, yuan_to_fen

router = Router(tags=["budget"])


class IndicatorOut(Schema):
    id: int
    document_number: str
    item: str = Field(..., alias="item_id")
    item_name: str = Field(..., alias="item.name")
    county: str = Field(..., alias="county_id")
    county_name: str = Field(..., alias="county.name")
    fiscal_year: int
    funding_level: str
    issued_yuan: str
    available_yuan: str
    reserved_yuan: str
    paid_yuan: str
    returned_yuan: str

    @staticmethod
    def resolve_issued_yuan(obj) -> str:
        return fen_to_yuan(obj.issued_fen)

    @staticmethod
    def resolve_available_yuan(obj) -> str:
        return fen_to_yuan(obj.available_fen)

    @staticmethod
    def resolve_reserved_yuan(obj) -> str:
        return fen_to_yuan(obj.reserved_fen)

    @staticmethod
    def resolve_paid_yuan(obj) -> str:
        return fen_to_yuan(obj.paid_fen)

    @staticmethod
    def resolve_returned_yuan(obj) -> str:
        return fen_to_yuan(obj.returned_fen)


class IndicatorIn(Schema):
    document_number: str = Field(..., min_length=3, max_length=80)
    item: str = Field(..., pattern=r"^[0-9]{4}$")
    county: str = Field(..., pattern=r"^[0-9]{12}$")
    fiscal_year: int = Field(..., ge=2000, le=2100)
    funding_level: FundingLevel
    amount_yuan: str = Field(..., description="decimal yuan, e.g. 1250000.00")


class AdjustmentIn(Schema):
    delta_yuan: str = Field(..., description="positive to raise, negative to lower")
    reason: str = Field(..., min_length=1, max_length=200)


def _fen(text: str, field: str) -> int:
    negative = text.strip().startswith("-")
    try:
        fen = yuan_to_fen(text.strip().lstrip("-"))
    except ValueError as exc:
        raise ValidationFailed(str(exc), field=field) from None
    return -fen if negative else fen


class IndicatorFilter(Schema):
    item: str | None = Field(None, pattern=r"^[0-9]{4}$")
    year: int | None = None


@router.get("/indicators", response=list[IndicatorOut], summary="Budget indicators with their balances")
@paginate
def indicator_list(request, filters: Query[IndicatorFilter]):
    return selectors.indicator_list(actor=request.user, item=filters.item, year=filters.year)


@router.post("/indicators", response={201: IndicatorOut}, summary="Issue a budget indicator")
def indicator_create(request, payload: IndicatorIn):
    indicator = services.indicator_issue(
        actor=request.user, document_number=payload.document_number, item_code=payload.item,
        county_code=payload.county, fiscal_year=payload.fiscal_year, funding_level=payload.funding_level,
        amount_fen=_fen(payload.amount_yuan, "amount_yuan"),
    )
    return Status(201, selectors.indicators_with_balances().select_related("item", "county").get(pk=indicator.pk))


@router.post("/indicators/{indicator_id}/adjustments", response=IndicatorOut, summary="Raise or lower an indicator")
def indicator_adjust(request, indicator_id: int, payload: AdjustmentIn):
    services.indicator_adjust(actor=request.user, indicator_id=indicator_id,
                              delta_fen=_fen(payload.delta_yuan, "delta_yuan"), reason=payload.reason)
    return selectors.indicators_with_balances().select_related("item", "county").get(pk=indicator_id)
