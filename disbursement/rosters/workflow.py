"""The roster workflow: publicity, the three approvals, and return to the clerk.

Every step is one conditional UPDATE on the expected status, so repeating it changes nothing and two
concurrent requests cannot both pass; finance approval reserves the budget and creates the payments in the
same transaction, or nothing happens at all.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disbursement.accounts.permissions import action_refusal
from disbursement.audit.services import audit_record
from disbursement.budget.services import roster_allocate, roster_release
from disbursement.complaints.selectors import roster_open_objection_count
from disbursement.errors import Conflict, DomainError, NotFound, ValidationFailed
from disbursement.payments.holds import lines_held, payments_hold_sync
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.payments.services import payments_create, roster_line_amounts
from disbursement.rosters.models import Roster, RosterApproval, RosterLine
from disbursement.rosters.models import RosterStatus as S


@dataclass(frozen=True)
class Step:
    sources: frozenset[str]
    target: str


# Who may take each step is in accounts.permissions (rules "roster.<step>", and "roster.reject.<status>").
STEPS = {
    "start_publicity": Step(frozenset({S.VALIDATED}), S.PUBLICITY),
    "township_approve": Step(frozenset({S.VALIDATED, S.PUBLICITY}), S.TOWNSHIP_APPROVED),
    "department_approve": Step(frozenset({S.TOWNSHIP_APPROVED}), S.DEPARTMENT_APPROVED),
    "finance_approve": Step(frozenset({S.DEPARTMENT_APPROVED}), S.FINANCE_APPROVED),
    "reject": Step(frozenset({S.VALIDATED, S.PUBLICITY, S.TOWNSHIP_APPROVED, S.DEPARTMENT_APPROVED,
                              S.FINANCE_APPROVED}), S.REJECTED),
}

# What each step is called once it happened: the one mapping of action codes to words, used by the roster
# history, the payment trace and anything else that lists workflow events.
STEP_LABELS = {
    "start_publicity": gettext_lazy("Publicity started"),
    "township_approve": gettext_lazy("Approved by the township"),
    "department_approve": gettext_lazy("Approved by the department"),
    "finance_approve": gettext_lazy("Approved by finance, budget reserved"),
    "reject": gettext_lazy("Returned to the clerk"),
}


def step_label(action: str) -> str:
    """The words for a workflow action code; an unknown code (from an older release) is shown as it is."""
    return str(STEP_LABELS.get(action, action))


def publicity_window(*, started_at: datetime, days: int) -> date:
    """The last day of a publicity window that starts at `started_at`: the rest of the publishing day does
    not count, then `days` full local days follow. Township approval is possible from 00:00 (local time,
    settings.TIME_ZONE) of the day after the returned date — e.g. published 2026-11-29 16:40 for 5 days:
    window 2026-11-30 … 2026-12-04, approval from 2026-12-05 00:00."""
    return timezone.localdate(started_at) + timedelta(days=days)


def roster_next_actions(*, actor, roster: Roster) -> list[str]:
    """The steps this user may take on this roster now (for buttons): exactly those roster_act would allow."""
    return [name for name in STEPS if _refusal(actor, roster, name, now=timezone.now()) is None]


def _permission_name(roster: Roster, action: str) -> str:
    if action == "reject":
        return f"roster.reject.{roster.status}" if roster.status in STEPS["reject"].sources else "roster.reject"
    return f"roster.{action}"


def _refusal(actor, roster: Roster, action: str, *, now: datetime) -> DomainError | None:
    """Why this user may not take this step now, or None: NotFound out of the user's jurisdiction,
    PermissionDenied when the step is not the user's (role, or the item's department), then a Conflict for
    the roster's state."""
    item = roster.item
    refusal = action_refusal(actor, _permission_name(roster, action), region_code=roster.township_id,
                             department=item.department)
    if refusal:
        return refusal
    step = STEPS[action]
    if roster.status not in step.sources:
        return Conflict(_("The roster is %(status)s; it cannot be sent to “%(action)s”.") % {
            "status": roster.get_status_display(), "action": S(step.target).label})
    if action == "start_publicity" and item.publicity_days == 0:
        return Conflict(_("This item is not publicised; approve it directly."))
    if action == "township_approve":
        if roster.status == S.VALIDATED and item.publicity_days > 0:
            return Conflict(_("Publicise the roster for %(days)s days first.") % {"days": item.publicity_days})
        if roster.status == S.PUBLICITY and (roster.publicity_end is None
                                             or timezone.localdate(now) <= roster.publicity_end):
            return Conflict(_("The publicity runs until the end of %(end)s; approve from the next day on.")
                            % {"end": roster.publicity_end})
        open_objections = roster_open_objection_count(roster_id=roster.pk)
        if open_objections:
            return Conflict(_("%(count)s objection(s) to this roster are still open; answer them first.")
                            % {"count": open_objections})
    return None


@transaction.atomic
def roster_act(*, actor, roster_id: int, action: str, reason: str = "", notice_posted_on: date | None = None,
               now: datetime | None = None) -> Roster:
    """Take one workflow step. Publicity starts when start_publicity succeeds, by the system's clock;
    `notice_posted_on` (the day the village notice went up) is recorded as information and moves nothing.
    `now` is for internal builders and tests only (demo, benchmarks): pages and the API never pass it."""
    if action not in STEPS:
        raise ValidationFailed(_("Unknown action."), field="action")
    now = now or timezone.now()
    rosters = Roster.objects.select_related("item")
    if action == "township_approve":
        # Locked before counting open objections; complaint_submit locks it before adding one (see there).
        rosters = rosters.select_for_update(of=("self",))
    roster = rosters.filter(pk=roster_id).first()
    refusal = _refusal(actor, roster, action, now=now) if roster else None
    if roster is None or isinstance(refusal, NotFound):
        raise NotFound(_("Roster not found."))
    step = STEPS[action]
    # Who may act is checked before "already done", so a repeat by someone else is refused, not a 200.
    if roster.status == step.target and action != "reject" and (refusal is None or isinstance(refusal, Conflict)):
        roster.already_done = True  # pages say the step had been taken rather than repeat its success
        return roster  # already done: repeating a step is harmless
    if refusal:
        raise refusal
    if action == "reject" and not reason.strip():
        raise ValidationFailed(_("Say why the roster goes back to the clerk."), field="reason")
    if action == "start_publicity" and notice_posted_on and notice_posted_on > timezone.localdate(now):
        raise ValidationFailed(_("The notice cannot have been posted in the future."), field="notice_posted_on")
    changes = {"status": step.target}
    if action == "start_publicity":
        changes.update(publicity_started_at=now, notice_posted_on=notice_posted_on,
                       publicity_end=publicity_window(started_at=now, days=roster.item.publicity_days))
    if action == "reject":
        changes["rejected_reason"] = reason.strip()
    source = roster.status
    if not Roster.objects.filter(pk=roster.pk, status=source).update(**changes):
        roster.refresh_from_db()
        if roster.status == step.target:
            roster.already_done = True
            return roster
        raise Conflict(_("Someone else changed the roster just now; reload it."))
    if action == "finance_approve":
        # 事前拦截: the rules judge the lines before the indicators are locked (they read the whole history);
        # lines with an open high alert get held payments, reserved but never sent.
        held = lines_held(roster_id=roster.pk)
        row_numbers, amounts = roster_line_amounts(roster_id=roster.pk)
        funded_by = roster_allocate(roster=roster, amounts=amounts, actor=actor)
        payments_create(roster=roster, row_numbers=row_numbers, funded_by=funded_by)
        payments_hold_sync(roster_id=roster.pk, held=held)
    if action == "reject":
        if source == S.FINANCE_APPROVED:
            Payment.objects.filter(roster=roster, status__in=[PaymentStatus.PENDING, PaymentStatus.HELD]).update(
                status=PaymentStatus.CANCELLED)
            roster_release(roster=roster, actor=actor, reference=f"roster {roster.pk} returned")
        RosterLine.objects.filter(roster=roster).update(is_void=True)
    RosterApproval.objects.create(roster=roster, action=action, from_status=source, to_status=step.target,
                                  actor=actor, reason=reason.strip())
    audit_record(actor=actor, action=f"roster.{action}", obj=roster, region_code=roster.township_id,
                 from_status=source, to_status=step.target)
    roster.refresh_from_db()
    return roster
