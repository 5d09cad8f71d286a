"""Publicity (公示) runs from the moment the roster is published, by the system's clock: a typed date cannot
shorten it, township approval waits for its end, and an open objection holds approval until answered."""

import time
from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from disbursement.accounts.roles import Role
from disbursement.complaints.models import Complaint
from disbursement.complaints.services import complaint_answer, complaint_submit
from disbursement.errors import Conflict
from disbursement.rosters.models import Roster, RosterStatus
from disbursement.rosters.workflow import roster_act
from tests.builders import V1, accepted_roster, publicity_passed, race
from tests.conftest import XIANGTAN_CITY, YISUHE_TOWN

pytestmark = pytest.mark.django_db

ACTIONS = "/api/v1/rosters/{}/actions"


@pytest.fixture
def clerk(make_user):
    return make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)


def _local(year, month, day, hour=0, minute=0) -> datetime:
    return timezone.make_aware(datetime(year, month, day, hour, minute))


@pytest.mark.parametrize("field", ["publicity_start", "notice_posted_on"])
def test_a_back_dated_notice_does_not_shorten_publicity_and_approval_at_once_is_409(field, clerk, api_client):
    roster = accepted_roster(2)
    client = api_client(clerk)
    before = timezone.now()
    started = client.post(ACTIONS.format(roster.pk), {"action": "start_publicity", field: "2000-01-01"},
                          content_type="application/json")
    assert started.status_code == 200, started.content
    body = started.json()
    assert body["status"] == "publicity" and body["notice_posted_on"] == "2000-01-01"
    published = datetime.fromisoformat(body["publicity_started_at"])
    assert before <= published <= timezone.now()
    # 0604 is publicised for 5 days: the rest of the publishing day, then five full days.
    assert body["publicity_end"] == str(timezone.localdate(published) + timedelta(days=5))
    time.sleep(0.2)
    refused = client.post(ACTIONS.format(roster.pk), {"action": "township_approve"}, content_type="application/json")
    assert refused.status_code == 409
    assert refused.json()["code"] == "conflict" and body["publicity_end"] in refused.json()["message"]
    assert Roster.objects.get(pk=roster.pk).status == RosterStatus.PUBLICITY


def test_a_notice_dated_in_the_future_is_refused(clerk, api_client):
    roster = accepted_roster(1)
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = api_client(clerk).post(ACTIONS.format(roster.pk), {"action": "start_publicity",
                                                                  "notice_posted_on": str(tomorrow)},
                                      content_type="application/json")
    assert response.status_code == 422 and response.json()["field"] == "notice_posted_on"
    assert Roster.objects.get(pk=roster.pk).status == RosterStatus.VALIDATED


def test_township_approval_opens_at_midnight_after_the_last_full_day(clerk):
    roster = accepted_roster(1)
    published = roster_act(actor=clerk, roster_id=roster.pk, action="start_publicity",
                           now=_local(2026, 11, 29, 16, 40))
    assert published.publicity_end == date(2026, 12, 4)
    with pytest.raises(Conflict, match="until the end of 2026-12-04"):
        roster_act(actor=clerk, roster_id=roster.pk, action="township_approve", now=_local(2026, 12, 4, 23, 59))
    approved = roster_act(actor=clerk, roster_id=roster.pk, action="township_approve", now=_local(2026, 12, 5))
    assert approved.status == RosterStatus.TOWNSHIP_APPROVED


def test_an_open_objection_holds_township_approval_and_answering_it_releases(clerk, make_user):
    roster = accepted_roster(1)
    publicity_passed(roster, clerk)  # the window has passed: only the objections stand in the way
    for text in ("名单里有已去世的人。", "本组有人未列入名单。"):
        complaint_submit(kind="objection", subject=text, roster_id=roster.pk)
    with pytest.raises(Conflict, match="2 objection"):
        roster_act(actor=clerk, roster_id=roster.pk, action="township_approve")
    supervisor = make_user(Role.SUPERVISOR, XIANGTAN_CITY)
    first, second = roster.complaints.order_by("id")
    complaint_answer(actor=supervisor, complaint_id=first.pk, answer="已核实，名单无误。")
    with pytest.raises(Conflict, match="1 objection"):
        roster_act(actor=clerk, roster_id=roster.pk, action="township_approve")
    complaint_answer(actor=supervisor, complaint_id=second.pk, answer="已补录。")
    approved = roster_act(actor=clerk, roster_id=roster.pk, action="township_approve")
    assert approved.status == RosterStatus.TOWNSHIP_APPROVED


def test_the_open_objection_is_named_in_the_api_refusal(clerk, api_client):
    roster = accepted_roster(1)
    publicity_passed(roster, clerk)
    complaint_submit(kind="objection", subject="金额不对。", roster_id=roster.pk)
    refused = api_client(clerk).post(ACTIONS.format(roster.pk), {"action": "township_approve"},
                                     content_type="application/json")
    assert refused.status_code == 409 and "1 条公示异议" in refused.json()["message"]
    state = api_client(clerk).get(f"/api/v1/rosters/{roster.pk}/workflow").json()
    assert "township_approve" not in state["next_actions"]


def test_the_roster_page_and_the_portal_show_the_enforced_window(clerk, page_client):
    roster = accepted_roster(2)
    published = roster_act(actor=clerk, roster_id=roster.pk, action="start_publicity",
                           notice_posted_on=timezone.localdate() - timedelta(days=30))
    start = timezone.localtime(published.publicity_started_at)
    end = f"{published.publicity_end:%Y-%m-%d}"
    page = page_client(clerk).get(f"/rosters/{roster.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{start:%Y-%m-%d %H:%M} 发布，公示至 {end} 结束" in page  # the UI's default language
    assert f"{published.notice_posted_on:%Y-%m-%d}" in page  # shown, as information
    portal = Client().get(f"/public/villages/{V1}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{start:%Y-%m-%d} – {end}" in portal
    assert f"{published.notice_posted_on:%Y-%m-%d}" not in portal


@pytest.mark.django_db(transaction=True)
def test_an_objection_racing_the_approval_is_either_counted_or_refused(reference_in_transactional_db, make_user):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    for _ in range(5):
        roster = accepted_roster(1)
        publicity_passed(roster, clerk)
        approve, object_ = race([
            lambda r=roster: roster_act(actor=clerk, roster_id=r.pk, action="township_approve"),
            lambda r=roster: complaint_submit(kind="objection", subject="名单有误。", roster_id=r.pk),
        ])
        approved = Roster.objects.get(pk=roster.pk).status == RosterStatus.TOWNSHIP_APPROVED
        objected = Complaint.objects.filter(roster=roster).exists()
        # Never both: an approved roster with an objection nobody could weigh.
        assert (approve, object_, approved, objected) in [("ok", "ValidationFailed", True, False),
                                                          ("Conflict", "ok", False, True)]
