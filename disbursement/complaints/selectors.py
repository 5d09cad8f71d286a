from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_check
from disbursement.accounts.scoping import scoped
from disbursement.complaints.models import OPEN_STATUSES, Complaint, ComplaintKind, ComplaintStatus
from disbursement.complaints.services import TRACKING_RE, tracking_number_normalise
from disbursement.errors import NotFound, ValidationFailed


def complaint_track(*, tracking_number: str) -> dict:
    """What a resident may see of a case from its tracking number: kind, status, date, and the answer once
    there is one. Nothing about who wrote it, whom it concerns, or who answered."""
    number = tracking_number_normalise(tracking_number)
    row = (Complaint.objects.filter(tracking_number=number).values("kind", "status", "created_at", "answer").first()
           if TRACKING_RE.match(number) else None)
    if row is None:
        raise NotFound(_("No complaint has this tracking number."))
    answered = row["status"] in (ComplaintStatus.ANSWERED, ComplaintStatus.CLOSED) and row["answer"]
    return {
        "kind": row["kind"],
        "status": row["status"],
        "created_on": timezone.localdate(row["created_at"]),  # the resident's day, Asia/Shanghai
        "answer": row["answer"] if answered else None,
    }


def complaint_list(*, actor, status: str | None = None) -> QuerySet[Complaint]:
    """Complaints whose region lies in the actor's subtree: this is how a case reaches the supervisors (and the
    county finance and departments) of the region it concerns."""
    action_check(actor, "complaint.list", check_region=False)
    complaints = scoped(Complaint.objects.select_related("region", "payment"), actor, "region")
    if status:
        if status not in ComplaintStatus.values:
            raise ValidationFailed(_("Unknown status."), field="status")
        complaints = complaints.filter(status=status)
    return complaints.order_by("-created_at", "-id")


def roster_objections(*, roster_id: int) -> QuerySet[Complaint]:
    """The objections raised against a roster, oldest first, for its approvers. The caller has already
    fetched the roster through its own jurisdiction check (rosters.selectors.roster_get)."""
    return Complaint.objects.filter(roster_id=roster_id, kind=ComplaintKind.OBJECTION).order_by("created_at", "id")


def roster_open_objection_count(*, roster_id: int) -> int:
    """How many objections to a roster are not answered yet: each holds the roster's township approval."""
    return Complaint.objects.filter(roster_id=roster_id, kind=ComplaintKind.OBJECTION,
                                    status__in=OPEN_STATUSES).count()
