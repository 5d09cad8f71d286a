from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from disbursement import pii
from disbursement.accounts.scoping import jurisdiction_q, scoped, scoped_get
from disbursement.errors import NotFound
from disbursement.registry.models import Person
from disbursement.rosters.models import ImportJob, ImportKind
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


def side_records(*, actor, kind: str) -> QuerySet:
    """A side register's rows the actor reaches: those of imports covering a region in his jurisdiction, and
    those whose village (or either end of a move) lies in it."""
    from disbursement.registry.side_specs import SPECS

    spec = SPECS.get(kind)
    if spec is None:
        raise NotFound(_("No side register %(kind)s.") % {"kind": kind})
    reach = jurisdiction_q(actor, "scope")
    for column in spec.columns:
        if column.kind in ("village", "region"):
            reach |= jurisdiction_q(actor, column.target.removesuffix("_id"))
    return spec.model.objects.filter(reach).order_by("id")


def side_record_counts(*, actor) -> dict[str, int]:
    from disbursement.registry.side_specs import SPECS

    return {kind: side_records(actor=actor, kind=kind).count() for kind in SPECS}


def register_import_list(*, actor) -> QuerySet[ImportJob]:
    return scoped(ImportJob.objects.exclude(kind=ImportKind.ROSTER).select_related("region", "uploaded_by"),
                  actor, "region")


def register_import_get(*, actor, job_id: int) -> ImportJob:
    job = register_import_list(actor=actor).filter(pk=job_id).first()
    if job is None:
        raise NotFound(_("Import not found."))
    return job


# --- The person page (issue 12) ---

# What a side register's row says of its person, beside the person's own columns (name, ID, scope, import).
_FACT_SKIP = {"id", "id_hash", "id_cipher", "id_masked", "name", "scope", "job", "imported_at"}


def _fact_value(record, field) -> str:
    from disbursement.money import fen_to_yuan_grouped

    value = getattr(record, field.name)
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(getattr(record, f"get_{field.name}_display")())
    if field.name.endswith("_fen"):
        return fen_to_yuan_grouped(value)
    if field.name.endswith("_milli_mu"):
        whole, part = divmod(int(value), 1000)
        return f"{whole}.{part:03d}".rstrip("0").rstrip(".")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "name") and hasattr(value, "code"):  # a region
        return value.name
    return str(value)


def person_register_facts(*, actor, person: Person) -> list[dict]:
    """The side registers' rows about one person (by the ID's blind index) that the actor reaches, per register:
    [{"kind", "label", "rows": [[(column label, value), …], …]}], registers without rows left out."""
    from disbursement.registry.side_specs import SPECS

    facts = []
    for kind, spec in SPECS.items():
        model = spec.model
        fields = [f for f in model._meta.concrete_fields if f.name not in _FACT_SKIP]
        records = side_records(actor=actor, kind=kind).filter(id_hash=person.id_hash)[:20]
        rows = [[(str(f.verbose_name), _fact_value(record, f)) for f in fields] for record in records]
        if rows:
            facts.append({"kind": kind, "label": str(model._meta.verbose_name_plural), "rows": rows})
    return facts


def household_members(*, actor, person: Person) -> QuerySet[Person]:
    """The other members of the person's household the actor reaches (none without a household)."""
    if person.household_id is None:
        return Person.objects.none()
    return scoped(Person.objects.filter(household_id=person.household_id).exclude(pk=person.pk)
                  .select_related("village"), actor, "village").order_by("id")
