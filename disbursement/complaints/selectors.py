from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts.permissions import action_check
from disbursement.accounts.scoping import scoped
from disbursement.complaints.models import OPEN_STATUSES, Complaint, ComplaintKind, ComplaintStatus
from disbursement.complaints.services import TRACKING_RE, tracking_number_normalise
from disbursement.errors import NotFound, ValidationFailed
from geo import codes


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


def complaint_filters_clean(*, actor, params) -> dict:
    """The complaint list's filters from a query string; ValidationFailed names the field of a bad value."""
    from disbursement import listing

    return {
        "status": listing.choice_clean(params, "status", ComplaintStatus.values),
        "kind": listing.choice_clean(params, "kind", ComplaintKind.values),
        "region": listing.region_clean(actor, params, "region"),
        "since": listing.date_clean(params, "since"),
        "until": listing.date_clean(params, "until"),
    }


def complaint_list(*, actor, status: str | None = None, kind: str | None = None, region: str | None = None,
                   since: date | None = None, until: date | None = None) -> QuerySet[Complaint]:
    """Complaints whose region lies in the actor's subtree: this is how a case reaches the supervisors (and the
    county finance and departments) of the region it concerns."""
    action_check(actor, "complaint.list", check_region=False)
    complaints = scoped(Complaint.objects.select_related("region", "payment"), actor, "region")
    if status:
        if status not in ComplaintStatus.values:
            raise ValidationFailed(_("Unknown status."), field="status")
        complaints = complaints.filter(status=status)
    if kind:
        complaints = complaints.filter(kind=kind)
    if region:
        low, high = codes.subtree_bounds(region)
        complaints = complaints.filter(region_id__gte=low, region_id__lte=high)
    # Received on a day in Asia/Shanghai: the bounds are that day's local midnight.
    if since:
        complaints = complaints.filter(created_at__gte=_local_midnight(since))
    if until:
        complaints = complaints.filter(created_at__lt=_local_midnight(until + timedelta(days=1)))
    return complaints.order_by("-created_at", "-id")


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def roster_objections(*, roster_id: int) -> QuerySet[Complaint]:
    """The objections raised against a roster, oldest first, for its approvers. The caller has already
    fetched the roster through its own jurisdiction check (rosters.selectors.roster_get)."""
    return Complaint.objects.filter(roster_id=roster_id, kind=ComplaintKind.OBJECTION).order_by("created_at", "id")


def roster_open_objection_count(*, roster_id: int) -> int:
    """How many objections to a roster are not answered yet: each holds the roster's township approval."""
    return Complaint.objects.filter(roster_id=roster_id, kind=ComplaintKind.OBJECTION,
                                    status__in=OPEN_STATUSES).count()
