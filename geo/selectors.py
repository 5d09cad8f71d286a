from django.db.models import QuerySet

from geo import codes
from geo.models import Region


def region_get(*, code: str) -> Region:
    return Region.objects.get(code=code)


def region_path(*, region: Region) -> list[Region]:
    """The region's ancestors from the province down, ending with the region itself (one query)."""
    return list(Region.objects.filter(code__in=codes.ancestor_codes(region.code)).order_by("code"))


def region_children(*, code: str) -> QuerySet[Region]:
    return Region.objects.filter(parent_id=code).order_by("code")


def region_search(*, query: str = "", level: str | None = None, within: str | None = None) -> QuerySet[Region]:
    regions = Region.objects.all()
    if query:
        regions = regions.filter(name__contains=query.strip())
    if level:
        regions = regions.filter(level=level)
    if within:
        regions = regions.within(within)
    return regions.order_by("code")


def province_code() -> str | None:
    """The root of the tree: where a picker over the whole province starts."""
    return Region.objects.filter(parent__isnull=True).values_list("code", flat=True).order_by("code").first()
