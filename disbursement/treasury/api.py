from ninja import File, Router, Schema, Status
from ninja.files import UploadedFile

from disbursement.treasury import services

router = Router(tags=["treasury"])


class StatementErrorOut(Schema):
    row: int | None
    field: str | None
    code: str
    message: str


class StatementImportOut(Schema):
    status: str
    code: str
    rows: int
    errors: list[StatementErrorOut]
    error_count: int
    message: str
    inserted: int
    replaced: int
    unchanged: int


@router.post("/treasury/statements", response={200: StatementImportOut, 422: StatementImportOut},
             summary="Import daily treasury statements (CSV or XLSX): accepted whole (200) or rejected whole (422)")
def treasury_statements_import(request, file: File[UploadedFile]):
    result = services.statements_import(actor=request.user, content=file.read(),
                                        file_name=file.name or "statements.csv")
    return Status(200 if result.status == "accepted" else 422, result.as_json())
