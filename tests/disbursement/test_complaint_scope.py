"""Who reads which complaints: the provincial administrator the whole province, everyone else their own subtree;
answering stays with the region's supervisors and county staff."""

import pytest

from disbursement.accounts.roles import Role
from disbursement.complaints.models import Complaint
from disbursement.complaints.selectors import complaint_list
from disbursement.complaints.services import complaint_answer, complaint_submit
from disbursement.errors import PermissionDenied
from tests.conftest import CHANGSHA_COUNTY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.test_money_path import V1

pytestmark = pytest.mark.django_db

PROVINCE = "430000000000"


@pytest.fixture
def two_cities():
    """One complaint about a village of 湘潭县, one about 长沙县."""
    xiangtan = complaint_submit(kind="complaint", subject="湘潭的补贴迟迟未到", region_code=V1)
    changsha = complaint_submit(kind="complaint", subject="长沙的名单有误", region_code=CHANGSHA_COUNTY)
    return Complaint.objects.get(pk=xiangtan.pk), Complaint.objects.get(pk=changsha.pk)


def test_the_provincial_administrator_lists_every_complaint_of_the_province(make_user, two_cities):
    admin = make_user(Role.PROVINCE_ADMIN, PROVINCE)
    assert set(complaint_list(actor=admin)) == set(two_cities)


def test_the_provincial_administrators_page_shows_both_cities_without_an_answer_form(make_user, page_client,
                                                                                      two_cities):
    page = page_client(make_user(Role.PROVINCE_ADMIN, PROVINCE)).get("/complaints/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "湘潭的补贴迟迟未到" in html and "长沙的名单有误" in html
    assert 'name="answer"' not in html
    assert 'href="/complaints/"' in html  # the navigation links the page for this role


def test_the_provincial_administrator_reads_but_does_not_answer(make_user, two_cities):
    admin = make_user(Role.PROVINCE_ADMIN, PROVINCE)
    with pytest.raises(PermissionDenied):
        complaint_answer(actor=admin, complaint_id=two_cities[0].pk, answer="已阅")
    assert Complaint.objects.get(pk=two_cities[0].pk).answer == ""


def test_other_roles_keep_their_own_subtree(make_user, page_client, two_cities):
    xiangtan, changsha = two_cities
    assert list(complaint_list(actor=make_user(Role.SUPERVISOR, XIANGTAN_CITY))) == [xiangtan]
    assert list(complaint_list(actor=make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))) == [xiangtan]
    assert list(complaint_list(actor=make_user(Role.COUNTY_FINANCE, CHANGSHA_COUNTY))) == [changsha]
    with pytest.raises(PermissionDenied):
        complaint_list(actor=make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    supervisor_page = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY)).get("/complaints/").content.decode()
    assert "湘潭的补贴迟迟未到" in supervisor_page and "长沙的名单有误" not in supervisor_page
    assert 'name="answer"' in supervisor_page
