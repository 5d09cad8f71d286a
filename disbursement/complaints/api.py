from datetime import date, datetime

from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from disbursement.complaints import selectors, services

router = Router(tags=["complaints"])


class ComplaintIn(Schema):
    kind: str = Field(..., max_length=10, description="complaint (投诉举报) or objection (公示异议)")
    subject: str = Field(..., max_length=2000)
    region_code: str | None = Field(None, max_length=12)
    payment_reference: str | None = Field(None, max_length=32)
    roster_id: int | None = None
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=20)


class ComplaintCreatedOut(Schema):
    tracking_number: str


class TrackIn(Schema):
    tracking_number: str = Field(..., max_length=20)


class TrackOut(Schema):
    kind: str
    status: str
    created_on: date
    answer: str | None


class ComplaintOut(Schema):
    id: int
    kind: str
    status: str
    subject: str
    contact_name: str
    contact_phone: str = Field(..., alias="contact_phone_masked")
    region_code: str = Field(..., alias="region_id")
    region_name: str = Field(..., alias="region.name")
    payment_reference: str | None
    roster: int | None = Field(..., alias="roster_id")
    answer: str
    answered_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_payment_reference(obj) -> str | None:
        return obj.payment.reference if obj.payment_id else None


class AnswerIn(Schema):
    answer: str = Field(..., max_length=4000)


@router.post("/public/complaints", auth=None, response={201: ComplaintCreatedOut},
             summary="Submit a complaint or a publicity objection (public)")
def complaint_create(request, payload: ComplaintIn):
    complaint = services.complaint_submit(**payload.dict())
    return Status(201, complaint)


# POST, not GET: the tracking number is the resident's key to the case, kept out of URLs and access logs.
@router.post("/public/complaints/track", auth=None, response=TrackOut, summary="Follow a complaint (public)")
def complaint_track(request, payload: TrackIn):
    return selectors.complaint_track(tracking_number=payload.tracking_number)


@router.get("/complaints", response=list[ComplaintOut], summary="Complaints in your jurisdiction")
@paginate
def complaint_list(request, status: str | None = None):
    return selectors.complaint_list(actor=request.user, status=status)


@router.post("/complaints/{complaint_id}/answer", response=ComplaintOut, summary="Answer a complaint (once)")
def complaint_answer(request, complaint_id: int, payload: AnswerIn):
    return services.complaint_answer(actor=request.user, complaint_id=complaint_id, answer=payload.answer)
