"""No page sends the browser off the site, whatever `next` says: our own forms (disbursement.redirects) and
Django's login, logout and language switch, each with an off-site, a scheme-relative and a good local `next`."""

import pytest
from django.test import Client

from disbursement.accounts.roles import Role
from disbursement.payments.models import Payment
from disbursement.rosters.workflow import roster_act
from tests.builders import accepted_roster, issue, through_department
from tests.conftest import PASSWORD, XIANGTAN_COUNTY, YISUHE_TOWN

pytestmark = pytest.mark.django_db

OFF_SITE = ("https://evil.example/phish", "//evil.example/phish", "http://evil.example", "///evil.example",
            "https:evil.example", "javascript:alert(1)", "/\\evil.example")
LOCAL = "/payments/?status=failed"


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }


@pytest.fixture
def payment(people):
    issue(1_000_000)
    roster = through_department(accepted_roster(1), people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    return Payment.objects.get(roster=roster)


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_payment_form_never_redirects_off_site(target, payment, people, page_client):
    response = page_client(people["clerk"]).post(f"/payments/{payment.pk}/act/", {"action": "return",
                                                                                   "next": target})
    assert response.status_code == 302 and response["Location"] == "/payments/"


def test_the_payment_form_returns_to_a_local_next(payment, people, page_client):
    response = page_client(people["clerk"]).post(f"/payments/{payment.pk}/act/", {"action": "return",
                                                                                   "next": LOCAL})
    assert response.status_code == 302 and response["Location"] == LOCAL


def test_a_bare_word_as_next_is_a_local_path_not_a_server_error(payment, people, page_client):
    response = page_client(people["clerk"]).post(f"/payments/{payment.pk}/act/", {"action": "return",
                                                                                   "next": "nonsense"})
    assert response.status_code == 302 and "evil" not in response["Location"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_redirects_off_site(target, people):
    response = Client().post(f"/login/?next={target}", {"username": people["clerk"].username, "password": PASSWORD,
                                                        "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_sign_in_returns_to_a_local_next(people):
    response = Client().post("/login/", {"username": people["clerk"].username, "password": PASSWORD,
                                         "next": LOCAL})
    assert response.status_code == 302 and response["Location"] == LOCAL


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_out_never_redirects_off_site(target, people, page_client):
    response = page_client(people["clerk"]).post("/logout/", {"next": target})
    assert response.status_code == 302 and "evil" not in response["Location"]
    assert response["Location"] in ("/login/", "/logout/")


def test_sign_out_returns_to_a_local_next(people, page_client):
    response = page_client(people["clerk"]).post("/logout/", {"next": LOCAL})
    assert response.status_code == 302 and response["Location"] == LOCAL


@pytest.mark.parametrize("target", OFF_SITE)
def test_the_language_switch_never_redirects_off_site(target):
    response = Client().post("/i18n/setlang/", {"language": "en", "next": target},
                             HTTP_REFERER="https://evil.example/referer")
    assert response.status_code == 302 and response["Location"] == "/"


def test_the_language_switch_returns_to_a_local_next():
    response = Client().post("/i18n/setlang/", {"language": "en", "next": "/public/"})
    assert response.status_code == 302 and response["Location"] == "/public/"
