from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.files import UploadedFile
from ninja.pagination import paginate

from disbursement.errors import NotFound
from disbursement.money import fen_to_yuan
from disbursement.pii import mask_name
from disbursement.registry import selectors, services, side_imports
from disbursement.registry.side_specs import SPECS
from disbursement.rosters.api import ImportErrorOut, ProgressOut
from disbursement.rosters.services import import_progress_get

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
class RegisterImportOut(Schema):
    id: int
    kind: str
    status: str
    scope: str = Field(..., alias="region_id", description="the region the file covers")
    file_name: str
    rows: int = Field(..., alias="rows_total")
    error_count: int
    errors: list[ImportErrorOut] = Field(..., description="the first 1,000 problems; the report has all")
    message: str
    report_url: str | None = None
    progress: ProgressOut

    @staticmethod
    def resolve_report_url(job) -> str | None:
        return f"/api/v1/rosters/imports/{job.pk}/report" if job.report else None

    @staticmethod
    def resolve_progress(job) -> dict:
        return import_progress_get(job)


class SideRecordPage(Schema):
    items: list[dict]
    count: int


@router.post("/registers/imports", response={202: RegisterImportOut},
             summary="Upload a side register (CSV or XLSX) for a county, a city or the province")
def register_import_create(request, file: File[UploadedFile], kind: Form[str], scope: Form[str]):
    job = side_imports.register_import_submit(actor=request.user, kind=kind, scope_code=scope, content=file,
                                              file_name=file.name or f"{kind}.csv")
    return Status(202, job)


@router.get("/registers/imports/{job_id}", response=RegisterImportOut,
            summary="A side-register import's state, progress and problems")
def register_import_detail(request, job_id: int):
    return selectors.register_import_get(actor=request.user, job_id=job_id)


class PageIn(Schema):
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0)


@router.get("/registers/{kind}", response=SideRecordPage,
            summary="A side register's rows in your jurisdiction (names and ID numbers masked)")
def side_record_list(request, kind: str, page: Query[PageIn]):
    records = selectors.side_records(actor=request.user, kind=kind)
    spec = SPECS[kind]
    return {"count": records.count(),
            "items": [_side_record_out(record, spec) for record in records[page.offset:page.offset + page.limit]]}


def _side_record_out(record, spec) -> dict:
    """One register row in the file's own columns and units; name and ID number masked."""
    out = {"id": record.pk, "name": mask_name(record.name), "id_number": record.id_masked,
           "scope": record.scope_id, "imported_at": record.imported_at.isoformat()}
    for column in spec.columns:
        if column.kind == "id" or column.name == "name":
            continue
        value = getattr(record, column.target or column.name)
        if column.kind == "area":
            whole, part = divmod(int(value), 1000)
            value = f"{whole}.{part:03d}".rstrip("0").rstrip(".")
        elif column.kind == "yuan":
            value = fen_to_yuan(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[column.name] = value
    return out
