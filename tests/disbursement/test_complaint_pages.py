"""Complaints through the project's own API and pages: the resident submits, the region's supervisor answers,
an objection shows on the roster page of its approvers."""

import pytest

from disbursement.accounts.roles import Role
from disbursement.complaints.models import Complaint
from disbursement.rosters.workflow import roster_act
from tests.conftest import SHAOSHAN_CITY, XIANGTAN_CITY, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.disbursement.test_money_path import V1, accepted_roster

pytestmark = pytest.mark.django_db


def test_a_complaint_is_answered_on_the_supervisors_page_and_read_by_the_resident(make_user, page_client, client):
    created = client.post("/api/v1/public/complaints",
                          {"kind": "complaint", "subject": "低保发放有误", "region_code": V1},
                          content_type="application/json")
    assert created.status_code == 201
    number = created.json()["tracking_number"]
    supervisor = page_client(make_user(Role.SUPERVISOR, XIANGTAN_CITY))
    page = supervisor.get("/complaints/").content.decode()
    assert "低保发放有误" in page and number not in page  # staff never see the resident's key
    complaint = Complaint.objects.get(tracking_number=number)
    supervisor.post("/complaints/", {"complaint": complaint.pk, "answer": "已转乡镇核实。"})
    tracked = client.post("/api/v1/public/complaints/track", {"tracking_number": number},
                          content_type="application/json").json()
    assert tracked["status"] == "answered" and tracked["answer"] == "已转乡镇核实。"
    elsewhere = page_client(make_user(Role.SUPERVISOR, SHAOSHAN_CITY)).get("/complaints/").content.decode()
    assert "低保发放有误" not in elsewhere


def test_an_objection_shows_on_the_roster_page_of_its_approvers(make_user, page_client, client):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    roster = accepted_roster(1)
    roster_act(actor=clerk, roster_id=roster.pk, action="start_publicity")
    response = client.post("/api/v1/public/complaints", {"kind": "objection", "subject": "名单中有人已去世",
                                                         "roster_id": roster.pk}, content_type="application/json")
    assert response.status_code == 201
    department = make_user(Role.COUNTY_DEPARTMENT, XIANGTAN_COUNTY, department="civil_affairs")
    page = page_client(department).get(f"/rosters/{roster.pk}/").content.decode()
    assert 'id="objections"' in page and "名单中有人已去世" in page
