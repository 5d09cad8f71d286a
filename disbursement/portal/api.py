"""Public endpoints (no sign-in), mounted by the project API under /api/v1/: /public/lookup and /public/feed.

Name and ID number travel only in a POST body: never in a URL, a log line or a cache key in clear.
"""

from django.http import HttpResponse
from ninja import Field, Router, Schema, Status

from disbursement.portal import feed, lookup
from disbursement.portal.ratelimit import ChallengeRequired

router = Router(tags=["public"])


class LookupIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    id_number: str = Field(..., min_length=1, max_length=30)
    challenge_id: str | None = Field(None, max_length=64)
    challenge_answer: str | int | None = None


class ChallengeOut(Schema):
    id: str
    question: str


class PersonOut(Schema):
    name: str
    id_number: str


class ResidentPaymentOut(Schema):
    reference: str
    item: str
    period: str
    amount_yuan: str
    status: str
    status_text: str
    advice: str
    paid_on: str | None
    village: str


class YearTotalOut(Schema):
    year: str
    paid_yuan: str
    paid_count: int


class LookupOut(Schema):
    payments: list[ResidentPaymentOut]
    totals: list[YearTotalOut]
    person: PersonOut | None
    challenge: ChallengeOut | None = None


class ChallengeRequiredOut(Schema):
    code: str
    message: str
    challenge: ChallengeOut


@router.post("/public/lookup", auth=None, response={200: LookupOut, 428: ChallengeRequiredOut},
             exclude_unset=True, summary="Look up my own subsidy payments (name + ID number)")
def public_lookup(request, payload: LookupIn, response: HttpResponse):
    response["Cache-Control"] = "no-store"
    try:
        return lookup.portal_lookup(
            client_ip=request.META.get("REMOTE_ADDR", ""),
            name=payload.name,
            id_number=payload.id_number,
            challenge_id=payload.challenge_id,
            challenge_answer=None if payload.challenge_answer is None else str(payload.challenge_answer),
        )
    except ChallengeRequired as exc:
        # The one refusal that carries data: the new challenge the client must answer next.
        return Status(428, {"code": exc.code, "message": exc.message, "challenge": exc.challenge})


@router.get("/public/feed", auth=None, summary="Settled payments for the provincial supervision platform")
def public_feed(request, after: str | None = None, limit: int = feed.FEED_DEFAULT_LIMIT):
    body, signature = feed.feed_document(after=after, limit=limit)
    answer = HttpResponse(body, content_type="application/json; charset=utf-8")
    answer["X-OneCard-Signature"] = signature
    answer["Cache-Control"] = "public, max-age=60"
    return answer
