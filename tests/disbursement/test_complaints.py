"""Complaints and publicity objections: submitted and followed by the public, routed by region to the staff
who answer them. The router is mounted here on a test API (the project's api.py mounts it separately)."""

import pytest
from django.urls import path
from django.utils import timezone
from ninja import NinjaAPI
from ninja.security import django_auth

from disbursement import pii
from disbursement.accounts.auth import TokenAuth
from disbursement.accounts.roles import Role
from disbursement.audit.models import AuditEvent
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.complaints.api import router
from disbursement.complaints.models import Complaint, ComplaintKind, ComplaintStatus
from disbursement.complaints.selectors import complaint_list, complaint_track, roster_objections
from disbursement.complaints.services import TRACKING_RE, complaint_answer, complaint_submit
from disbursement.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.rosters.workflow import roster_act
from tests.builders import race_messages as _race
from tests.conftest import SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.test_bank_cycle import approved_roster, returned
from tests.disbursement.test_money_path import V1, accepted_roster, issue
from tests.factories import id_number

api = NinjaAPI(auth=[TokenAuth(), django_auth], urls_namespace="complaints-test")
api.add_router("/", router)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    body = {"code": exc.code, "message": exc.message, **({"field": exc.field} if exc.field else {})}
    return api.create_response(request, body, status=exc.status)


urlpatterns = [path("api/v1/", api.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.disbursement.test_complaints")]


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
        "city_supervisor": make_user(Role.SUPERVISOR, XIANGTAN_CITY),
        "other_supervisor": make_user(Role.SUPERVISOR, SHAOSHAN_CITY),
    }


def paid_payment(people) -> Payment:
    issue(10_000_000)
    roster = approved_roster(people, rows=2)
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    return_file_import(actor=people["finance"], data=returned(bank_file, fail_rate=0.0))
    return Payment.objects.filter(status=PaymentStatus.PAID).order_by("reference").first()


def roster_in_publicity(people):
    roster = accepted_roster(2)
    return roster_act(actor=people["clerk"], roster_id=roster.pk, action="start_publicity")


def test_a_complaint_about_a_paid_payment_is_answered_by_the_city_supervisor(people, api_client, client):
    payment = paid_payment(people)
    created = client.post("/api/v1/public/complaints", {
        "kind": "complaint", "subject": "补贴到账金额与公示不符，村干部说要先交钱。",
        "payment_reference": payment.reference, "contact_name": "李四"}, content_type="application/json")
    assert created.status_code == 201, created.content
    number = created.json()["tracking_number"]
    complaint = Complaint.objects.get(tracking_number=number)
    assert complaint.region_id == payment.village_id == V1 and complaint.payment_id == payment.pk

    track = client.post("/api/v1/public/complaints/track", {"tracking_number": number.lower()},
                        content_type="application/json")
    assert track.json() == {"kind": "complaint", "status": "received", "created_on": str(timezone.localdate()),
                            "answer": None}

    city = api_client(people["city_supervisor"])
    listed = city.get("/api/v1/complaints").json()["items"]
    assert [(c["id"], c["region_code"], c["payment_reference"]) for c in listed] == [
        (complaint.pk, V1, payment.reference)]
    assert "tracking_number" not in listed[0]
    other = api_client(people["other_supervisor"])
    assert other.get("/api/v1/complaints").json()["items"] == []
    refused = other.post(f"/api/v1/complaints/{complaint.pk}/answer", {"answer": "已核实。"},
                         content_type="application/json")
    assert refused.status_code == 404

    answered = city.post(f"/api/v1/complaints/{complaint.pk}/answer", {"answer": "已核实，已责令退还。"},
                         content_type="application/json")
    assert answered.status_code == 200 and answered.json()["status"] == "answered"
    track = client.post("/api/v1/public/complaints/track", {"tracking_number": number},
                        content_type="application/json").json()
    assert track["status"] == "answered" and track["answer"] == "已核实，已责令退还。"
    assert set(track) == {"kind", "status", "created_on", "answer"}

    # Answering again neither overwrites nor records anything.
    again = city.post(f"/api/v1/complaints/{complaint.pk}/answer", {"answer": "另一个答复"},
                      content_type="application/json")
    assert again.status_code == 409
    complaint.refresh_from_db()
    assert complaint.answer == "已核实，已责令退还。" and complaint.answered_by_id == people["city_supervisor"].pk
    assert AuditEvent.objects.filter(action="complaint.answer", object_id=str(complaint.pk)).count() == 1


def test_county_finance_and_department_answer_but_a_township_clerk_does_not(people):
    complaint = complaint_submit(kind="complaint", subject="发放不及时", region_code=YISUHE_TOWN)
    assert list(complaint_list(actor=people["department"])) == [complaint]
    assert list(complaint_list(actor=people["finance"], status="received")) == [complaint]
    assert list(complaint_list(actor=people["finance"], status="answered")) == []
    with pytest.raises(PermissionDenied):
        complaint_list(actor=people["clerk"])
    with pytest.raises(PermissionDenied):
        complaint_answer(actor=people["clerk"], complaint_id=complaint.pk, answer="好")
    complaint_answer(actor=people["finance"], complaint_id=complaint.pk, answer="已处理")
    assert complaint_track(tracking_number=complaint.tracking_number)["answer"] == "已处理"


def test_an_objection_on_a_roster_in_publicity_is_listed_for_its_approvers(people):
    roster = roster_in_publicity(people)
    objection = complaint_submit(kind="objection", subject="名单中有人已外出务工多年，不符合条件。",
                                 roster_id=roster.pk)
    complaint_submit(kind="complaint", subject="别的事", region_code=YISUHE_TOWN)
    assert objection.region_id == roster.township_id == YISUHE_TOWN
    assert list(roster_objections(roster_id=roster.pk)) == [objection]
    assert objection in complaint_list(actor=people["city_supervisor"])


def test_an_objection_needs_a_roster_in_publicity(people, client):
    roster = accepted_roster(2)  # validated, not yet publicised
    with pytest.raises(ValidationFailed, match="not in publicity"):
        complaint_submit(kind="objection", subject="有问题", roster_id=roster.pk)
    with pytest.raises(ValidationFailed, match="must name the roster"):
        complaint_submit(kind="objection", subject="有问题", region_code=YISUHE_TOWN)
    response = client.post("/api/v1/public/complaints", {"kind": "objection", "subject": "有问题",
                                                          "roster_id": roster.pk}, content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "roster_id"
    assert not Complaint.objects.exists()


def test_a_subject_holding_a_whole_id_number_is_refused_without_echoing_it(people, client):
    whole = id_number()
    with pytest.raises(ValidationFailed, match="whole ID"):
        complaint_submit(kind="complaint", subject=f"身份证{whole}被冒用", region_code=YISUHE_TOWN)
    response = client.post("/api/v1/public/complaints", {
        "kind": "complaint", "subject": f"身份证 {whole} 被冒用", "region_code": YISUHE_TOWN},
        content_type="application/json")
    assert response.status_code == 422 and whole not in response.content.decode()
    # The last four digits are fine.
    assert complaint_submit(kind="complaint", subject=f"尾号{whole[-4:]}被冒用", region_code=YISUHE_TOWN)


def test_the_contact_phone_is_stored_encrypted_and_shown_masked(people, api_client):
    complaint = complaint_submit(kind="complaint", subject="低保评定不公", region_code=YISUHE_TOWN,
                                 contact_phone="138 0731 1234")
    stored = Complaint.objects.values("contact_phone_cipher", "contact_phone_masked").get(pk=complaint.pk)
    assert "13807311234" not in str(stored)
    assert pii.decrypt(stored["contact_phone_cipher"]) == "13807311234"
    assert stored["contact_phone_masked"] == "138****1234"
    listed = api_client(people["city_supervisor"]).get("/api/v1/complaints")
    assert listed.json()["items"][0]["contact_phone"] == "138****1234"
    assert "13807311234" not in listed.content.decode()
    with pytest.raises(ValidationFailed, match="11-digit"):
        complaint_submit(kind="complaint", subject="x", region_code=YISUHE_TOWN, contact_phone="12345")


def test_tracking_numbers_are_unique_and_not_sequential(people):
    numbers = [complaint_submit(kind="complaint", subject=f"事项{i}", region_code=XIANGTAN_COUNTY).tracking_number
               for i in range(30)]
    assert len(set(numbers)) == 30 and all(TRACKING_RE.match(n) for n in numbers)
    # Random, not counted: consecutive submissions share no long common prefix after "TS".
    assert sorted(numbers) != numbers or sorted(numbers, reverse=True) != numbers
    shared = [len(_common_prefix(a, b)) - 2 for a, b in zip(numbers, numbers[1:], strict=False)]
    assert max(shared) < 4
    with pytest.raises(NotFound):
        complaint_track(tracking_number="TS" + "0" * 10)


def _common_prefix(a: str, b: str) -> str:
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[:i]


def test_a_region_must_be_a_county_township_or_village(people):
    with pytest.raises(ValidationFailed):
        complaint_submit(kind="complaint", subject="x", region_code=XIANGTAN_CITY)
    with pytest.raises(ValidationFailed):
        complaint_submit(kind="complaint", subject="x", region_code="439999999999")
    with pytest.raises(ValidationFailed):
        complaint_submit(kind="complaint", subject="x")


@pytest.mark.django_db(transaction=True)
def test_two_answers_sent_at_once_one_lands(reference_in_transactional_db, make_user):
    supervisors = [make_user(Role.SUPERVISOR, XIANGTAN_CITY), make_user(Role.SUPERVISOR, XIANGTAN_COUNTY)]
    complaint = complaint_submit(kind="complaint", subject="发放不及时", region_code=YISUHE_TOWN)
    outcomes = _race([
        lambda s=s: complaint_answer(actor=s, complaint_id=complaint.pk, answer=f"答复{s.pk}")
        for s in supervisors
    ])
    assert sorted(o.split(":")[0] for o in outcomes) == ["conflict", "ok"]
    complaint.refresh_from_db()
    assert complaint.status == ComplaintStatus.ANSWERED and complaint.answer == f"答复{complaint.answered_by_id}"
    assert AuditEvent.objects.filter(action="complaint.answer").count() == 1
    assert complaint.kind == ComplaintKind.COMPLAINT
