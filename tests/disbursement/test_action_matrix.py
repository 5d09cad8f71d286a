"""Every role × every money action, through the HTTP API (and the roster page for the workflow steps), with
the exact status each cell must answer. The rule behind every cell is accounts.permissions: out of reach 404
(403 where something would be created), the wrong role or department 403, the right one at the wrong time
409.

Columns: province admin, county finance, the county department owning the item (civil affairs), another
county department (agriculture), the township clerk, the city supervisor, and county finance of another
county ("elsewhere": the right role, the wrong place).
"""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from disbursement.accounts.roles import Role
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.rosters.models import Roster
from disbursement.rosters.models import RosterStatus as S
from disbursement.rosters.workflow import roster_act
from tests.builders import ITEM, accepted_roster, issue, publicity_passed
from tests.conftest import SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, id_number, roster_csv, roster_row

pytestmark = pytest.mark.django_db

ROLES = ("admin", "finance", "dept_own", "dept_other", "clerk", "supervisor", "elsewhere")

# (action, the roster's status before) → the status each role gets, in ROLES order.
WORKFLOW = {
    #                                               admin fin  own  other clerk sup  elsewhere
    ("start_publicity", S.VALIDATED):               (403, 403, 403, 403, 200, 403, 404),
    ("start_publicity", S.PUBLICITY):               (403, 403, 403, 403, 200, 403, 404),  # already done
    ("start_publicity", S.TOWNSHIP_APPROVED):       (403, 403, 403, 403, 409, 403, 404),
    ("start_publicity", S.DEPARTMENT_APPROVED):     (403, 403, 403, 403, 409, 403, 404),
    ("start_publicity", S.FINANCE_APPROVED):        (403, 403, 403, 403, 409, 403, 404),
    ("township_approve", S.VALIDATED):              (403, 403, 403, 403, 409, 403, 404),  # publicise first
    ("township_approve", S.PUBLICITY):              (403, 403, 403, 403, 200, 403, 404),  # window passed
    ("township_approve", S.TOWNSHIP_APPROVED):      (403, 403, 403, 403, 200, 403, 404),
    ("township_approve", S.DEPARTMENT_APPROVED):    (403, 403, 403, 403, 409, 403, 404),
    ("township_approve", S.FINANCE_APPROVED):       (403, 403, 403, 403, 409, 403, 404),
    ("department_approve", S.VALIDATED):            (403, 403, 409, 403, 403, 403, 404),
    ("department_approve", S.PUBLICITY):            (403, 403, 409, 403, 403, 403, 404),
    ("department_approve", S.TOWNSHIP_APPROVED):    (403, 403, 200, 403, 403, 403, 404),
    ("department_approve", S.DEPARTMENT_APPROVED):  (403, 403, 200, 403, 403, 403, 404),
    ("department_approve", S.FINANCE_APPROVED):     (403, 403, 409, 403, 403, 403, 404),
    ("finance_approve", S.VALIDATED):               (403, 409, 403, 403, 403, 403, 404),
    ("finance_approve", S.PUBLICITY):               (403, 409, 403, 403, 403, 403, 404),
    ("finance_approve", S.TOWNSHIP_APPROVED):       (403, 409, 403, 403, 403, 403, 404),
    ("finance_approve", S.DEPARTMENT_APPROVED):     (403, 200, 403, 403, 403, 403, 404),
    ("finance_approve", S.FINANCE_APPROVED):        (403, 200, 403, 403, 403, 403, 404),
    ("reject", S.VALIDATED):                        (403, 403, 403, 403, 200, 403, 404),
    ("reject", S.PUBLICITY):                        (403, 403, 403, 403, 200, 403, 404),
    ("reject", S.TOWNSHIP_APPROVED):                (403, 403, 200, 403, 403, 403, 404),  # the item's department
    ("reject", S.DEPARTMENT_APPROVED):              (403, 200, 403, 403, 403, 403, 404),
    ("reject", S.FINANCE_APPROVED):                 (403, 200, 403, 403, 403, 403, 404),
}

# The other money actions, each on an object made for it (see `_other_action`).
OTHERS = {
    #                        admin fin  own  other clerk sup  elsewhere
    "bank_files_generate":  (403, 200, 403, 403, 403, 403, 404),
    "bank_file_download":   (403, 200, 403, 403, 403, 403, 404),
    "return_file_import":   (403, 200, 403, 403, 403, 403, 404),
    "payment_reissue":      (403, 200, 403, 403, 200, 403, 404),
    "payment_return":       (403, 200, 403, 403, 200, 403, 404),
    "card_register":        (403, 200, 403, 403, 200, 403, 404),
    "person_reveal":        (403, 200, 403, 403, 200, 403, 404),
    "person_rename":        (403, 403, 403, 403, 200, 403, 404),
    "indicator_issue":      (201, 201, 403, 403, 403, 403, 403),  # elsewhere: no county to create in
    "indicator_adjust":     (200, 200, 403, 403, 404, 403, 404),  # a county's indicator is above a clerk
    "roster_upload":        (202, 403, 403, 403, 202, 403, 403),
}


@pytest.fixture(autouse=True)
def quick_passwords(settings):
    # Forty-odd users and tokens per test: hashing with the production work factor would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def actors(make_user):
    return {
        "admin": make_user(Role.PROVINCE_ADMIN, "430000000000"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
        "dept_own": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "dept_other": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="agriculture"),
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "supervisor": make_user(Role.SUPERVISOR, XIANGTAN_CITY),
        "elsewhere": make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY),
    }


def roster_in(status: str, actors: dict, rows: int = 1) -> Roster:
    """A roster of the civil-affairs item 0604 walked (by the right people) to `status`; publicity has passed."""
    roster = accepted_roster(rows)
    steps = [(S.PUBLICITY, None), (S.TOWNSHIP_APPROVED, "township_approve"),
             (S.DEPARTMENT_APPROVED, "department_approve"), (S.FINANCE_APPROVED, "finance_approve")]
    by = {"township_approve": "clerk", "department_approve": "dept_own", "finance_approve": "finance"}
    for reached, action in steps:
        if roster.status == status:
            break
        if action is None:
            roster = publicity_passed(roster, actors["clerk"])
        else:
            roster = roster_act(actor=actors[by[action]], roster_id=roster.pk, action=action)
        assert roster.status == reached
    assert roster.status == status
    return roster


def _allowed_last(expected: tuple[int, ...]) -> list[tuple[str, int]]:
    """Refused roles first: a refusal must change nothing, so it is checked before anyone succeeds."""
    cells = list(zip(ROLES, expected, strict=True))
    return sorted(cells, key=lambda cell: cell[1] < 300)


@pytest.mark.parametrize(("action", "status"), list(WORKFLOW), ids=[f"{a}-from-{s}" for a, s in WORKFLOW])
def test_workflow_action_through_the_api_answers_each_role_as_the_table_says(action, status, actors, api_client):
    issue(1_000_000)
    roster = roster_in(status, actors)
    answered = {}
    for role, _expected in _allowed_last(WORKFLOW[(action, status)]):
        response = api_client(actors[role]).post(f"/api/v1/rosters/{roster.pk}/actions",
                                                 {"action": action, "reason": "退回核实"},
                                                 content_type="application/json")
        answered[role] = response.status_code
        if response.status_code >= 400:
            assert set(response.json()) >= {"code", "message"}
            assert Roster.objects.get(pk=roster.pk).status == status, f"{role} was refused yet changed the roster"
    assert tuple(answered[role] for role in ROLES) == WORKFLOW[(action, status)]


@pytest.mark.parametrize(("action", "status"), list(WORKFLOW), ids=[f"{a}-from-{s}" for a, s in WORKFLOW])
def test_workflow_action_through_the_page_answers_each_role_as_the_table_says(action, status, actors, page_client):
    """Pages answer a refusal with a message on the roster page, not a status: 404 stays 404, a 403 or 409
    is an error message with the roster unchanged, a 200 a success message (an info message when the step had
    already been taken: the page says so instead of repeating the success)."""
    issue(1_000_000)
    roster = roster_in(status, actors)
    outcome = {200: "done", 403: "refused", 404: 404, 409: "refused"}
    answered = {}
    for role, _expected in _allowed_last(WORKFLOW[(action, status)]):
        response = page_client(actors[role]).post(f"/rosters/{roster.pk}/act/", {"action": action,
                                                                               "reason": "退回核实"})
        if response.status_code == 404:
            answered[role] = 404
            continue
        assert response.status_code == 302 and response["Location"] == f"/rosters/{roster.pk}/"
        levels = {message.level_tag for message in get_messages(response.wsgi_request)}
        answered[role] = ("done" if levels in ({"success"}, {"info"}) else "refused" if levels == {"error"}
                          else levels)
        if answered[role] == "refused":
            assert Roster.objects.get(pk=roster.pk).status == status
    assert tuple(answered[role] for role in ROLES) == tuple(outcome[code] for code in WORKFLOW[(action, status)])


def test_roster_buttons_are_exactly_the_steps_the_rule_allows(actors, page_client, api_client):
    issue(1_000_000)
    for status in (S.VALIDATED, S.PUBLICITY, S.TOWNSHIP_APPROVED, S.DEPARTMENT_APPROVED, S.FINANCE_APPROVED):
        roster = roster_in(status, actors)
        for index, role in enumerate(ROLES[:-1]):
            allowed = [action for (action, source), codes in WORKFLOW.items()
                       if source == status and codes[index] == 200 and status != {
                           "start_publicity": S.PUBLICITY, "township_approve": S.TOWNSHIP_APPROVED,
                           "department_approve": S.DEPARTMENT_APPROVED, "finance_approve": S.FINANCE_APPROVED,
                       }.get(action)]
            state = api_client(actors[role]).get(f"/api/v1/rosters/{roster.pk}/workflow").json()
            assert state["next_actions"] == allowed, (status, role)
            page = page_client(actors[role]).get(f"/rosters/{roster.pk}/").content.decode()
            assert [a for a in ("start_publicity", "township_approve", "department_approve", "finance_approve",
                                "reject") if f'value="{a}"' in page] == allowed, (status, role)


def _failed_payments(actors) -> list[Payment]:
    """Two payments the bank failed for a reason that is not about the card (R07, over the limit)."""
    roster = roster_in(S.FINANCE_APPROVED, actors, rows=2)
    for bank_file in bank_files_generate(actor=None, roster_id=roster.pk):
        return_file_import(actor=None, data=bank_simulate(bank_file.payment_file_bytes(), fail_rate=1.0, seed=1,
                                                          processed=timezone.localdate()))
    failed = list(Payment.objects.filter(roster=roster, status=PaymentStatus.FAILED).order_by("id"))
    Payment.objects.filter(pk__in=[p.pk for p in failed]).update(result_code="R07")
    return failed


def _other_action(name: str, actors: dict):
    """The object for one action, and a function (client, role) → response taking the action on it."""
    if name == "bank_files_generate":
        roster = roster_in(S.FINANCE_APPROVED, actors)
        return lambda client, role: client.post(f"/api/v1/rosters/{roster.pk}/bank-files")
    if name == "bank_file_download":
        roster = roster_in(S.FINANCE_APPROVED, actors)
        bank_file = bank_files_generate(actor=None, roster_id=roster.pk)[0]
        return lambda client, role: client.get(f"/api/v1/bank-files/{bank_file.pk}/download")
    if name == "return_file_import":
        roster = roster_in(S.FINANCE_APPROVED, actors)
        bank_file = bank_files_generate(actor=None, roster_id=roster.pk)[0]
        answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0, seed=1, processed=timezone.localdate())

        return lambda client, role: client.post("/api/v1/bank-files/returns",
                                                {"file": SimpleUploadedFile("return.csv", answer)})
    if name in ("payment_reissue", "payment_return"):
        payment = _failed_payments(actors)[0]
        verb = name.removeprefix("payment_")
        return lambda client, role: client.post(f"/api/v1/payments/{payment.pk}/{verb}")
    if name == "card_register":
        person_id = roster_in(S.VALIDATED, actors).lines.first().person_id
        return lambda client, role: client.post(f"/api/v1/registry/persons/{person_id}/cards",
                                                {"card_number": card_number()}, content_type="application/json")
    if name == "person_reveal":
        person_id = roster_in(S.VALIDATED, actors).lines.first().person_id
        return lambda client, role: client.post(f"/api/v1/registry/persons/{person_id}/reveal",
                                                {"field": "id_number"}, content_type="application/json")
    if name == "person_rename":
        person_id = roster_in(S.VALIDATED, actors).lines.first().person_id
        return lambda client, role: client.patch(f"/api/v1/registry/persons/{person_id}",
                                                 {"name": "钱七", "reason": "核对身份证"},
                                                 content_type="application/json")
    if name == "indicator_issue":
        return lambda client, role: client.post("/api/v1/indicators", {
            "document_number": f"湘财社〔2026〕{role}号", "item": ITEM, "county": XIANGTAN_COUNTY,
            "fiscal_year": 2026, "funding_level": "provincial", "amount_yuan": "100.00"},
            content_type="application/json")
    if name == "indicator_adjust":
        indicator = issue(1_000_000)
        return lambda client, role: client.post(f"/api/v1/indicators/{indicator.pk}/adjustments",
                                                {"delta_yuan": "1.00", "reason": "调增"},
                                                content_type="application/json")
    if name == "roster_upload":
        content = roster_csv([roster_row("赵一", id_number(), card_number(), "430321100001")])
        return lambda client, role: client.post("/api/v1/rosters/imports", {
            "file": SimpleUploadedFile("roster.csv", content, content_type="text/csv"), "item": ITEM,
            "township": YISUHE_TOWN, "period": "2027"})
    raise AssertionError(name)


@pytest.mark.parametrize("name", list(OTHERS))
def test_money_action_through_the_api_answers_each_role_as_the_table_says(name, actors, api_client):
    issue(1_000_000, number="湘财社〔2026〕matrix号")
    take = _other_action(name, actors)
    answered = {}
    for role, _expected in _allowed_last(OTHERS[name]):
        response = take(api_client(actors[role]), role)
        answered[role] = response.status_code
        if response.status_code >= 400:
            assert set(response.json()) >= {"code", "message"}, response.content
    assert tuple(answered[role] for role in ROLES) == OTHERS[name]
