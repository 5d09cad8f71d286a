"""The public portal: a resident's self-lookup behind its limits, and the signed feed of settled payments —
through HTTP, on PostgreSQL and Redis. The router is mounted here on a tiny NinjaAPI (see urlpatterns)."""

import hashlib
import hmac
import json
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import path
from ninja import NinjaAPI

from disbursement import pii
from disbursement.accounts.roles import Role
from disbursement.banking import formats
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.errors import DomainError
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.portal.api import router
from disbursement.registry.models import Person
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import roster_act
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.test_money_path import ITEM, V1, issue, through_department
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

api = NinjaAPI(urls_namespace="portal_test")
api.add_router("/", router)


@api.exception_handler(DomainError)
def domain_error(request, exc: DomainError):
    return api.create_response(request, {"code": exc.code, "message": exc.message}, status=exc.status)


urlpatterns = [path("api/v1/", api.urls)]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.disbursement.test_portal_lookup")]

LOOKUP = "/api/v1/public/lookup"
FEED = "/api/v1/public/feed"
NAME = "王小明"
EMPTY = {"payments": [], "totals": [], "person": None}


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }


def settled_roster(people, *, period, resident, card, fail_resident):
    """A roster of the resident and two neighbours, approved, paid by the bank — the resident's line failed
    with R01 (account closed) when fail_resident."""
    rows = [roster_row(NAME, resident, card, V1)]
    rows += [roster_row(han_name("邻", i, "号"), id_number(), card_number(), V1) for i in range(2)]
    job = roster_import_submit(actor=None, content=roster_csv(rows), file_name="r.csv", item_code=ITEM,
                               township_code=YISUHE_TOWN, period=period, enqueue=False)
    job = import_job_execute(job_id=job.pk)
    assert job.roster, job.errors
    roster = through_department(job.roster, people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0, seed=1, processed=date.today())
    header, lines = formats.return_file_parse(answer)
    if fail_resident:
        reference = Payment.objects.get(roster=roster, person__id_hash=pii.blind_index(resident)).reference
        lines.loc[lines["reference"] == reference, ["result", "reason", "bank_txn"]] = ["F", "R01", ""]
    answer = formats.return_file_render(file_id=f"RP{period}", payment_file_id=bank_file.file_id,
                                        bank_code=header.bank_code, processed=date.today(), rows=lines)
    return_file_import(actor=people["finance"], data=answer)
    return roster


@pytest.fixture
def resident(people):
    """王小明: paid in 2025, failed in 2026 (500.00 yuan each); four neighbours paid."""
    number, card = id_number(birth="19700203"), card_number()
    issue(10_000_000, number="湘财社〔2025〕9号", year=2025)
    issue(10_000_000, number="湘财社〔2026〕9号", year=2026)
    settled_roster(people, period="2025", resident=number, card=card, fail_resident=False)
    settled_roster(people, period="2026", resident=number, card=card, fail_resident=True)
    return {"id_number": number, "card": card}


def look_up(name, number, ip="10.0.0.1", **extra):
    return Client(REMOTE_ADDR=ip).post(LOOKUP, {"name": name, "id_number": number, **extra},
                                       content_type="application/json")


def test_a_resident_sees_paid_and_failed_payments_with_yearly_totals(resident):
    response = look_up(NAME, resident["id_number"])
    assert response.status_code == 200
    body = response.json()
    assert body["person"] == {"name": "王*明", "id_number": Person.objects.get(name=NAME).id_masked}
    assert [(p["period"], p["amount_yuan"], p["status"]) for p in body["payments"]] == [
        ("2025", "500.00", "paid"), ("2026", "500.00", "failed")]
    paid, failed = body["payments"]
    assert paid["paid_on"] == date.today().isoformat() and paid["village"] and paid["item"]
    assert failed["paid_on"] is None and "乡镇" in failed["advice"] and "township office" not in failed["advice"]
    assert body["totals"] == [{"year": "2025", "paid_yuan": "500.00", "paid_count": 1},
                              {"year": "2026", "paid_yuan": "0.00", "paid_count": 0}]
    assert "challenge" not in body
    assert response["Cache-Control"] == "no-store"
    # Neither whole number nor the name in clear is in what the portal sends back.
    text = response.content.decode()
    assert resident["id_number"] not in text and resident["card"] not in text and NAME not in text


def test_the_id_number_is_normalised_before_the_lookup(resident):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in resident["id_number"])
    response = look_up(f" {NAME} ", f"  {full_width[:6]} {full_width[6:]} ")
    assert response.status_code == 200 and len(response.json()["payments"]) == 2


def test_a_wrong_name_an_unknown_id_and_a_malformed_id_answer_alike(resident):
    answers = [
        look_up("王小红", resident["id_number"], ip="10.0.1.1"),
        look_up(NAME, id_number(birth="19700204"), ip="10.0.1.2"),
        look_up(NAME, "43032119700203", ip="10.0.1.3"),
        look_up(NAME, resident["id_number"][:-1] + ("0" if resident["id_number"][-1] != "0" else "1"),
                ip="10.0.1.4"),
    ]
    assert {a.status_code for a in answers} == {200}
    assert [a.json() for a in answers] == [EMPTY] * 4
    assert len({a.content for a in answers}) == 1  # byte for byte


def test_the_per_client_limit_answers_429(db, settings):
    settings.PORTAL_CHALLENGE_AFTER_FAILURES = 1000  # only the IP limit is under test here
    for _ in range(settings.PORTAL_LIMIT_PER_CLIENT):
        assert look_up(NAME, id_number(), ip="10.0.2.1").status_code == 200
    refused = look_up(NAME, id_number(), ip="10.0.2.1")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited" and "查询过于频繁" in refused.json()["message"]
    assert look_up(NAME, id_number(), ip="10.0.2.2").status_code == 200  # another client is unaffected


def test_a_challenge_follows_three_failures_and_only_the_right_answer_passes(resident):
    ip = "10.0.3.1"
    first = [look_up(NAME, id_number(), ip=ip).json() for _ in range(3)]
    assert "challenge" not in first[0] and "challenge" not in first[1]
    issued = first[2]["challenge"]
    assert re.fullmatch(r"\d \+ \d = \?", issued["question"])

    missing = look_up(NAME, resident["id_number"], ip=ip)
    assert missing.status_code == 428 and missing.json()["code"] == "challenge_required"
    latest = missing.json()["challenge"]
    wrong = look_up(NAME, resident["id_number"], ip=ip, challenge_id=latest["id"],
                    challenge_answer=str(solve(latest) + 1))
    assert wrong.status_code == 428
    latest = wrong.json()["challenge"]
    right = look_up(NAME, resident["id_number"], ip=ip, challenge_id=latest["id"], challenge_answer=solve(latest))
    assert right.status_code == 200 and len(right.json()["payments"]) == 2
    assert right.json()["challenge"]["id"] != latest["id"]  # still required: the next one comes with it
    reused = look_up(NAME, resident["id_number"], ip=ip, challenge_id=latest["id"], challenge_answer=solve(latest))
    assert reused.status_code == 428  # single use
    elsewhere = look_up(NAME, resident["id_number"], ip="10.0.3.2", challenge_id=issued["id"],
                        challenge_answer=solve(issued))
    assert elsewhere.status_code == 200 and "challenge" not in elsewhere.json()


def solve(challenge) -> int:
    a, b = re.findall(r"\d+", challenge["question"])
    return int(a) + int(b)


def test_the_per_id_limit_holds_across_client_ips(resident, settings):
    for i in range(settings.PORTAL_LIMIT_PER_ID):
        assert look_up(NAME, resident["id_number"], ip=f"10.0.4.{i + 1}").status_code == 200
    refused = look_up(NAME, resident["id_number"], ip="10.0.4.200")
    assert refused.status_code == 429 and refused.json()["code"] == "rate_limited"
    assert look_up(NAME, id_number(), ip="10.0.4.201").status_code == 200  # other IDs are unaffected


def test_the_feed_pages_signed_masked_settled_payments(resident, settings):
    settings.FEED_SIGNING_KEY = "feed-test-key-0123456789"
    paid = list(Payment.objects.filter(status=PaymentStatus.PAID).order_by("id").values_list("reference", flat=True))
    assert len(paid) == 5
    seen, cursor, pages = [], None, 0
    while True:
        response = Client().get(FEED, {"limit": 2, **({"after": cursor} if cursor else {})})
        assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=60"
        expected = hmac.new(b"feed-test-key-0123456789", response.content, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(response["X-OneCard-Signature"], f"sha256={expected}")
        text = response.content.decode()
        for person in Person.objects.all():
            assert pii.decrypt(person.id_cipher) not in text
            assert all(pii.decrypt(c.number_cipher) not in text for c in person.cards.all())
        page = json.loads(response.content)
        seen += page["items"]
        pages += 1
        cursor = page["next"]
        if cursor is None:
            break
    assert pages == 3 and [item["reference"] for item in seen] == paid
    first = seen[0]
    assert first["item"]["code"] == ITEM and first["village"]["code"] == V1 and first["amount_yuan"] == "500.00"
    assert "*" in first["name"] and "*" in first["id_number"] and "****" in first["card"]
    assert first["paid_on"] == date.today().isoformat()
    assert Client().get(FEED, {"after": "abc"}).status_code == 422
