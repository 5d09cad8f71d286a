"""The public supervision pages: village publicity with masked values only, the printable notice and its QR
code, open statistics with small cells suppressed, and the CSV — through the HTTP client on PostgreSQL."""

from datetime import datetime

import pytest
from django.test import Client
from django.urls import include, path
from django.utils import timezone

from disbursement import pii
from disbursement.accounts.roles import Role
from disbursement.banking.services import bank_files_generate, return_file_import
from disbursement.payments.models import Payment, PaymentStatus
from disbursement.portal import views
from disbursement.rosters.models import RosterLine, RosterStatus
from disbursement.rosters.workflow import roster_act
from tests.conftest import XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.test_bank_cycle import approved_roster, returned
from tests.disbursement.test_money_path import V1, accepted_roster, issue

urlpatterns = [path("public/", include("disbursement.portal.urls"))]

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.disbursement.test_portal_pages")]

VILLAGE_URL = f"/public/villages/{V1}/"


@pytest.fixture
def people(make_user):
    return {
        "clerk": make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN),
        "department": make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs"),
        "finance": make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY),
    }


def paid_roster(people, rows):
    roster = approved_roster(people, rows=rows)
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    return_file_import(actor=people["finance"], data=returned(bank_file, fail_rate=0.0))
    assert Payment.objects.filter(roster=roster, status=PaymentStatus.PAID).count() == rows
    return roster


def whole_numbers(roster_ids):
    """Every whole ID and card number behind the given rosters' lines, decrypted for the assertion only."""
    lines = RosterLine.objects.filter(roster_id__in=roster_ids).select_related("person", "card")
    return ([pii.decrypt(line.person.id_cipher) for line in lines]
            + [pii.decrypt(line.card.number_cipher) for line in lines])


def assert_public_cache(response):
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]


def test_the_village_page_shows_publicity_and_paid_lists_masked(people, monkeypatch):
    issue(10_000_000)
    paid = paid_roster(people, rows=3)
    publicised = roster_act(actor=people["clerk"], roster_id=accepted_roster(2).pk, action="start_publicity")
    assert publicised.status == RosterStatus.PUBLICITY
    encoded = []
    real_make = views.segno.make
    monkeypatch.setattr(views.segno, "make", lambda content, **kw: encoded.append(content) or real_make(content, **kw))

    response = Client().get(VILLAGE_URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert_public_cache(response)
    assert html.count('class="block publicity-roster"') == 1
    assert publicised.item.name in html and f"{publicised.publicity_end:%Y-%m-%d}" in html
    assert html.count("<td>孙*</td>") == 5  # two names in publicity, three paid: 孙零 → 孙*
    assert "500.00" in html and timezone.localdate().strftime("%Y-%m-%d") in html
    for line in RosterLine.objects.filter(roster__in=[paid, publicised]).select_related("person", "card"):
        assert line.person.id_masked in html and line.card.number_masked in html
    for number in whole_numbers([paid.pk, publicised.pk]):
        assert number not in html and number[6:-4] not in html  # neither whole nor its middle (the birth date)
    # The QR code encodes this page's absolute address (no query string), for the notice board.
    assert encoded == [f"http://testserver{VILLAGE_URL}"]
    assert f'data-url="http://testserver{VILLAGE_URL}"' in html and "<svg" in html


def test_the_print_page_and_the_qr_endpoint_render_without_navigation(people):
    issue(10_000_000)
    paid = paid_roster(people, rows=2)
    response = Client().get(VILLAGE_URL + "print/", {"period": paid.period, "item": paid.item_id})
    html = response.content.decode()
    assert response.status_code == 200
    assert_public_cache(response)
    assert "css/portal-print" in html and "<nav" not in html  # the print rules are a stylesheet (CSP: no inline)
    assert html.count("<tr><td>") == 2 and f'data-url="http://testserver{VILLAGE_URL}"' in html
    for number in whole_numbers([paid.pk]):
        assert number not in html
    qr = Client().get(VILLAGE_URL + "qr.svg")
    assert qr.status_code == 200 and qr["Content-Type"] == "image/svg+xml" and b"<svg" in qr.content


def test_the_township_index_links_its_villages_and_wrong_codes_are_404():
    response = Client().get(f"/public/townships/{YISUHE_TOWN}/")
    assert response.status_code == 200
    assert_public_cache(response)
    assert f'href="{VILLAGE_URL}"' in response.content.decode()
    assert Client().get(f"/public/townships/{V1}/").status_code == 404
    assert Client().get(f"/public/villages/{YISUHE_TOWN}/").status_code == 404
    assert Client().get("/public/villages/not-a-code/").status_code == 404


@pytest.fixture
def seven_paid_two_last_year(people):
    """Seven households paid: five this year (shown) and two moved to last year (fewer than 5: suppressed)."""
    issue(10_000_000)
    roster = paid_roster(people, rows=7)
    this_year = timezone.localdate().year
    last_year = timezone.make_aware(datetime(this_year - 1, 6, 1, 12))
    moved = Payment.objects.filter(roster=roster).order_by("pk").values_list("pk", flat=True)[:2]
    Payment.objects.filter(pk__in=list(moved)).update(settled_at=last_year)
    return this_year


def test_statistics_suppress_cells_under_five_households(seven_paid_two_last_year):
    this_year = seven_paid_two_last_year
    response = Client().get("/public/statistics/")
    html = response.content.decode()
    assert response.status_code == 200
    assert_public_cache(response)
    shown = f"<td>{this_year}</td>\n    <td class=\"num\">5</td><td class=\"num\">2,500.00</td>"
    hidden = f"<td>{this_year - 1}</td>\n    <td class=\"num\">&lt;5</td><td class=\"num\"></td>"
    assert shown in html and hidden in html
    assert "1,000.00" not in html and "1000.00" not in html  # the suppressed cell's amount is nowhere
    filtered = Client().get("/public/statistics/", {"year": this_year, "county": XIANGTAN_COUNTY}).content.decode()
    assert shown in filtered and str(this_year - 1) not in filtered.split('id="statistics"')[1]


def test_statistics_csv_has_a_bom_and_the_same_suppression(seven_paid_two_last_year):
    this_year = seven_paid_two_last_year
    response = Client().get("/public/statistics.csv")
    assert response.status_code == 200
    assert_public_cache(response)
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = response.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 3
    this, last = (next(r for r in rows if f",{year}," in r) for year in (this_year, this_year - 1))
    assert this.endswith(",5,2500.00") and last.endswith(",<5,")
    assert "1000.00" not in response.content.decode("utf-8-sig")
    only_last = Client().get("/public/statistics.csv", {"year": this_year - 1}).content.decode("utf-8-sig")
    assert len(only_last.splitlines()) == 2 and only_last.splitlines()[1].endswith(",<5,")
