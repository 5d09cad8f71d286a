from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from disbursement.accounts.models import User
from disbursement.accounts.scoping import scoped, scoped_get
from disbursement.errors import NotFound
from geo import codes


def user_list(*, actor: User, role: str | None = None, region: str | None = None, query: str = "") -> QuerySet[User]:
    users = scoped(User.objects.select_related("region"), actor, "region")
    if role:
        users = users.filter(role=role)
    if region:
        low, high = codes.subtree_bounds(region)
        users = users.filter(region__gte=low, region__lte=high)
    if query:
        users = users.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
    return users.order_by("region_id", "username")


def user_get(*, actor: User, user_id: int) -> User:
    try:
        return scoped_get(User.objects.select_related("region"), actor, "region", pk=user_id)
    except NotFound:
        raise NotFound(_("User not found.")) from None
