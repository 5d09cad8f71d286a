"""The one answer to "may this user take this action on this object": the action's roles, the user's
jurisdiction over the object's region and, for a department's step, the item's department.

Services call `action_check` before they change anything, so pages and the API (which both call the
services) obey the same table. `actor=None` is the system itself (periodic jobs, demo and benchmark
builders) and is never refused. Order of the answers: out of reach first (NotFound for an existing object,
so its existence is not revealed; PermissionDenied for a place to create something in), then the role,
then the department.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from disbursement.accounts.roles import Role
from disbursement.accounts.scoping import in_jurisdiction
from disbursement.errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class Rule:
    roles: frozenset[str]
    refusal: Promise
    # The item's department must be the user's own (county departments act only on their own items).
    own_department: bool = False
    # A technical superuser passes the role test (it always passes jurisdiction).
    superuser: bool = False


_CLERK, _FINANCE, _DEPARTMENT = Role.TOWNSHIP_CLERK, Role.COUNTY_FINANCE, Role.COUNTY_DEPARTMENT
_RETURN_REFUSAL = _("Only whoever approves next may return the roster now.")

RULES: dict[str, Rule] = {
    "roster.upload": Rule(frozenset({_CLERK, Role.PROVINCE_ADMIN}), _("Only township clerks upload rosters."),
                          superuser=True),
    "roster.start_publicity": Rule(frozenset({_CLERK}), _("Your role does not take this step.")),
    "roster.township_approve": Rule(frozenset({_CLERK}), _("Your role does not take this step.")),
    "roster.department_approve": Rule(frozenset({_DEPARTMENT}), _("Your role does not take this step."),
                                      own_department=True),
    "roster.finance_approve": Rule(frozenset({_FINANCE}), _("Your role does not take this step.")),
    # Returning to the clerk belongs to whoever approves next, so it depends on where the roster stands.
    "roster.reject.validated": Rule(frozenset({_CLERK}), _RETURN_REFUSAL),
    "roster.reject.publicity": Rule(frozenset({_CLERK}), _RETURN_REFUSAL),
    "roster.reject.township_approved": Rule(frozenset({_DEPARTMENT}), _RETURN_REFUSAL, own_department=True),
    "roster.reject.department_approved": Rule(frozenset({_FINANCE}), _RETURN_REFUSAL),
    "roster.reject.finance_approved": Rule(frozenset({_FINANCE}), _RETURN_REFUSAL),
    # From any other status nobody may return it; these roles are then told why (409), the others 403.
    "roster.reject": Rule(frozenset({_CLERK, _DEPARTMENT, _FINANCE}), _("Your role does not take this step."),
                          own_department=True),
    "bankfile.generate": Rule(frozenset({_FINANCE}), _("Only county finance exchanges files with the bank.")),
    "bankfile.download": Rule(frozenset({_FINANCE}), _("Only county finance exchanges files with the bank.")),
    "returnfile.import": Rule(frozenset({_FINANCE}), _("Only county finance exchanges files with the bank.")),
    "payment.reissue": Rule(frozenset({_CLERK, _FINANCE}),
                            _("Only the township clerk or county finance handles failed payments.")),
    "payment.return": Rule(frozenset({_CLERK, _FINANCE}),
                           _("Only the township clerk or county finance handles failed payments.")),
    "payment.void": Rule(frozenset({_CLERK, _FINANCE}),
                         _("Only the township clerk or county finance voids a held line.")),
    # Whole personal numbers: the clerk who pays the person and the finance office that answers to the bank.
    "person.reveal": Rule(frozenset({_CLERK, _FINANCE}), _("Your role sees personal numbers masked only.")),
    # The register's names: the clerk who knows the person and uploads the township's rosters.
    "person.rename": Rule(frozenset({_CLERK}), _("Only the township clerk corrects names in the register.")),
    # Where a person is registered (village, group): the same clerk, within the jurisdiction (issue 12).
    "person.village": Rule(frozenset({_CLERK}), _("Only the township clerk corrects villages in the register.")),
    "card.register": Rule(frozenset({_CLERK, _FINANCE}),
                          _("Only the township clerk or county finance registers cards.")),
    # Side registers (deaths, cadres, payroll …) come from the county's and province's offices that hold them.
    "register.import": Rule(frozenset({_FINANCE, _DEPARTMENT, Role.SUPERVISOR, Role.PROVINCE_ADMIN}),
                            _("Only county finance, county departments, supervisors and the provincial "
                              "administrator import side registers."), superuser=True),
    "indicator.issue": Rule(frozenset({_FINANCE, Role.PROVINCE_ADMIN}),
                            _("Only finance issues and adjusts budget indicators."), superuser=True),
    "indicator.adjust": Rule(frozenset({_FINANCE, Role.PROVINCE_ADMIN}),
                             _("Only finance issues and adjusts budget indicators."), superuser=True),
    # Treasury statements: county finance for its own county, the provincial administrator for every treasury.
    "treasury.import": Rule(frozenset({_FINANCE, Role.PROVINCE_ADMIN}),
                            _("Only county finance and the provincial administrator import treasury statements."),
                            superuser=True),
    # Complaints: the supervisors of the region (any level above it) and the county's finance and departments.
    # Township clerks do not, since complaints are often about the township's own handling.
    "complaint.answer": Rule(frozenset({Role.SUPERVISOR, _FINANCE, _DEPARTMENT}),
                             _("Only supervisors and county finance or department staff answer complaints.")),
    # Standards are decided where they apply: the province's by its administrator, a county's (and its townships')
    # by county finance and the item's county department. Reach is the user's subtree.
    "standard.edit": Rule(frozenset({_FINANCE, _DEPARTMENT, Role.PROVINCE_ADMIN}),
                          _("Only the provincial administrator, county finance and the item's county department "
                            "set standards."), own_department=True, superuser=True),
    # The provincial administrator reads every complaint of the province (its subtree) but does not answer them.
    "complaint.list": Rule(frozenset({Role.SUPERVISOR, _FINANCE, _DEPARTMENT, Role.PROVINCE_ADMIN}),
                           _("Only supervisors, county finance or department staff and the provincial administrator "
                             "see complaints."), superuser=True),
    # The supervision maps: supervisors, the provincial administrator and county finance, over their subtree.
    "supervision.map": Rule(frozenset({Role.SUPERVISOR, Role.PROVINCE_ADMIN, _FINANCE}),
                            _("Only supervisors, the provincial administrator and county finance see the maps."),
                            superuser=True),
    # The supervisor's desk (overview, drill-down, fund flow): read-only pages over the user's jurisdiction.
    "supervision.view": Rule(frozenset({Role.SUPERVISOR, _FINANCE, Role.PROVINCE_ADMIN}),
                             _("Only supervisors, county finance and the provincial administrator use the "
                               "supervision desk."), superuser=True),
    # Treasury cash (库款): supervisors of any level, county finance (its own county) and the province watch it.
    "treasury.view": Rule(frozenset({Role.SUPERVISOR, _FINANCE, Role.PROVINCE_ADMIN}),
                          _("Only supervisors, county finance and the provincial administrator watch treasury cash."),
                          superuser=True),
    # Transfers the level above has scheduled to a county count in its treasury forecast: entered by the province.
    "treasury.schedule": Rule(frozenset({Role.PROVINCE_ADMIN}),
                              _("Only the provincial administrator enters scheduled transfers."), superuser=True),
}


def action_refusal(actor, action: str, *, region_code: str | None = None, department: str | None = None,
                   existing: bool = True, check_region: bool = True) -> NotFound | PermissionDenied | None:
    """Why `actor` may not take `action` on an object in `region_code` (of an item owned by `department`),
    or None. `existing=False` is for a place something is about to be created in: out of reach is then a
    PermissionDenied, since there is nothing whose existence could leak. `check_region=False` when the
    caller has already fetched the object through its own scoped selector."""
    if actor is None:
        return None
    rule = RULES[action]
    if not (actor.is_authenticated and actor.is_active):
        return PermissionDenied(str(rule.refusal))
    if check_region and not in_jurisdiction(actor, region_code):
        if existing:
            return NotFound(str(_("Not found.")))
        return PermissionDenied(str(_("That place is outside your jurisdiction.")))
    if actor.is_superuser and rule.superuser:
        return None
    if actor.role not in rule.roles:
        return PermissionDenied(str(rule.refusal))
    if rule.own_department and actor.role == _DEPARTMENT and actor.department != department:
        return PermissionDenied(str(_("This item belongs to another department.")))
    return None


def action_check(actor, action: str, *, region_code: str | None = None, department: str | None = None,
                 existing: bool = True, check_region: bool = True, not_found: str | None = None) -> None:
    """Raise the refusal of `action_refusal`; `not_found` names the object in the NotFound message."""
    refusal = action_refusal(actor, action, region_code=region_code, department=department, existing=existing,
                             check_region=check_region)
    if isinstance(refusal, NotFound) and not_found:
        raise NotFound(not_found)
    if refusal is not None:
        raise refusal


def action_allowed(actor, action: str, **kwargs) -> bool:
    return action_refusal(actor, action, **kwargs) is None
