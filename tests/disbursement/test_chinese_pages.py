"""Pages speak words, not codes, in one clock, link only where the user may go, and fail in the site's layout:
the payment trace, the import's error table, region breadcrumbs, the error pages and repeated actions."""

import re
from datetime import UTC

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone, translation

from backend.error_views import server_error
from disbursement.accounts.roles import Role
from disbursement.banking.codes import REASONS
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.banking.simulator import bank_simulate
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.services import card_replace
from disbursement.rosters.models import RosterApproval
from disbursement.rosters.services import import_job_execute, roster_import_submit
from disbursement.rosters.workflow import STEPS, roster_act
from tests.builders import ITEM, V1, accepted_roster, issue, through_department
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }


def _failed_payment(people) -> Payment:
    issue(10_000_000)
    roster = through_department(accepted_roster(4), people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    for bank_file in bank_files_generate(actor=people["finance"], roster_id=roster.pk):
        return_file_import(actor=people["finance"], data=bank_simulate(
            bank_file.payment_file_bytes(), fail_rate=1.0, seed=2, processed=timezone.localdate()))
    return Payment.objects.filter(roster=roster, status=PaymentStatus.FAILED).first()


def _text(html: str) -> str:
    """What a reader sees: the page without its tags (attributes such as data-action are not text)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_the_trace_names_workflow_steps_and_the_bank_reason_in_words(people, page_client):
    payment = _failed_payment(people)
    html = page_client(people["clerk"]).get(reverse("payment-trace", args=[payment.reference])).content.decode()
    text = _text(html)
    for action in STEPS:
        assert action not in text
    assert 'data-action="start_publicity"' in html  # the step is there, named in words
    assert f"{payment.result_code} {REASONS[payment.result_code].label_zh}" in text
    assert 'data-status="failed"' in html and "failed" not in text


def test_the_trace_shows_approval_times_in_shanghai_time(people, page_client):
    payment = _failed_payment(people)
    approval = RosterApproval.objects.filter(roster=payment.roster, action="finance_approve").get()
    html = page_client(people["finance"]).get(reverse("payment-trace", args=[payment.reference])).content.decode()
    shanghai = timezone.localtime(approval.at).strftime("%Y-%m-%d %H:%M")
    utc = approval.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    assert f"<time>{shanghai}</time>" in html
    assert utc not in html


def test_import_errors_name_the_files_column(people, page_client):
    rows = [roster_row(han_name("孙", 1), id_number(), card_number(), V1),
            roster_row(han_name("孙", 2), "430321198001011234", card_number(), V1)]  # wrong check digit
    job = roster_import_submit(actor=None, content=roster_csv(rows), file_name="r.csv", item_code=ITEM,
                               township_code=YISUHE_TOWN, period="2026", enqueue=False)
    job = import_job_execute(job_id=job.pk)
    assert job.errors and job.errors[0]["field"] == "id_number"
    html = page_client(people["clerk"]).get(reverse("import-detail", args=[job.pk])).content.decode()
    table = html[html.index('id="errors"'):]
    assert 'data-field="id_number">身份证号</td>' in table
    assert ">id_number<" not in table


def test_breadcrumbs_link_only_regions_the_user_may_see(people, page_client):
    html = page_client(people["clerk"]).get(reverse("region-detail", args=[V1])).content.decode()
    crumbs = html[html.index('class="breadcrumb"'):html.index("</ol>")]
    assert f'href="{reverse("region-detail", args=[YISUHE_TOWN])}"' in crumbs
    for above in ("430000000000", "430300000000", XIANGTAN_COUNTY):
        assert reverse("region-detail", args=[above]) not in crumbs
        assert page_client(people["clerk"]).get(reverse("region-detail", args=[above])).status_code == 404
    assert "湖南省" in crumbs and "湘潭市" in crumbs and "湘潭县" in crumbs


def _error_page(response, status: int) -> str:
    html = response.content.decode()
    assert response.status_code == status
    assert f'id="error-page" data-status="{status}"' in html
    assert 'lang="zh-hans"' in html and 'class="top"' in html and 'rel="icon"' in html  # the site's layout
    return html


def test_error_pages_use_the_sites_layout_in_chinese(people, page_client):
    signed_in = page_client(people["clerk"])
    html = _error_page(signed_in.get("/no-such-page/"), 404)
    assert people["clerk"].username in html  # the layout knows who is signed in
    _error_page(Client(HTTP_HOST="attacker.example").get("/login/"), 400)
    guarded = Client(enforce_csrf_checks=True)
    guarded.force_login(people["clerk"])
    _error_page(guarded.post(reverse("logout")), 403)  # a CSRF failure, not Django's English page
    with translation.override("zh-hans"):  # what LanguageMiddleware does around the handler in a request
        _error_page(server_error(RequestFactory().get("/")), 500)


def test_the_favicon_is_served(people, page_client):
    response = Client().get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith(".svg")


def test_repeating_a_step_says_it_had_been_taken(people, page_client):
    roster = accepted_roster(2)
    client = page_client(people["clerk"])
    url = reverse("roster-act", args=[roster.pk])
    first = client.post(url, {"action": "start_publicity"}, follow=True).content.decode()
    again = client.post(url, {"action": "start_publicity"}, follow=True).content.decode()
    assert 'data-level="success"' in first and 'data-level="info"' not in first
    assert 'data-level="info"' in again and 'data-level="success"' not in again
    assert RosterApproval.objects.filter(roster=roster, action="start_publicity").count() == 1
    assert 'data-action="start_publicity"' in again and "start_publicity" not in _text(again)  # history in words


def test_re_issuing_twice_says_the_payment_had_been_re_issued(people, page_client):
    payment = _failed_payment(people)
    card_replace(actor=people["clerk"], person_id=payment.person_id, card_number=card_number(), bank="中国农业银行")
    client = page_client(people["clerk"])
    url = reverse("payment-act", args=[payment.pk])
    first = client.post(url, {"action": "reissue"}, follow=True).content.decode()
    again = client.post(url, {"action": "reissue"}, follow=True).content.decode()
    assert 'data-level="success"' in first
    assert 'data-level="info"' in again and 'data-level="success"' not in again
    assert Payment.objects.filter(previous=payment).count() == 1
