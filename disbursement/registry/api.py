from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from disbursement.errors import NotFound
from disbursement.pii import mask_name
from disbursement.registry import selectors, services

router = Router(tags=["register"])


class PersonOut(Schema):
    id: int
    name: str
    id_number: str = Field(..., alias="id_masked")
    sex: str
    birth_year: int
    village: str = Field(..., alias="village_id")
    village_name: str = Field(..., alias="village.name")
    group: str
    phone: str = Field(..., alias="phone_masked")
    deceased: bool

    @staticmethod
    def resolve_name(person) -> str:
        return mask_name(person.name)

    @staticmethod
    def resolve_birth_year(person) -> int:
        return person.birth_date.year

    @staticmethod
    def resolve_deceased(person) -> bool:
        return person.deceased_on is not None


class PersonFilter(Schema):
    q: str = Field("", max_length=20, description="part of the name")
    village: str | None = Field(None, pattern=r"^[0-9]{12}$")


class IdLookupIn(Schema):
    id_number: str = Field(..., min_length=15, max_length=20)


class RevealIn(Schema):
    field: str = Field(..., pattern="^(id_number|card_number|phone)$")


class RenameIn(Schema):
    name: str = Field(..., max_length=100, description="the corrected name, as on the ID card or passport")
    reason: str = Field(..., max_length=services.RENAME_REASON_MAX_LENGTH)


class RevealOut(Schema):
    field: str
    value: str


@router.get("/registry/persons", response=list[PersonOut], summary="Search the register (masked)")
@paginate
def person_list(request, filters: Query[PersonFilter]):
    return selectors.person_search(actor=request.user, query=filters.q, village=filters.village)


@router.post("/registry/persons/lookup", response=PersonOut,
             summary="Find a person by whole ID number (sent in the body, never in the URL)")
def person_lookup(request, payload: IdLookupIn):
    person = selectors.person_by_id_number(actor=request.user, id_number=payload.id_number)
    if person is None:
        raise NotFound(_("No person with this ID number in your jurisdiction."))
    return person


@router.post("/registry/persons/{person_id}/reveal", response=RevealOut,
             summary="The whole value of a personal number (clerks and county finance; audited)")
def person_reveal(request, person_id: int, payload: RevealIn):
    value = services.person_reveal(actor=request.user, person_id=person_id, field=payload.field)
    return {"field": payload.field, "value": value}


@router.patch("/registry/persons/{person_id}", response=PersonOut,
              summary="Correct a person's name in the register (township clerk; audited)")
def person_rename(request, person_id: int, payload: RenameIn):
    return services.person_rename(actor=request.user, person_id=person_id, name=payload.name, reason=payload.reason)
