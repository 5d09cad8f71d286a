"""Roster upload through the API and pages, progress, scoping, masking, and a real Celery worker."""

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from disbursement.accounts.roles import Role
from disbursement.audit.models import AuditEvent
from disbursement.rosters.models import ImportJob, ImportStatus, Roster, RosterLine
from disbursement.rosters.services import import_job_execute, roster_import_submit
from tests.conftest import QINGXI_TOWN, TANJIASHAN_TOWN, XIANGTAN_COUNTY, YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

V1 = "430321100001"


def rows(n=3):
    return [roster_row(han_name("李", i, "明"), id_number(), card_number(), V1, phone="13807311234") for i in range(n)]


def upload(client, content, *, item="0604", township=YISUHE_TOWN, period="2026", name="roster.csv"):
    return client.post("/api/v1/rosters/imports", {
        "file": SimpleUploadedFile(name, content), "item": item, "township": township, "period": period,
    })


@pytest.mark.django_db
def test_a_clerk_uploads_through_the_api_and_reads_the_roster_masked(make_user, api_client,
                                                                     django_capture_on_commit_callbacks):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    client = api_client(clerk)
    content = roster_csv(rows(3))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client, content)
    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    assert response.json()["status"] == "queued"
    assert len(callbacks) == 1  # the task is enqueued only once the upload is committed
    import_job_execute(job_id=job_id)
    job = client.get(f"/api/v1/rosters/imports/{job_id}").json()
    assert job["status"] == "accepted" and job["rows"] == 3 and job["progress"]["phase"] == "done"
    roster = client.get(f"/api/v1/rosters/{job['roster_id']}").json()
    assert roster["total_yuan"] == "1500.00"
    assert roster["villages"][0]["village"] == V1 and roster["villages"][0]["lines"] == 3
    lines = client.get(f"/api/v1/rosters/{job['roster_id']}/lines").json()["items"]
    body = str(lines)
    assert lines[0]["name"] == "李*明"
    for secret in [r[1] for r in rows(0)] + ["13807311234"]:
        assert secret not in body
    assert all("*" in line["id_number"] and "****" in line["card_number"] for line in lines)


@pytest.mark.django_db
def test_a_clerk_cannot_upload_for_another_township_nor_see_its_rosters(make_user, api_client):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    other_clerk = make_user(Role.TOWNSHIP_CLERK, TANJIASHAN_TOWN)
    response = upload(api_client(clerk), roster_csv(rows(1)), township=TANJIASHAN_TOWN)
    assert response.status_code == 403
    assert ImportJob.objects.count() == 0
    job = roster_import_submit(actor=other_clerk, content=roster_csv(
        [roster_row("王一", id_number(), card_number(), "430321102006")]), file_name="r.csv", item_code="0604",
        township_code=TANJIASHAN_TOWN, period="2026", enqueue=False)
    job = import_job_execute(job_id=job.pk)
    assert job.status == ImportStatus.ACCEPTED, job.errors
    client = api_client(clerk)
    assert client.get(f"/api/v1/rosters/imports/{job.pk}").status_code == 404
    assert client.get(f"/api/v1/rosters/{job.roster_id}").status_code == 404
    assert client.get("/api/v1/rosters").json()["count"] == 0
    county = api_client(make_user(Role.COUNTY_FINANCE, XIANGTAN_COUNTY))
    assert county.get(f"/api/v1/rosters/{job.roster_id}").status_code == 200
    elsewhere = api_client(make_user(Role.COUNTY_FINANCE, "430382000000"))
    assert elsewhere.get(f"/api/v1/rosters/{job.roster_id}").status_code == 404


@pytest.mark.django_db
def test_a_rejected_upload_offers_its_error_report(make_user, api_client, page_client):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    bad = rows(2)
    bad[1][8] = "1.00"
    job = roster_import_submit(actor=clerk, content=roster_csv(bad), file_name="bad.csv", item_code="0604",
                               township_code=YISUHE_TOWN, period="2026", enqueue=False)
    import_job_execute(job_id=job.pk)
    body = api_client(clerk).get(f"/api/v1/rosters/imports/{job.pk}").json()
    assert body["status"] == "rejected" and body["error_count"] == 1
    assert body["errors"][0] | {"message": ""} == {"row": 2, "field": "amount", "code": "mismatch", "message": ""}
    report = api_client(clerk).get(body["report_url"])
    assert report.status_code == 200
    assert report["Content-Disposition"].startswith("attachment")
    page = page_client(clerk).get(f"/imports/{job.pk}/")
    assert page.status_code == 200
    assert "下载错误报告" in page.content.decode()
    stranger = make_user(Role.TOWNSHIP_CLERK, TANJIASHAN_TOWN)
    assert page_client(stranger).get(f"/imports/{job.pk}/report/").status_code == 404


@pytest.mark.django_db
def test_whole_numbers_are_revealed_only_to_clerk_and_county_finance_and_every_view_is_audited(make_user,
                                                                                                api_client):
    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    data = rows(1)
    job = roster_import_submit(actor=clerk, content=roster_csv(data), file_name="r.csv", item_code="0604",
                               township_code=YISUHE_TOWN, period="2026", enqueue=False)
    person_id = RosterLine.objects.get(roster=import_job_execute(job_id=job.pk).roster).person_id
    client = api_client(clerk)
    found = client.post("/api/v1/registry/persons/lookup", {"id_number": data[0][1]},
                        content_type="application/json")
    assert found.status_code == 200 and found.json()["id"] == person_id
    assert data[0][1] not in found.content.decode()
    revealed = client.post(f"/api/v1/registry/persons/{person_id}/reveal", {"field": "id_number"},
                           content_type="application/json")
    assert revealed.json()["value"] == data[0][1]
    card = client.post(f"/api/v1/registry/persons/{person_id}/reveal", {"field": "card_number"},
                       content_type="application/json")
    assert card.json()["value"] == data[0][2]
    events = AuditEvent.objects.filter(action="pii.reveal", object_id=str(person_id))
    assert [e.detail["field"] for e in events.order_by("id")] == ["id_number", "card_number"]
    assert all(e.actor_id == clerk.pk for e in events)
    assert data[0][1] not in str([e.detail for e in events])
    supervisor = api_client(make_user(Role.SUPERVISOR, XIANGTAN_COUNTY))
    denied = supervisor.post(f"/api/v1/registry/persons/{person_id}/reveal", {"field": "id_number"},
                             content_type="application/json")
    assert denied.status_code == 403
    other_clerk = api_client(make_user(Role.TOWNSHIP_CLERK, QINGXI_TOWN))
    assert other_clerk.post(f"/api/v1/registry/persons/{person_id}/reveal", {"field": "id_number"},
                            content_type="application/json").status_code == 404
    assert events.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_imports_racing_for_the_same_people_accept_exactly_one(reference_in_transactional_db):
    people = rows(50)
    jobs = [
        roster_import_submit(actor=None, content=roster_csv(people, encoding), file_name=f"r{i}.csv",
                             item_code="0604", township_code=YISUHE_TOWN, period="2026", enqueue=False)
        for i, encoding in enumerate(["utf-8", "gbk"])
    ]
    barrier = threading.Barrier(2)

    def run(job_id):
        barrier.wait()
        try:
            import_job_execute(job_id=job_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job.pk,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    statuses = sorted(ImportJob.objects.values_list("status", flat=True))
    assert statuses == [ImportStatus.ACCEPTED, ImportStatus.REJECTED]
    assert Roster.objects.count() == 1
    assert RosterLine.objects.count() == 50


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_runs_the_import_from_the_redis_broker(reference_in_transactional_db, make_user,
                                                                       api_client):
    from celery.contrib.testing.worker import start_worker

    from backend.celery import app

    clerk = make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN)
    client = api_client(clerk)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        response = upload(client, roster_csv(rows(5)))
        assert response.status_code == 202
        job_id = response.json()["id"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            state = client.get(f"/api/v1/rosters/imports/{job_id}").json()
            if state["status"] in ("accepted", "rejected", "failed"):
                break
            time.sleep(0.2)
    assert state["status"] == "accepted", state
    assert Roster.objects.get(pk=state["roster_id"]).line_count == 5
