"""Notices to residents: the outbox, sending (by a real Celery worker too), retries, masking, the sweep."""

import datetime
import logging
import threading
import time
import uuid

import pytest
from celery.signals import before_task_publish
from django.db import connection
from django.utils import timezone

from disbursement import pii
from disbursement.errors import ValidationFailed
from disbursement.notifications import services
from disbursement.notifications.models import Notice, NoticeStatus
from disbursement.notifications.senders import LogSender, Sender, SendError
from disbursement.notifications.services import (
    notice_enqueue,
    notices_enqueue_many,
    notices_requeue,
    notices_send,
)
from disbursement.registry.models import Person

V1 = "430321100001"
PHONE = "13807311234"
TEXT = "您的高龄津贴 2026年11月 50.00元已发放到尾号1234的社保卡"


class RecordingSender(Sender):
    """Delivers nothing and remembers what it was asked to send."""

    sent: list[tuple[str, str]] = []
    lock = threading.Lock()

    def send(self, phone: str, text: str) -> None:
        with self.lock:
            self.sent.append((phone, text))


class FailingSender(Sender):
    """A gateway that always refuses, and (like real ones) echoes the number in its error."""

    calls = 0

    def send(self, phone: str, text: str) -> None:
        FailingSender.calls += 1
        raise SendError(f"gateway refused {phone}: quota exceeded")


@pytest.fixture
def recording(settings):
    settings.NOTIFICATION_SENDER = f"{__name__}.RecordingSender"
    RecordingSender.sent = []
    return RecordingSender.sent


@pytest.fixture
def failing(settings):
    settings.NOTIFICATION_SENDER = f"{__name__}.FailingSender"
    FailingSender.calls = 0
    return FailingSender


def persons_make(count: int, *, with_phone: bool = True) -> list[Person]:
    phones = [f"1380731{i:04d}" for i in range(count)] if with_phone else [""] * count
    ciphers = pii.encrypt_many(phones) if with_phone else [""] * count
    return Person.objects.bulk_create([
        Person(name=f"李{i}明", id_hash=uuid.uuid4(), id_cipher="-", id_masked="430***********0000", sex="M",
               birth_date=datetime.date(1940, 1, 1), village_id=V1, phone_cipher=cipher,
               phone_masked=pii.mask_phone(phone) if phone else "")
        for i, (phone, cipher) in enumerate(zip(phones, ciphers, strict=True))
    ])


def person_with_phone(phone: str = PHONE) -> Person:
    return Person.objects.create(name="王五", id_hash=uuid.uuid4(), id_cipher="-", id_masked="430***********0001",
                                 sex="F", birth_date=datetime.date(1941, 2, 3), village_id=V1,
                                 phone_cipher=pii.encrypt(phone), phone_masked=pii.mask_phone(phone))


def rows_for(persons, prefix="P-1"):
    return [{"person_id": p.pk, "kind": "payment_settled", "dedup_key": f"{prefix}-{p.pk}", "text": TEXT}
            for p in persons]


def wait_for(predicate, seconds: float = 60.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.django_db
def test_enqueueing_twice_with_one_dedup_key_writes_one_notice_and_sends_once(recording,
                                                                              django_capture_on_commit_callbacks):
    person = person_with_phone()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = notice_enqueue(person_id=person.pk, kind="payment_settled", dedup_key="P17-3-1", text=TEXT)
        second = notice_enqueue(person_id=person.pk, kind="payment_settled", dedup_key="P17-3-1", text=TEXT)
    assert first.pk == second.pk and Notice.objects.count() == 1
    assert len(callbacks) == 1  # only the notice written now is handed to the broker, after commit
    assert first.status == NoticeStatus.QUEUED and first.phone_masked == "138****1234"
    assert pii.decrypt(first.phone_cipher) == PHONE
    # The task delivered twice (acks_late redelivery): the second claims nothing.
    assert notices_send(notice_ids=[first.pk]).sent == [first.pk]
    assert notices_send(notice_ids=[first.pk]).sent == []
    assert recording == [(PHONE, TEXT)]
    notice = Notice.objects.get()
    assert notice.status == NoticeStatus.SENT and notice.attempts == 1 and notice.sent_at is not None


@pytest.mark.django_db
def test_a_person_without_a_phone_gets_no_notice(django_capture_on_commit_callbacks):
    person = persons_make(1, with_phone=False)[0]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert notice_enqueue(person_id=person.pk, kind="payment_settled", dedup_key="P1-1-1", text=TEXT) is None
    assert Notice.objects.count() == 0 and callbacks == []


@pytest.mark.django_db
@pytest.mark.parametrize("text", [f"已发放，请致电 {PHONE} 查询", "身份证 430321198001010012 的补贴已发放",
                                  "已发放到 6228480000000000011 卡"])
def test_a_text_with_a_whole_number_is_refused(text):
    person = person_with_phone()
    with pytest.raises(ValidationFailed):
        notice_enqueue(person_id=person.pk, kind="payment_settled", dedup_key="P1-1-1", text=text)
    with pytest.raises(ValidationFailed):
        notices_enqueue_many(rows=[{"person_id": person.pk, "kind": "k", "dedup_key": "a", "text": TEXT},
                                   {"person_id": person.pk, "kind": "k", "dedup_key": "b", "text": text}])
    assert Notice.objects.count() == 0


@pytest.mark.django_db
def test_many_notices_are_written_in_one_statement_once_per_key(django_capture_on_commit_callbacks):
    with_phone, without_phone = persons_make(4), persons_make(2, with_phone=False)
    earlier = notice_enqueue(person_id=with_phone[0].pk, kind="payment_settled", dedup_key=f"P-1-{with_phone[0].pk}",
                             text=TEXT)
    rows = rows_for(with_phone + without_phone) + rows_for(with_phone[1:2])  # one key twice in the batch
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = notices_enqueue_many(rows=rows)
    assert len(created) == 3 and earlier.pk not in created
    assert len(callbacks) == 1
    notices = Notice.objects.filter(pk__in=created).select_related("person").order_by("pk")
    assert [n.person_id for n in notices] == [p.pk for p in with_phone[1:]]
    assert all(n.phone_cipher == n.person.phone_cipher and n.phone_masked == n.person.phone_masked for n in notices)
    assert all(n.status == NoticeStatus.QUEUED and n.attempts == 0 for n in notices)
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert notices_enqueue_many(rows=rows) == []
    assert again == [] and Notice.objects.count() == 4


@pytest.mark.django_db
def test_a_failing_sender_is_retried_with_backoff_then_the_notice_fails(failing):
    person = person_with_phone()
    notice = notice_enqueue(person_id=person.pk, kind="payment_settled", dedup_key="P9-1-1", text=TEXT)
    delays = []
    for _ in range(services.MAX_ATTEMPTS - 1):
        outcome = notices_send(notice_ids=[notice.pk])
        assert outcome.sent == [] and outcome.failed == []
        [(delay, ids)] = outcome.retry.items()
        assert ids == [notice.pk]
        delays.append(delay)
        notice.refresh_from_db()
        assert notice.status == NoticeStatus.QUEUED and notice.queued_at > timezone.now()
    assert delays == [60, 120, 240, 480]
    assert notices_send(notice_ids=[notice.pk]).failed == [notice.pk]
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED and notice.attempts == services.MAX_ATTEMPTS == failing.calls
    assert "quota exceeded" in notice.last_error and PHONE not in notice.last_error
    assert notices_send(notice_ids=[notice.pk]).failed == []  # nothing more is tried
    assert failing.calls == services.MAX_ATTEMPTS


@pytest.mark.django_db
def test_the_log_sender_writes_the_masked_phone_only(settings, caplog):
    settings.NOTIFICATION_SENDER = "disbursement.notifications.senders.LogSender"
    person = person_with_phone()
    notice = notice_enqueue(person_id=person.pk, kind="payment_settled", dedup_key="P5-1-1", text=TEXT)
    with caplog.at_level(logging.INFO, logger="disbursement.notifications"):
        assert notices_send(notice_ids=[notice.pk]).sent == [notice.pk]
        LogSender().send("13912345678", "测试")
    assert f"SMS to 138****1234: {TEXT}" in caplog.messages
    assert "SMS to 139****5678: 测试" in caplog.messages
    assert PHONE not in caplog.text and "13912345678" not in caplog.text
    assert {r.name for r in caplog.records if r.message.startswith("SMS to")} == {"disbursement.notifications"}


@pytest.mark.django_db
def test_the_sweep_requeues_stuck_notices_and_gives_up_on_ones_interrupted_too_often(
        recording, django_capture_on_commit_callbacks):
    stuck_sending, stuck_queued, fresh, worn_out, done = [
        notice_enqueue(person_id=p.pk, kind="payment_settled", dedup_key=f"P2-1-{p.pk}", text=TEXT)
        for p in persons_make(5)
    ]
    long_ago = timezone.now() - datetime.timedelta(hours=1)
    Notice.objects.filter(pk=stuck_sending.pk).update(status=NoticeStatus.SENDING, claimed_at=long_ago, attempts=1,
                                                      claim_token=uuid.uuid4(), queued_at=long_ago)
    Notice.objects.filter(pk=stuck_queued.pk).update(queued_at=long_ago)
    Notice.objects.filter(pk=worn_out.pk).update(status=NoticeStatus.SENDING, claimed_at=long_ago,
                                                 attempts=services.MAX_ATTEMPTS, queued_at=long_ago)
    Notice.objects.filter(pk=done.pk).update(status=NoticeStatus.SENT, queued_at=long_ago)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        requeued = notices_requeue()
    assert requeued == [stuck_sending.pk, stuck_queued.pk]
    assert len(callbacks) == 1
    statuses = dict(Notice.objects.values_list("pk", "status"))
    assert statuses == {stuck_sending.pk: NoticeStatus.QUEUED, stuck_queued.pk: NoticeStatus.QUEUED,
                        fresh.pk: NoticeStatus.QUEUED, worn_out.pk: NoticeStatus.FAILED, done.pk: NoticeStatus.SENT}
    with django_capture_on_commit_callbacks(execute=False):
        assert notices_requeue() == []  # just re-queued: not stuck again until another STALE_MINUTES pass
    assert notices_send(notice_ids=requeued).sent == requeued
    assert Notice.objects.get(pk=stuck_sending.pk).attempts == 2
    assert len(recording) == 2


@pytest.mark.django_db
def test_the_send_task_takes_over_a_claim_its_worker_abandoned(recording):
    person = person_with_phone()
    notice = notice_enqueue(person_id=person.pk, kind="payment_settled", dedup_key="P3-1-1", text=TEXT)
    Notice.objects.filter(pk=notice.pk).update(status=NoticeStatus.SENDING, claimed_at=timezone.now(), attempts=1)
    assert notices_send(notice_ids=[notice.pk]).sent == []  # a live claim is left alone
    Notice.objects.filter(pk=notice.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(minutes=services.STALE_MINUTES + 1))
    assert notices_send(notice_ids=[notice.pk]).sent == [notice.pk]
    assert len(recording) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_notices_at_once_send_each_once(reference_in_transactional_db, recording):
    ids = notices_enqueue_many(rows=rows_for(persons_make(60)))
    barrier = threading.Barrier(2)
    errors = []

    def send():
        try:
            barrier.wait()
            notices_send(notice_ids=ids)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(recording) == 60 and len(set(recording)) == 60
    assert set(Notice.objects.values_list("status", "attempts")) == {(NoticeStatus.SENT, 1)}


@pytest.fixture
def published():
    """Names and argument lists of the tasks published to the broker during the test."""
    seen = []

    def on_publish(sender=None, body=None, **kwargs):
        seen.append((sender, body[0]))

    before_task_publish.connect(on_publish, weak=False)
    yield seen
    before_task_publish.disconnect(on_publish)


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_delivers_queued_notices(reference_in_transactional_db, settings, published):
    from celery.contrib.testing.worker import start_worker

    from backend.celery import app

    settings.NOTIFICATION_SENDER = "disbursement.notifications.senders.LogSender"
    persons = persons_make(1201)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        single = notice_enqueue(person_id=persons[0].pk, kind="payment_settled", dedup_key="P8-1-1", text=TEXT)
        many = notices_enqueue_many(rows=rows_for(persons[1:]))
        assert wait_for(lambda: Notice.objects.filter(status=NoticeStatus.SENT).count() == 1201)
    assert set(Notice.objects.values_list("status", "attempts")) == {(NoticeStatus.SENT, 1)}
    sends = [args for name, args in published if name == "disbursement.notifications.tasks.notices_send"]
    # One task for the single notice, then one per batch of 500 ids, not one per notice.
    assert [len(ids) for [ids] in sends] == [1, 500, 500, 200]
    assert sorted(sum((ids for [ids] in sends), [])) == sorted([single.pk, *many])


@pytest.mark.django_db(transaction=True)
def test_a_real_celery_worker_retries_a_failing_sender_until_the_notice_fails(reference_in_transactional_db, failing,
                                                                                monkeypatch):
    from celery.contrib.testing.worker import start_worker

    from backend.celery import app

    monkeypatch.setattr(services, "RETRY_BASE_SECONDS", 0.05)  # backoff 0.05, 0.1, 0.2, 0.4 s
    person = person_with_phone()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        notice = notice_enqueue(person_id=person.pk, kind="payment_settled", dedup_key="P6-1-1", text=TEXT)
        assert wait_for(lambda: Notice.objects.get(pk=notice.pk).status == NoticeStatus.FAILED)
    notice.refresh_from_db()
    assert notice.attempts == services.MAX_ATTEMPTS == failing.calls
    assert "quota exceeded" in notice.last_error and PHONE not in notice.last_error
