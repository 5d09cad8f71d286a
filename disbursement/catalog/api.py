from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from disbursement.catalog import selectors
from disbursement.catalog.models import Department, Frequency, Unit
from disbursement.money import fen_to_yuan

router = Router(tags=["catalog"])


class CategoryOut(Schema):
    code: str
    name: str
    name_en: str
    basic_livelihood: bool  # 三保: counted first in the treasury forecast


class FundingOut(Schema):
    central: int
    provincial: int
    city: int
    county: int


class ItemOut(Schema):
    code: str
    name: str
    name_en: str
    category: CategoryOut
    department: Department
    unit: Unit
    standard_yuan: str | None = Field(None, description="per unit per payment, yuan with two decimals")
    standard_rule: str
    frequency: Frequency
    funding_percent: FundingOut
    publicity_days: int
    eligibility: list[dict]
    is_active: bool
    catalog_version: str

    @staticmethod
    def resolve_standard_yuan(item) -> str | None:
        return None if item.standard_fen is None else fen_to_yuan(item.standard_fen)

    @staticmethod
    def resolve_funding_percent(item) -> dict:
        return {
            "central": item.share_central,
            "provincial": item.share_provincial,
            "city": item.share_city,
            "county": item.share_county,
        }


class ItemFilter(Schema):
    category: str | None = Field(None, pattern=r"^[0-9]{2}$")
    department: Department | None = None
    unit: Unit | None = None
    frequency: Frequency | None = None
    q: str = Field("", max_length=50, description="part of the name, or a code prefix")
    active: bool | None = True


@router.get("/categories", response=list[CategoryOut], auth=None, summary="The subsidy categories")
def category_list(request):
    return list(selectors.category_list())


@router.get("/items", response=list[ItemOut], auth=None, summary="Subsidy items, filtered")
@paginate
def item_list(request, filters: Query[ItemFilter]):
    return selectors.item_list(
        category=filters.category,
        department=filters.department,
        unit=filters.unit,
        frequency=filters.frequency,
        query=filters.q,
        active=filters.active,
    )


@router.get("/items/{code}", response=ItemOut, auth=None, summary="One subsidy item")
def item_detail(request, code: str):
    return selectors.item_get(code=code)
