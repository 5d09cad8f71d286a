"""The clerk's pages for a failed payment and a person: the one-step corrected card and re-issue (both or
neither, a second submit says it already happened), and the person page (payments, cards, household, register
facts, the audited reveal, the name and village corrections). Through the HTTP client, on PostgreSQL."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from disbursement import pii
from disbursement.accounts.roles import Role
from disbursement.audit.models import AuditEvent
from disbursement.budget.verification import ledger_findings
from disbursement.payments.corrections import payment_card_fix
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.registry.models import Card, DeathRecord, Household, Person
from geo.models import Region, RegionLevel
from tests.builders import failed_payments
from tests.conftest import QINGXI_TOWN, SHAOSHAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, luhn_complete

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def ledger_holds():
    yield
    assert ledger_findings() == []


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
        "supervisor": make_user(Role.SUPERVISOR, XIANGTAN_COUNTY),
        "elsewhere": make_user(Role.TOWNSHIP_CLERK, QINGXI_TOWN),
        "elsewhere_finance": make_user(Role.COUNTY_FINANCE, SHAOSHAN_CITY),
    }


def _state(failed):
    return (set(Card.objects.filter(person_id=failed.person_id).values_list("pk", "status")),
            Payment.objects.filter(previous=failed).count(),
            Payment.objects.get(pk=failed.pk).status,
            AuditEvent.objects.filter(action__in=["card.replace", "payment.reissue"]).count())


def test_the_failed_list_links_to_the_card_fix_and_the_fix_registers_and_reissues_in_one_step(people, page_client):
    lost, deceased = failed_payments(people, ["R06", "R05"])
    clerk = page_client(people["clerk"])
    roster_page = clerk.get(f"/rosters/{lost.roster_id}/").content.decode()
    assert f'href="/payments/{lost.pk}/card/"' in roster_page
    assert f'href="/payments/{deceased.pk}/card/"' not in roster_page  # R05 rules out paying again
    form = clerk.get(f"/payments/{lost.pk}/card/")
    assert form.status_code == 200 and 'id="card-fix"' in form.content.decode()
    new_number = card_number(bin_="621700")
    response = clerk.post(f"/payments/{lost.pk}/card/", {"card_number": new_number, "bank": ""}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200 and new_number not in page
    again = Payment.objects.get(previous=lost)
    assert again.status == PaymentStatus.PENDING and pii.decrypt(again.card.number_cipher) == new_number
    assert f'<strong id="reissue-card">{pii.mask_card(new_number)}</strong>' in page
    assert [m.level_tag for m in response.context["messages"]] == ["success"]
    assert [a.action for a in AuditEvent.objects.filter(
        action__in=["card.replace", "payment.reissue"]).order_by("seq")] == ["card.replace", "payment.reissue"]
    # Submitted again (the back button, a double click): nothing more happens, and the page says so.
    before = _state(lost)
    response = clerk.post(f"/payments/{lost.pk}/card/", {"card_number": card_number(bin_="621700")}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["info"]
    assert again.reference in str(list(response.context["messages"])[0])
    assert _state(lost) == before
    assert clerk.get(f"/payments/{deceased.pk}/card/").content.decode().count('id="not-fixable"') == 1


def _wrong_check_digit() -> str:
    good = luhn_complete("622848000000000123")
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def test_a_bad_card_leaves_no_card_and_no_reissue(people, page_client):
    [failed] = failed_payments(people, ["R04"])
    clerk = page_client(people["clerk"])
    before = _state(failed)
    for bad in (_wrong_check_digit(), "12345", "6228 48ab 0000 0000", "6.22848E+18", ""):
        response = clerk.post(f"/payments/{failed.pk}/card/", {"card_number": bad})
        page = response.content.decode()
        assert response.status_code == 400 and 'id="error-card_number"' in page, bad
        assert not bad or bad not in page  # the number is never echoed
        assert _state(failed) == before and before[2] == PaymentStatus.FAILED


def test_a_card_of_another_person_is_refused_and_changes_nothing(people, page_client):
    [failed] = failed_payments(people, ["R01"])
    other = Payment.objects.filter(roster_id=failed.roster_id).exclude(pk=failed.pk).first()
    before = _state(failed)
    response = page_client(people["clerk"]).post(f"/payments/{failed.pk}/card/",
                                                 {"card_number": pii.decrypt(other.card.number_cipher)})
    assert response.status_code == 400 and 'id="error-card_number"' in response.content.decode()
    assert _state(failed) == before


def test_the_card_fix_page_obeys_roles_and_jurisdiction(people, page_client):
    [failed] = failed_payments(people, ["R04"])
    url = f"/payments/{failed.pk}/card/"
    new_number = card_number(bin_="621700")
    for who in ("department", "supervisor"):
        assert page_client(people[who]).get(url).status_code == 403
        assert page_client(people[who]).post(url, {"card_number": new_number}).status_code == 403
    for who in ("elsewhere", "elsewhere_finance"):
        assert page_client(people[who]).get(url).status_code == 404
        assert page_client(people[who]).post(url, {"card_number": new_number}).status_code == 404
    assert page_client(people["clerk"]).get("/payments/999999999/card/").status_code == 404
    assert not Payment.objects.filter(previous=failed).exists()
    # County finance handles failed payments too.
    assert page_client(people["finance"]).post(url, {"card_number": new_number}).status_code == 302
    assert Payment.objects.get(previous=failed).card_masked == pii.mask_card(new_number)


def test_the_person_page_shows_payments_cards_household_and_register_facts(people, page_client):
    [failed] = failed_payments(people, ["R04"])
    person = Person.objects.get(pk=failed.person_id)
    household = Household.objects.create(village_id=person.village_id, group="一组", head=person)
    partner = Person.objects.filter(village_id=person.village_id).exclude(pk=person.pk).first()
    Person.objects.filter(pk__in=[person.pk, partner.pk]).update(household=household)
    DeathRecord.objects.create(id_hash=person.id_hash, id_masked=person.id_masked, name=person.name,
                               scope_id=YISUHE_TOWN, died_on=timezone.localdate(), source="民政殡葬")
    page = page_client(people["clerk"]).get(f"/registry/persons/{person.pk}/").content.decode()
    assert f'id="payment-{failed.pk}" data-status="failed"' in page and "R04" in page
    assert f'href="/payments/{failed.pk}/card/"' in page
    assert failed.card_masked in page and pii.decrypt(failed.card.number_cipher) not in page
    assert f'href="/registry/persons/{partner.pk}/"' in page and partner.id_masked in page
    assert 'data-kind="deaths"' in page and "民政殡葬" in page
    assert pii.decrypt(person.id_cipher) not in page
    # A supervisor sees the page without the reveal and the corrections.
    supervised = page_client(people["supervisor"]).get(f"/registry/persons/{person.pk}/").content.decode()
    assert 'id="reveal"' not in supervised and 'id="village"' not in supervised and 'id="rename"' not in supervised
    assert page_client(people["elsewhere"]).get(f"/registry/persons/{person.pk}/").status_code == 404


def test_the_reveal_button_shows_the_whole_number_once_and_is_audited(people, page_client):
    [failed] = failed_payments(people, ["R04"])
    person = Person.objects.get(pk=failed.person_id)
    clerk = page_client(people["clerk"])
    assert 'id="reveal"' in clerk.get(f"/registry/persons/{person.pk}/").content.decode()
    response = clerk.post(f"/registry/persons/{person.pk}/reveal/", {"field": "id_number"})
    assert response.status_code == 200 and pii.decrypt(person.id_cipher) in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="pii.reveal", detail__field="id_number").count() == 1
    assert pii.decrypt(person.id_cipher) not in clerk.get(f"/registry/persons/{person.pk}/").content.decode()
    assert page_client(people["supervisor"]).post(f"/registry/persons/{person.pk}/reveal/",
                                                  {"field": "id_number"}).status_code == 403
    assert page_client(people["elsewhere"]).post(f"/registry/persons/{person.pk}/reveal/",
                                                 {"field": "id_number"}).status_code == 404
    assert clerk.post(f"/registry/persons/{person.pk}/reveal/", {"field": "password"}).status_code == 404
    assert AuditEvent.objects.filter(action="pii.reveal").count() == 1


def test_the_clerk_corrects_the_village_audited_within_the_township(people, page_client):
    [failed] = failed_payments(people, ["R04"])
    person = Person.objects.get(pk=failed.person_id)
    clerk = page_client(people["clerk"])
    target = (Region.objects.filter(level=RegionLevel.VILLAGE).within(YISUHE_TOWN)
              .exclude(code=person.village_id).order_by("code").first())
    page = clerk.get(f"/registry/persons/{person.pk}/").content.decode()
    assert f'<option value="{target.code}">' in page
    assert Region.objects.filter(level=RegionLevel.VILLAGE).within(QINGXI_TOWN).first().code not in page
    url = f"/registry/persons/{person.pk}/"
    refused = clerk.post(url, {"form": "village", "village": target.code, "group": "三组", "reason": ""})
    assert refused.status_code == 400 and 'id="error-reason"' in refused.content.decode()
    outside = Region.objects.filter(level=RegionLevel.VILLAGE).within(QINGXI_TOWN).first()
    refused = clerk.post(url, {"form": "village", "village": outside.code, "group": "", "reason": "核对户口簿"})
    assert refused.status_code == 400 and 'id="error-village"' in refused.content.decode()
    assert Person.objects.get(pk=person.pk).village_id == person.village_id
    assert clerk.post(url, {"form": "village", "village": target.code, "group": "三组",
                            "reason": "核对户口簿"}).status_code == 302
    person.refresh_from_db()
    assert (person.village_id, person.group) == (target.code, "三组")
    failed.refresh_from_db()
    assert failed.village_id != target.code  # the payment keeps the village it was approved with
    [event] = AuditEvent.objects.filter(action="person.village")
    assert event.detail["new_village"] == target.code and event.detail["reason"] == "核对户口簿"
    # The same again records nothing; other roles may not.
    clerk.post(url, {"form": "village", "village": target.code, "group": "三组", "reason": "核对户口簿"})
    assert AuditEvent.objects.filter(action="person.village").count() == 1
    assert page_client(people["finance"]).post(url, {"form": "village", "village": target.code, "group": "",
                                                      "reason": "x"}).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_the_card_fix_submitted_twice_at_once_does_it_once_and_tells_the_second(reference_in_transactional_db,
                                                                                 people):
    [failed] = failed_payments(people, ["R06"])
    new_number = card_number(bin_="621700")
    outcomes, barrier = [], threading.Barrier(2)

    def submit():
        barrier.wait()
        try:
            fix = payment_card_fix(actor=people["clerk"], payment_id=failed.pk, card_number=new_number)
            outcomes.append((fix.reissue.reference, fix.already))
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2 and outcomes[0][0] == outcomes[1][0]
    assert sorted(already for _reference, already in outcomes) == [False, True]
    assert Payment.objects.filter(previous=failed).count() == 1
    assert AuditEvent.objects.filter(action="card.replace").count() == 1
