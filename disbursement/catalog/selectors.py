from django.db.models import Q, QuerySet

from disbursement.catalog.models import Category, Item, Standard
from geo.models import Region


def category_list() -> QuerySet[Category]:
    return Category.objects.order_by("code")


def item_list(
    *,
    category: str | None = None,
    department: str | None = None,
    unit: str | None = None,
    frequency: str | None = None,
    query: str = "",
    active: bool | None = True,
) -> QuerySet[Item]:
    items = Item.objects.select_related("category")
    if category:
        items = items.filter(category_id=category)
    if department:
        items = items.filter(department=department)
    if unit:
        items = items.filter(unit=unit)
    if frequency:
        items = items.filter(frequency=frequency)
    if active is not None:
        items = items.filter(is_active=active)
    if query:
        items = items.filter(Q(name__contains=query) | Q(name_en__icontains=query) | Q(code__startswith=query))
    return items.order_by("code")


def item_get(*, code: str) -> Item:
    return Item.objects.select_related("category").get(code=code)


def region_get(*, code: str) -> Region:
    return Region.objects.get(code=code)


def item_standards(*, code: str) -> QuerySet[Standard]:
    """Every standard of the item, by region code (province first) and date: the item page's table."""
    return Standard.objects.filter(item_id=code).select_related("region", "item", "created_by").order_by(
        "region_id", "band", "valid_from")
