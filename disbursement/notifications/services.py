"""Notices to residents: enqueue one or many (in the caller's transaction), send (claimed by a conditional
UPDATE, the sender called outside any transaction), and the sweep that re-queues what got stuck."""

import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.redaction import redact_text
from disbursement import bulk, pii
from disbursement.errors import NotFound, ValidationFailed
from disbursement.notifications.models import Notice, NoticeStatus
from disbursement.notifications.senders import SendError, sender_get
from disbursement.queueing import PublishFailed, task_publish
from disbursement.registry.models import Person

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# Attempt n failed → the next one after RETRY_BASE_SECONDS · 2^(n-1): 1, 2, 4 and 8 minutes.
RETRY_BASE_SECONDS = 60
# Longer than the longest backoff: a notice queued or sending for this long without news is stuck.
STALE_MINUTES = 15
TASK_BATCH = 500
SWEEP_LIMIT = 5000

_COLUMNS = ["person_id", "kind", "dedup_key", "text"]
_MAX_LENGTH = {"kind": 40, "dedup_key": 120, "text": 500}


@dataclass
class NoticeSendOutcome:
    sent: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retry: dict[float, list[int]] = field(default_factory=dict)  # seconds from now → notices due then


def notice_enqueue(*, person_id: int, kind: str, dedup_key: str, text: str) -> Notice | None:
    """Put one notice in the outbox, to be sent once the caller's transaction commits.

    Returns None when the person has no phone. A `dedup_key` already in the outbox (e.g. the payment reference
    enqueued before) returns that notice and sends nothing more. `text` must not hold a whole ID, card or phone
    number ("…已发放到尾号1234的社保卡").
    """
    _fields_check(pd.DataFrame([{"kind": kind, "dedup_key": dedup_key, "text": text}]))
    phone = Person.objects.filter(pk=person_id).values_list("phone_cipher", "phone_masked").first()
    if phone is None:
        raise NotFound(_("Person not found."))
    phone_cipher, phone_masked = phone
    if not phone_cipher:
        return None
    # The unique dedup_key settles a race: the second insert waits for the first and then finds its row.
    notice, created = Notice.objects.get_or_create(dedup_key=dedup_key, defaults={
        "person_id": person_id, "phone_cipher": phone_cipher, "phone_masked": phone_masked, "kind": kind,
        "text": text,
    })
    if created:
        transaction.on_commit(lambda: notices_dispatch(notice_ids=[notice.pk]))
    return notice


def notices_enqueue_many(*, rows: Iterable[Mapping] | pd.DataFrame) -> list[int]:
    """Put many notices in the outbox at once (e.g. every settled payment of a bank return file), set-based:
    the rows are staged, then one INSERT … SELECT joins the persons for their phones and skips dedup_keys already
    there. Rows are mappings (or a DataFrame) with person_id, kind, dedup_key, text; rows whose person has no
    phone are skipped. Returns the ids of the notices written now; they are sent after commit, TASK_BATCH per task.
    """
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows), columns=_COLUMNS)
    missing = set(_COLUMNS) - set(frame.columns)
    if missing:
        raise ValidationFailed(_("Notice rows need %(columns)s.") % {"columns": ", ".join(sorted(missing))})
    if frame.empty:
        return []
    frame = frame[_COLUMNS].astype({"person_id": "int64", "kind": str, "dedup_key": str, "text": str})
    _fields_check(frame)
    notice_table, person_table = Notice._meta.db_table, Person._meta.db_table
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        bulk.stage_create(cursor, "notice_stage",
                          {"person_id": "bigint", "kind": "text", "dedup_key": "text", "text": "text"})
        bulk.stage_fill(cursor, "notice_stage", frame, text_columns=("kind", "dedup_key", "text"))
        # In dedup_key order: two batches sharing keys wait for each other in one order and never deadlock.
        cursor.execute(f"""
            INSERT INTO {notice_table} (person_id, phone_cipher, phone_masked, kind, text, dedup_key, status,
                                        attempts, last_error, queued_at, created_at)
            SELECT s.person_id, p.phone_cipher, p.phone_masked, s.kind, s.text, s.dedup_key, %s, 0, '', %s, %s
            FROM notice_stage s JOIN {person_table} p ON p.id = s.person_id
            WHERE p.phone_cipher <> ''
            ORDER BY s.dedup_key
            ON CONFLICT (dedup_key) DO NOTHING
            RETURNING id""", [NoticeStatus.QUEUED, now, now])
        notice_ids = sorted(row[0] for row in cursor.fetchall())
        bulk.stage_drop(cursor, "notice_stage")
    if notice_ids:
        transaction.on_commit(lambda: notices_dispatch(notice_ids=notice_ids))
    return notice_ids


def notices_enqueue_staff(*, rows: Iterable[Mapping]) -> list[int]:
    """Put notices to staff users in the outbox (e.g. a high-severity alert to the supervisors of its region).
    Rows are mappings with user_id, kind, dedup_key, text; the address is the user's e-mail (users without one
    are skipped), encrypted like a resident's phone. Dedup keys already in the outbox send nothing more.
    Returns the ids of the notices written now; they are sent after commit."""
    frame = pd.DataFrame(list(rows), columns=["user_id", "kind", "dedup_key", "text"])
    if frame.empty:
        return []
    _fields_check(frame)
    from disbursement.accounts.models import User

    emails = dict(User.objects.filter(pk__in=set(frame["user_id"].tolist())).exclude(email="")
                  .values_list("pk", "email"))
    frame = frame[frame["user_id"].isin(emails) & ~frame["dedup_key"].isin(
        Notice.objects.filter(dedup_key__in=frame["dedup_key"].tolist()).values_list("dedup_key", flat=True))]
    if frame.empty:
        return []
    now = timezone.now()
    addresses = pii.encrypt_many([emails[u] for u in frame["user_id"]])
    # ignore_conflicts settles a race with another enqueue of the same key; the ids are read back by key.
    Notice.objects.bulk_create([
        Notice(user_id=int(u), phone_cipher=address, phone_masked="", kind=kind, text=text, dedup_key=key,
               queued_at=now, created_at=now)
        for (u, kind, key, text), address in zip(frame[["user_id", "kind", "dedup_key", "text"]].itertuples(
            index=False), addresses, strict=True)
    ], ignore_conflicts=True)
    notice_ids = sorted(Notice.objects.filter(dedup_key__in=frame["dedup_key"].tolist(), created_at=now)
                        .values_list("pk", flat=True))
    if notice_ids:
        transaction.on_commit(lambda: notices_dispatch(notice_ids=notice_ids))
    return notice_ids


def _fields_check(frame: pd.DataFrame) -> None:
    for column, limit in _MAX_LENGTH.items():
        lengths = frame[column].str.len()
        if ((lengths == 0) | (lengths > limit)).any():
            raise ValidationFailed(_("Each notice needs a %(field)s of 1 to %(limit)s characters.")
                                   % {"field": column, "limit": limit}, field=column)
    # One scan of all texts (a newline is a boundary for every pattern): a whole number anywhere rejects the lot.
    texts = "\n".join(frame["text"])
    if redact_text(texts) != texts:
        raise ValidationFailed(_("A notice must not contain a whole ID, card or phone number; write its last "
                                 "four digits."), field="text")


def notices_dispatch(*, notice_ids: list[int], countdown: float | None = None) -> None:
    """Hand notices to the broker, TASK_BATCH per task. Call after commit (notices_enqueue* do)."""
    from disbursement.notifications.tasks import notices_send

    for start in range(0, len(notice_ids), TASK_BATCH):
        try:
            task_publish(notices_send, args=[notice_ids[start:start + TASK_BATCH]], countdown=countdown)
        except PublishFailed:
            # The notices stay queued in the outbox, which is committed: notices_requeue sends them once the
            # broker is back. Whatever committed them must not fail for it.
            logger.warning("%s notice(s) left for the notices sweep", len(notice_ids) - start)
            return


def notices_send(*, notice_ids: list[int]) -> NoticeSendOutcome:
    """Send the given notices that are still to be sent. Call it outside a transaction: each step commits alone.

    1. Claim with one conditional UPDATE: queued → sending, or sending whose claim is older than STALE_MINUTES
       (its worker died); each claim counts an attempt and carries a token. A second delivery of the same task,
       or a concurrent worker, claims nothing and sends nothing.
    2. For each claimed notice: decrypt the phone and call the sender, no transaction or lock open meanwhile.
    3. Record the outcome, guarded by the token: sent; or queued again with backoff; or failed after
       MAX_ATTEMPTS attempts (or at once when the sender says retrying cannot help).
    The caller schedules `retry` (the Celery task does).
    """
    outcome = NoticeSendOutcome()
    token, now = uuid.uuid4(), timezone.now()
    stale = now - timedelta(minutes=STALE_MINUTES)
    Notice.objects.filter(pk__in=notice_ids, attempts__lt=MAX_ATTEMPTS).filter(
        Q(status=NoticeStatus.QUEUED) | Q(status=NoticeStatus.SENDING, claimed_at__lt=stale)
    ).update(status=NoticeStatus.SENDING, claim_token=token, claimed_at=now, attempts=F("attempts") + 1)
    claimed = list(Notice.objects.filter(pk__in=notice_ids, claim_token=token).order_by("pk")
                   .values_list("pk", "phone_cipher", "text", "attempts"))
    if not claimed:
        return outcome
    sender = sender_get()
    for notice_id, phone_cipher, text, attempts in claimed:
        mine = Notice.objects.filter(pk=notice_id, claim_token=token, status=NoticeStatus.SENDING)
        try:
            sender.send(pii.decrypt(phone_cipher), text)
        except SendError as exc:
            error, permanent = redact_text(str(exc)) or "SendError", exc.permanent
        except Exception as exc:  # a sender bug or a missing key: a failed attempt, not a notice left "sending"
            logger.exception("notice %s: the sender raised", notice_id)
            error, permanent = f"{type(exc).__name__}: {redact_text(str(exc))}", False
        else:
            if mine.update(status=NoticeStatus.SENT, sent_at=timezone.now(), claim_token=None, last_error=""):
                outcome.sent.append(notice_id)
            continue
        error = error[:300]
        if permanent or attempts >= MAX_ATTEMPTS:
            logger.warning("notice %s failed after %s attempt(s): %s", notice_id, attempts, error)
            if mine.update(status=NoticeStatus.FAILED, claim_token=None, last_error=error):
                outcome.failed.append(notice_id)
        else:
            delay = RETRY_BASE_SECONDS * 2 ** (attempts - 1)
            logger.info("notice %s not sent (attempt %s), retry in %ss: %s", notice_id, attempts, delay, error)
            if mine.update(status=NoticeStatus.QUEUED, claim_token=None, last_error=error,
                           queued_at=timezone.now() + timedelta(seconds=delay)):
                outcome.retry.setdefault(delay, []).append(notice_id)
    return outcome


def notices_requeue(*, limit: int = SWEEP_LIMIT) -> list[int]:
    """Periodic sweep, by state: notices queued or sending with no news for STALE_MINUTES (a lost broker message,
    a dead worker) go back to the broker, `limit` per run; those interrupted MAX_ATTEMPTS times fail."""
    now = timezone.now()
    cutoff = now - timedelta(minutes=STALE_MINUTES)
    Notice.objects.filter(status=NoticeStatus.SENDING, claimed_at__lt=cutoff, attempts__gte=MAX_ATTEMPTS).update(
        status=NoticeStatus.FAILED, claim_token=None,
        last_error=_("Sending was interrupted %(n)s times.") % {"n": MAX_ATTEMPTS},
    )
    with transaction.atomic():
        # SKIP LOCKED: two sweeps at once split the stuck notices instead of both re-queueing them.
        notice_ids = list(
            Notice.objects.select_for_update(skip_locked=True)
            .filter(Q(status=NoticeStatus.QUEUED, queued_at__lt=cutoff)
                    | Q(status=NoticeStatus.SENDING, claimed_at__lt=cutoff, attempts__lt=MAX_ATTEMPTS))
            .order_by("pk").values_list("pk", flat=True)[:limit]
        )
        if notice_ids:
            Notice.objects.filter(pk__in=notice_ids).update(status=NoticeStatus.QUEUED, queued_at=now,
                                                            claim_token=None)
            transaction.on_commit(lambda: notices_dispatch(notice_ids=notice_ids))
    return notice_ids
