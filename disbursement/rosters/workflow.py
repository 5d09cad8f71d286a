"""The roster workflow: publicity, the three approvals, and return to the clerk.

Every step is one conditional UPDATE on the expected status, so repeating it changes nothing and two
concurrent requests cannot both pass; finance approval reserves the budget and creates the payments in the
same transaction, or nothing happens at all.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement.accounts.roles import Role
from disbursement.accounts.scoping import in_jurisdiction
from disbursement.audit.services import audit_record
from disbursement.budget.services import roster_allocate, roster_release
from disbursement.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from disbursement.payments.holds import lines_held, payments_hold_sync
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.payments.services import payments_create, roster_line_amounts
from disbursement.rosters.models import Roster, RosterApproval, RosterLine
from disbursement.rosters.models import RosterStatus as S


@dataclass(frozen=True)
class Step:
    sources: frozenset[str]
    target: str
    roles: frozenset[str]


STEPS = {
    "start_publicity": Step(frozenset({S.VALIDATED}), S.PUBLICITY, frozenset({Role.TOWNSHIP_CLERK})),
    "township_approve": Step(frozenset({S.VALIDATED, S.PUBLICITY}), S.TOWNSHIP_APPROVED,
                             frozenset({Role.TOWNSHIP_CLERK})),
    "department_approve": Step(frozenset({S.TOWNSHIP_APPROVED}), S.DEPARTMENT_APPROVED,
                               frozenset({Role.COUNTY_DEPARTMENT})),
    "finance_approve": Step(frozenset({S.DEPARTMENT_APPROVED}), S.FINANCE_APPROVED, frozenset({Role.COUNTY_FINANCE})),
    "reject": Step(frozenset({S.VALIDATED, S.PUBLICITY, S.TOWNSHIP_APPROVED, S.DEPARTMENT_APPROVED,
                              S.FINANCE_APPROVED}), S.REJECTED,
                   frozenset({Role.TOWNSHIP_CLERK, Role.COUNTY_DEPARTMENT, Role.COUNTY_FINANCE})),
}
# Who may send a roster back from each status: the one whose turn it is.
REJECTERS = {
    S.VALIDATED: Role.TOWNSHIP_CLERK, S.PUBLICITY: Role.TOWNSHIP_CLERK, S.TOWNSHIP_APPROVED: Role.COUNTY_DEPARTMENT,
    S.DEPARTMENT_APPROVED: Role.COUNTY_FINANCE, S.FINANCE_APPROVED: Role.COUNTY_FINANCE,
}


def roster_next_actions(*, actor, roster: Roster) -> list[str]:
    """The steps this user may take on this roster now (for buttons)."""
    return [name for name in STEPS if _refusal(actor, roster, name, today=timezone.localdate()) is None]


def _refusal(actor, roster: Roster, action: str, *, today: date) -> DomainError | None:
    """Why this user may not take this step now (a Conflict for the roster's state, PermissionDenied for the
    user), or None."""
    step = STEPS[action]
    if roster.status not in step.sources:
        return Conflict(_("The roster is %(status)s; it cannot be sent to “%(action)s”.") % {
            "status": roster.get_status_display(), "action": S(step.target).label})
    if actor.role not in step.roles:
        return PermissionDenied(_("Your role does not take this step."))
    if action == "reject" and REJECTERS[roster.status] != actor.role:
        return PermissionDenied(_("Only whoever approves next may return the roster now."))
    item = roster.item
    if action == "start_publicity" and item.publicity_days == 0:
        return Conflict(_("This item is not publicised; approve it directly."))
    if action == "township_approve":
        if roster.status == S.VALIDATED and item.publicity_days > 0:
            return Conflict(_("Publicise the roster for %(days)s days first.") % {"days": item.publicity_days})
        if roster.status == S.PUBLICITY and roster.publicity_end and today <= roster.publicity_end:
            return Conflict(_("The publicity runs until %(end)s.") % {"end": roster.publicity_end})
    if action == "department_approve" and actor.department != item.department:
        return PermissionDenied(_("This item belongs to another department."))
    return None


@transaction.atomic
def roster_act(*, actor, roster_id: int, action: str, reason: str = "", publicity_start: date | None = None,
               today: date | None = None) -> Roster:
    if action not in STEPS:
        raise ValidationFailed(_("Unknown action."), field="action")
    today = today or timezone.localdate()
    roster = Roster.objects.select_related("item").filter(pk=roster_id).first()
    if roster is None or not in_jurisdiction(actor, roster.township_id):
        raise NotFound(_("Roster not found."))
    step = STEPS[action]
    if roster.status == step.target and action != "reject":
        return roster  # already done: repeating a step is harmless
    refusal = _refusal(actor, roster, action, today=today)
    if refusal:
        raise refusal
    if action == "reject" and not reason.strip():
        raise ValidationFailed(_("Say why the roster goes back to the clerk."), field="reason")
    changes = {"status": step.target}
    if action == "start_publicity":
        start = publicity_start or today
        if start > today:
            raise ValidationFailed(_("Publicity cannot start in the future."), field="publicity_start")
        changes.update(publicity_start=start, publicity_end=start + timedelta(days=roster.item.publicity_days - 1))
    if action == "reject":
        changes["rejected_reason"] = reason.strip()
    source = roster.status
    if not Roster.objects.filter(pk=roster.pk, status=source).update(**changes):
        roster.refresh_from_db()
        if roster.status == step.target:
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
