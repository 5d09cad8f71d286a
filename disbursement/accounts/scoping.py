"""Jurisdiction: a user reaches the rows whose region lies in the subtree of the user's own region.

Because region foreign keys hold the 12-digit code, the subtree test is a range on that column
(geo.codes.subtree_bounds); no join, and the same index serves every level.
"""

from django.db.models import Model, Q, QuerySet

from disbursement.errors import NotFound
from geo import codes


def jurisdiction_q(user, field: str) -> Q:
    """A filter keeping the rows whose `field` (a path to a region foreign key) is in the user's subtree."""
    if not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    if user.is_superuser:
        return Q()
    if not user.region_id:
        return Q(pk__in=[])
    low, high = codes.subtree_bounds(user.region_id)
    return Q(**{f"{field}__gte": low, f"{field}__lte": high})


def scoped(queryset: QuerySet, user, field: str) -> QuerySet:
    return queryset.filter(jurisdiction_q(user, field))


def in_jurisdiction(user, region_code: str | None) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not user.region_id or not region_code:
        return False
    return codes.is_within(region_code, user.region_id)


def scoped_get(queryset: QuerySet, user, field: str, **lookup) -> Model:
    """One row inside the user's jurisdiction; NotFound both when absent and when out of reach."""
    try:
        return scoped(queryset, user, field).get(**lookup)
    except queryset.model.DoesNotExist:
        raise NotFound(f"{queryset.model._meta.verbose_name} not found") from None
