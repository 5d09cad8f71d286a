"""The embedded default (no Redis: CELERY_TASK_ALWAYS_EAGER) imports a large roster in a thread of the web
process, so the upload answers at once and the import page's progress bar has something to show."""

import threading
import time

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from disbursement.accounts.roles import Role
from disbursement.rosters.models import ImportJob, ImportStatus, RosterLine
from tests.conftest import YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

V1 = "430321100001"


def wait_until(predicate, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def roster_lines_locked():
    """Another session holds the roster lines table against writes, so an import that got as far as saving waits
    there; the lock goes by itself after 30 s if the upload itself were ever to wait on it."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as other:
        other.execute("SET idle_in_transaction_session_timeout = '30s'")
        other.execute(f"LOCK TABLE {RosterLine._meta.db_table} IN EXCLUSIVE MODE")
        yield other
        if not other.closed:
            other.rollback()


@pytest.mark.django_db(transaction=True)
def test_a_large_roster_is_imported_in_a_thread_and_its_progress_moves_to_accepted(
        reference_in_transactional_db, settings, make_user, api_client, roster_lines_locked):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.IMPORT_THREAD_MIN_BYTES = 2048
    client = api_client(make_user(Role.TOWNSHIP_CLERK, YISUHE_TOWN))
    content = roster_csv([roster_row(han_name("周", i, "华"), id_number(), card_number(), V1) for i in range(60)])
    assert len(content) > settings.IMPORT_THREAD_MIN_BYTES
    threads_before = set(threading.enumerate())

    response = client.post("/api/v1/rosters/imports", {
        "file": SimpleUploadedFile("large.csv", content), "item": "0604", "township": YISUHE_TOWN, "period": "2026",
    })

    assert response.status_code == 202, response.content
    job_id = response.json()["id"]
    importers = [t for t in set(threading.enumerate()) - threads_before if t.name.startswith("disbursement.rosters")]
    assert len(importers) == 1
    # The upload has answered while its import waits on the roster lines table: the page polls a job still at work.
    assert wait_until(lambda: ImportJob.objects.get(pk=job_id).status == ImportStatus.RUNNING)
    polled = client.get(f"/api/v1/rosters/imports/{job_id}").json()
    assert polled["status"] == "running" and polled["progress"]["phase"] != "done"

    roster_lines_locked.rollback()
    importers[0].join(timeout=60)
    assert not importers[0].is_alive()
    polled = client.get(f"/api/v1/rosters/imports/{job_id}").json()
    assert polled["status"] == "accepted" and polled["rows"] == 60
    assert polled["progress"] == {"phase": "done", "done": 60, "total": 60}
    assert RosterLine.objects.filter(roster_id=polled["roster_id"]).count() == 60

