"""Filters of the staff lists (rosters, payments, failed payments, complaints), read from a query string.

Each cleaner returns the value or None for "not filtered", and raises ValidationFailed naming the field and why,
so a page answers a bad link with a message (400), never a 500 or silently unfiltered rows.
"""

import re
from datetime import date

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disbursement.accounts.scoping import in_jurisdiction
from disbursement.catalog.models import Item
from disbursement.errors import ValidationFailed
from geo import codes
from geo.models import Region, RegionLevel

PERIOD_RE = re.compile(r"^(\d{4})(H[12]|Q[1-4]|-(0[1-9]|1[0-2]))?$")

# The filters' names as the form labels them, so a message names the field in the page's language.
LABELS = {
    "status": gettext_lazy("Status"), "reason": gettext_lazy("Bank result"), "item": gettext_lazy("Item"),
    "period": gettext_lazy("Period"), "village": gettext_lazy("Village"), "bank": gettext_lazy("Bank"),
    "region": gettext_lazy("Region"), "year": gettext_lazy("Year"), "township": gettext_lazy("Township"),
    "roster": gettext_lazy("Roster"), "kind": gettext_lazy("Kind"), "reference": gettext_lazy("Payment reference"),
    "since": gettext_lazy("Received from"), "until": gettext_lazy("Received until"),
}


def _label(name: str) -> str:
    return str(LABELS.get(name, name))


def param(params, name: str, max_length: int = 60) -> str | None:
    value = (params.get(name) or "").strip()
    if len(value) > max_length:
        raise ValidationFailed(_("%(field)s: too long.") % {"field": _label(name)}, field=name)
    return value or None


def choice_clean(params, name: str, allowed) -> str | None:
    value = param(params, name, 30)
    if value is not None and value not in allowed:
        raise ValidationFailed(_("%(field)s: unknown value %(value)s.")
                               % {"field": _label(name), "value": repr(value)}, field=name)
    return value


def period_clean(params, name: str = "period") -> str | None:
    value = param(params, name, 7)
    if value is not None and not PERIOD_RE.match(value):
        raise ValidationFailed(_("%(field)s: write a period like 2026, 2026H2, 2026Q4 or 2026-11.")
                               % {"field": _label(name)}, field=name)
    return value


def year_clean(params, name: str = "year") -> int | None:
    value = param(params, name, 4)
    if value is None:
        return None
    if not value.isdigit() or not 2000 <= int(value) <= 2100:
        raise ValidationFailed(_("%(field)s: a year between 2000 and 2100.") % {"field": _label(name)}, field=name)
    return int(value)


def date_clean(params, name: str) -> date | None:
    value = param(params, name, 10)
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationFailed(_("%(field)s: a date like 2026-11-30.") % {"field": _label(name)}, field=name) from None


def int_clean(params, name: str) -> int | None:
    value = param(params, name, 12)
    if value is not None and not value.isdigit():
        raise ValidationFailed(_("%(field)s: a whole number.") % {"field": _label(name)}, field=name)
    return int(value) if value is not None else None


def item_clean(params, name: str = "item") -> str | None:
    value = param(params, name, 8)
    if value is not None and not Item.objects.filter(pk=value).exists():
        raise ValidationFailed(_("%(field)s: no subsidy item has the code %(value)s.")
                               % {"field": _label(name), "value": repr(value)}, field=name)
    return value


def region_clean(actor, params, name: str = "region", level: str | None = None) -> str | None:
    """A 12-digit region code inside the actor's subtree (optionally of one level)."""
    value = param(params, name, 12)
    if value is None:
        return None
    try:
        found = codes.region_level(value)
    except ValueError:
        raise ValidationFailed(_("%(field)s: a region code has 12 digits.") % {"field": _label(name)},
                               field=name) from None
    if level and found != level:
        raise ValidationFailed(_("%(field)s: %(value)s is not a %(level)s code.")
                               % {"field": _label(name), "value": value, "level": RegionLevel(level).label}, field=name)
    if not in_jurisdiction(actor, value):
        raise ValidationFailed(_("%(field)s: %(value)s is outside your jurisdiction.")
                               % {"field": _label(name), "value": value}, field=name)
    return value


def actor_root(actor) -> str | None:
    """Where the actor's region picker starts: their own region; the province for a superuser without one."""
    if actor.region_id:
        return actor.region_id
    if actor.is_superuser:
        return Region.objects.filter(parent__isnull=True).values_list("code", flat=True).first()
    return None


def region_options(*, actor, code: str | None, lowest: str = "village") -> list[tuple[str, str]]:
    """The drill-down region select: the path from the actor's region down to `code`, then `code`'s children
    (none below `lowest`). The first option (value "") is the actor's whole region."""
    root = actor_root(actor)
    if root is None:
        return []
    current = code or root
    path = [c for c in codes.ancestor_codes(current) if codes.is_within(c, root)]
    names = dict(Region.objects.filter(code__in=path).values_list("code", "name"))
    options = [("" if c == root else c, "\u3000" * depth + names.get(c, c)) for depth, c in enumerate(path)]
    if codes.LEVELS.index(codes.region_level(current)) < codes.LEVELS.index(lowest):
        depth = len(path)
        options += [(c, "\u3000" * depth + n) for c, n in
                    Region.objects.filter(parent_id=current).order_by("code").values_list("code", "name")]
    return options


def item_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The card-paid items by category, for an item filter's <optgroup>s."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, category in (Item.objects.filter(card_paid=True).order_by("category_id", "code")
                                 .values_list("code", "name", "category__name")):
        groups.setdefault(category, []).append((code, name))
    return list(groups.items())


def list_query(request) -> str:
    """The list's query string without page and export: what its export link carries."""
    query = request.GET.copy()
    for name in ("page", "export"):
        query.pop(name, None)
    return query.urlencode()
