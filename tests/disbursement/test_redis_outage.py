"""Redis stopped: nothing half-submits and nothing answers 500. A private redis-server stands in for Redis
(cache and Celery broker) and is really stopped; the shared Redis of the other tests is never touched."""

import datetime
import socket
import subprocess
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from backend.celery import app
from disbursement import pii
from disbursement.catalog.models import Item
from disbursement.notifications.models import Notice, NoticeStatus
from disbursement.notifications.services import notice_enqueue
from disbursement.registry.models import Person
from disbursement.rosters.models import ImportJob, ImportStatus
from tests.conftest import YISUHE_TOWN
from tests.factories import card_number, han_name, id_number, roster_csv, roster_row

pytestmark = pytest.mark.django_db
# Uploads publish on commit, as in production (autocommit): those tests commit for real.
committing = pytest.mark.django_db(transaction=True)


class PrivateRedis:
    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = subprocess.Popen(
            ["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        for _attempt in range(100):
            try:
                client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("the private redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def _broker_use(url: str) -> None:
    """Point the Celery app at another broker: its connection and producer pools are built afresh on the next
    publish (what Celery itself does after a fork); app.close() would also unregister the app."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def private_redis(settings):
    """Cache and Celery broker on a redis-server of this test's own, for the test to stop."""
    server = PrivateRedis()
    shared_caches, shared_broker = settings.CACHES, app.conf.broker_url
    settings.CACHES = {"default": {**shared_caches["default"], "LOCATION": server.url}}
    _broker_use(server.url)
    yield server
    server.stop()
    settings.CACHES = shared_caches
    _broker_use(shared_broker)


def _upload(client):
    content = roster_csv([roster_row("李明", id_number(), card_number(), "430321100001")])
    return client.post("/api/v1/rosters/imports", {
        "file": SimpleUploadedFile("roster.csv", content), "item": "0604", "township": YISUHE_TOWN, "period": "2026"})


@committing
def test_an_upload_is_queued_while_redis_runs(reference_in_transactional_db, private_redis, make_user, api_client):
    client = api_client(make_user("township_clerk", YISUHE_TOWN))
    response = _upload(client)
    assert response.status_code == 202
    assert redis.Redis.from_url(private_redis.url).llen("celery") == 1  # the task is on the private broker


@committing
def test_with_redis_stopped_an_api_upload_answers_503_and_its_job_fails_visibly(
        reference_in_transactional_db, private_redis, make_user, api_client):
    client = api_client(make_user("township_clerk", YISUHE_TOWN))
    private_redis.stop()

    response = _upload(client)

    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "unavailable" and "未能排队" in body["message"]
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED and job.finished_at is not None
    assert "重新上传" in job.message  # stored as the user read it, in Chinese
    assert not ImportJob.objects.filter(status=ImportStatus.QUEUED).exists()
    shown = client.get(f"/api/v1/rosters/imports/{job.pk}")
    assert shown.status_code == 200 and shown.json()["status"] == "failed"


@committing
def test_with_redis_stopped_the_upload_page_shows_the_form_error(
        reference_in_transactional_db, private_redis, make_user, page_client):
    client = page_client(make_user("township_clerk", YISUHE_TOWN))
    private_redis.stop()
    content = roster_csv([roster_row("李明", id_number(), card_number(), "430321100001")])

    response = client.post("/rosters/upload/", {
        "file": SimpleUploadedFile("roster.csv", content), "item": Item.objects.get(code="0604").pk,
        "township": YISUHE_TOWN, "period": "2026"})

    assert response.status_code == 200
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.FAILED
    assert job.message in response.content.decode()


def test_with_redis_stopped_the_public_lookup_answers_503(private_redis):
    private_redis.stop()
    response = Client(REMOTE_ADDR="10.0.0.1").post("/api/v1/public/lookup",
                                                   {"name": "王小明", "id_number": id_number()},
                                                   content_type="application/json")
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"


def test_with_redis_stopped_a_committed_notice_stays_queued_for_the_sweep(private_redis,
                                                                         django_capture_on_commit_callbacks):
    person = Person.objects.create(name="王五", id_hash=uuid.uuid4(), id_cipher="-", id_masked="430***********0001",
                                   sex="F", birth_date=datetime.date(1941, 2, 3), village_id="430321100001",
                                   phone_cipher=pii.encrypt("13807310000"), phone_masked="138****0000")
    private_redis.stop()

    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_enqueue(person_id=person.pk, kind="payment_settled", dedup_key="outage-1", text="补贴已发放。")

    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.QUEUED


def test_with_redis_stopped_sign_in_answers_503_rather_than_admitting_unthrottled_guesses(private_redis, make_user):
    clerk = make_user("township_clerk", YISUHE_TOWN)
    private_redis.stop()

    token = Client().post("/api/v1/auth/tokens", {"username": clerk.username, "password": "wrong-password-1"},
                          content_type="application/json")
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = english.post("/login/", {"username": clerk.username, "password": "wrong-password-1"})

    assert token.status_code == 503 and token.json()["code"] == "unavailable"
    assert page.status_code == 503
    assert "The service is busy" in page.content.decode()


def test_with_redis_stopped_a_bank_return_stands_and_its_notices_wait_in_the_outbox(
        private_redis, make_user, django_capture_on_commit_callbacks):
    from disbursement.banking.services import bank_files_generate, return_file_import
    from disbursement.banking.simulator import bank_simulate
    from disbursement.payments.models import BankFile
    from disbursement.rosters.services import import_job_execute, roster_import_submit
    from disbursement.rosters.workflow import roster_act
    from tests.conftest import XIANGTAN_COUNTY
    from tests.disbursement.test_money_path import issue, through_department

    people = {"clerk": make_user("township_clerk", YISUHE_TOWN),
              "department": make_user("county_department", XIANGTAN_COUNTY, department="civil_affairs"),
              "finance": make_user("county_finance", XIANGTAN_COUNTY)}
    issue(10_000_000)
    rows = [roster_row(han_name("吴", i), id_number(), card_number(), "430321100001", phone=f"1380731{i:04d}")
            for i in range(3)]
    job = roster_import_submit(actor=None, content=roster_csv(rows), file_name="r.csv", item_code="0604",
                               township_code=YISUHE_TOWN, period="2026", enqueue=False)
    roster = through_department(import_job_execute(job_id=job.pk).roster, people)
    roster_act(actor=people["finance"], roster_id=roster.pk, action="finance_approve")
    bank_file = bank_files_generate(actor=people["finance"], roster_id=roster.pk)[0]
    answer = bank_simulate(bank_file.payment_file_bytes(), fail_rate=0.0, seed=1, processed=datetime.date.today())
    private_redis.stop()

    with django_capture_on_commit_callbacks(execute=True):
        return_file_import(actor=people["finance"], data=answer)

    assert BankFile.objects.get(pk=bank_file.pk).returned_at is not None
    assert Notice.objects.filter(status=NoticeStatus.QUEUED).count() == 3
