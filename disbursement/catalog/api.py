from datetime import date

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from disbursement.catalog import selectors
from disbursement.catalog.models import Department, Frequency, Unit
from disbursement.catalog.standards import standard_label, standards_in_force
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
    card_paid: bool = Field(description="false: paid to an insurer, school, hospital or bank; takes no rosters")
    scope_reason: str
    source: str = Field(description="public source of the figure, or 'representative'")
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


class StandardOut(Schema):
    region_code: str
    region_name: str
    region_level: str
    valid_from: date
    valid_to: date | None = Field(None, description="inclusive; null while in force")
    amount_yuan: str = Field(description="per unit per payment, yuan with two decimals")
    band: str = Field(description="'' for everyone, age:80-89, age:100+ or grade:1")
    document: str
    applies: bool = Field(description="true for the most specific region's rows: the ones a roster is checked against")
    label: str


class StandardQuery(Schema):
    region: str = Field("430000000000", pattern=r"^[0-9]{12}$", description="12-digit region code (default Hunan)")
    on: date | None = Field(None, description="the date (default today, Asia/Shanghai)")


@router.get("/items/{code}/standards", response=list[StandardOut], auth=None,
            summary="The standards of an item in force in a region on a date, most specific region first")
def item_standards(request, code: str, query: Query[StandardQuery]):
    """Public reference data, like the rest of the catalog: standards are published policy."""
    item = selectors.item_get(code=code)
    region = selectors.region_get(code=query.region)
    rows = standards_in_force(item, region.code, query.on or timezone.localdate())
    return [{"region_code": s.region_id, "region_name": s.region.name, "region_level": s.region.level,
             "valid_from": s.valid_from, "valid_to": s.valid_to, "amount_yuan": fen_to_yuan(s.amount_fen),
             "band": s.band, "document": s.document, "applies": s.region_id == rows[0].region_id,
             "label": standard_label(s)} for s in rows]
