from django.db.models import Q, QuerySet

from disbursement import pii
from disbursement.accounts.scoping import scoped, scoped_get
from disbursement.registry.models import Person
from geo import codes


def person_search(*, actor, query: str = "", village: str | None = None) -> QuerySet[Person]:
    """Persons of the actor's jurisdiction by part of the name and/or village subtree."""
    persons = scoped(Person.objects.select_related("village"), actor, "village")
    if village:
        low, high = codes.subtree_bounds(village)
        persons = persons.filter(village__gte=low, village__lte=high)
    if query:
        persons = persons.filter(Q(name__contains=query.strip()))
    return persons.order_by("village_id", "name", "id")


def person_by_id_number(*, actor, id_number: str) -> Person | None:
    """Exact lookup through the blind index; None when unknown or outside the jurisdiction."""
    normalised = id_number.strip().upper()
    return scoped(Person.objects.select_related("village"), actor, "village").filter(
        id_hash=pii.blind_index(normalised)).first()


def person_get(*, actor, person_id: int) -> Person:
    return scoped_get(Person.objects.select_related("village", "household"), actor, "village", pk=person_id)
