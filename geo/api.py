from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from geo import selectors
from geo.models import Region, RegionLevel

router = Router(tags=["regions"])

CODE_PATTERN = r"^[0-9]{12}$"


class RegionOut(Schema):
    code: str
    name: str
    level: RegionLevel
    parent_code: str | None = Field(None, alias="parent_id")
    is_statistical: bool


class RegionDetailOut(RegionOut):
    path: list[RegionOut]
    children_count: int


class RegionFilter(Schema):
    q: str = Field("", max_length=50, description="part of the name")
    level: RegionLevel | None = None
    within: str | None = Field(None, pattern=CODE_PATTERN, description="code of an ancestor")


@router.get("/regions", response=list[RegionOut], auth=None, summary="Search regions by name")
@paginate
def region_search(request, filters: Query[RegionFilter]):
    return selectors.region_search(query=filters.q, level=filters.level, within=filters.within)


@router.get("/regions/{code}", response=RegionDetailOut, auth=None, summary="One region with its path to the root")
def region_detail(request, code: str):
    region = get_object_or_404(Region, code=code)
    region.path = selectors.region_path(region=region)
    region.children_count = selectors.region_children(code=region.code).count()
    return region


@router.get("/regions/{code}/children", response=list[RegionOut], auth=None, summary="The children of a region")
def region_children(request, code: str):
    get_object_or_404(Region, code=code)
    return list(selectors.region_children(code=code))
