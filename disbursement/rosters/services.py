"""Roster imports: submit a file (a job row), execute the job (check, then accept whole or reject whole)."""

import hashlib
import logging
import time
import traceback
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from redis.exceptions import RedisError

from backend.redaction import redact_text
from disbursement import bulk, pii
from disbursement.accounts.permissions import action_check
from disbursement.audit.services import audit_record
from disbursement.catalog.models import Item
from disbursement.errors import Unavailable, ValidationFailed
from disbursement.queueing import PublishFailed, task_publish, task_run_in_thread
from disbursement.registry.models import Card, Person
from disbursement.registry.tabular import TableError, table_read
from disbursement.rosters import reports
from disbursement.rosters.checks import roster_check
from disbursement.rosters.models import ImportJob, ImportKind, ImportStatus, Roster, RosterLine
from disbursement.rosters.periods import period_bounds
from disbursement.rosters.persist import roster_persist
from geo.models import Region, RegionLevel

logger = logging.getLogger(__name__)

FIRST_ERRORS_KEPT = 1000


class ImportRejected(Exception):
    """Raised inside the import transaction to roll it back when the file has errors."""

    def __init__(self, errors: pd.DataFrame):
        self.errors = errors


def _progress_key(job_id: int) -> str:
    return f"import-progress:{job_id}"


def import_progress_set(job_id: int, phase: str, done: int, total: int) -> None:
    cache.set(_progress_key(job_id), {"phase": phase, "done": done, "total": total}, timeout=3600)


def import_progress_get(job: ImportJob) -> dict:
    if job.status in (ImportStatus.ACCEPTED, ImportStatus.REJECTED, ImportStatus.FAILED):
        return {"phase": "done", "done": job.rows_total, "total": job.rows_total}
    try:
        progress = cache.get(_progress_key(job.pk))
    except RedisError:
        progress = None  # progress is a nicety: without Redis the job's own status still answers
    return progress or {"phase": job.status, "done": 0, "total": job.rows_total}


def roster_import_submit(*, actor, content: bytes | File, file_name: str, item_code: str, township_code: str,
                         period: str, enqueue: bool = True) -> ImportJob:
    """Check who, what and where; store the file; queue the job (run after this transaction commits).
    `enqueue=False` leaves running it to the caller (the import_roster command runs it in-process)."""
    item = Item.objects.filter(code=item_code, is_active=True).first()
    if item is None:
        raise ValidationFailed(_("No active subsidy item %(code)s.") % {"code": item_code}, field="item")
    if not item.card_paid:
        raise ValidationFailed(_("Item %(code)s is not paid through the one-card system (%(reason)s); it takes no "
                                 "rosters.") % {"code": item.code, "reason": item.scope_reason}, field="item")
    township = Region.objects.filter(code=township_code, level=RegionLevel.TOWNSHIP).first()
    if township is None:
        raise ValidationFailed(_("No township %(code)s.") % {"code": township_code}, field="township")
    action_check(actor, "roster.upload", region_code=township.code, existing=False)
    period_bounds(period, item.frequency)
    job = import_job_create(kind=ImportKind.ROSTER, actor=actor, region=township, content=content,
                            file_name=file_name, item=item, township=township, period=period)
    if enqueue:
        transaction.on_commit(lambda: import_job_publish(job=job))
    return job


def import_job_create(*, kind: str, actor, region: Region, content: bytes | File, file_name: str,
                      **fields) -> ImportJob:
    """A queued job row with its file stored sealed (an uploaded file holds whole ID and card numbers)."""
    data = content if isinstance(content, bytes) else content.read()
    job = ImportJob(kind=kind, file_name=Path(file_name).name[:255], uploaded_by=actor, region=region,
                    file_sha256=hashlib.sha256(data).hexdigest(), **fields)
    suffix = Path(file_name).suffix.lower()[:6]
    job.file.save(f"{job.file_sha256[:16]}{suffix}.sealed", ContentFile(pii.seal(data)), save=False)
    job.save()
    return job


def import_job_publish(*, job: ImportJob) -> None:
    """Queue the job's task once its row is committed. If the broker cannot be reached the job fails visibly
    at once (conditional UPDATE from queued) and the caller gets Unavailable (503): a job never waits as
    'queued' with no task behind it."""
    if settings.CELERY_TASK_ALWAYS_EAGER and job.file.size >= settings.IMPORT_THREAD_MIN_BYTES:
        # No broker (embedded default): a large file runs in a thread so the page can show its progress.
        task_run_in_thread(_import_task(job.kind), args=[job.pk])
        return
    try:
        task_publish(_import_task(job.kind), args=[job.pk])
    except PublishFailed:
        message = _("The import could not be queued because a service is down; nothing was checked or saved. "
                    "Upload the file again in a few minutes.")
        ImportJob.objects.filter(pk=job.pk, status=ImportStatus.QUEUED).update(
            status=ImportStatus.FAILED, finished_at=timezone.now(), message=message)
        raise Unavailable(message) from None


def import_job_execute(*, job_id: int) -> ImportJob:
    """Run a queued roster job once (see import_job_run)."""
    return import_job_run(job_id=job_id, body=_roster_execute)


def import_job_run(*, job_id: int, body) -> ImportJob:
    """Claim a queued job and run `body(job)`, which finishes it accepted or rejected; a TableError rejects it
    with its sentence, anything else fails it. The conditional UPDATE means a second delivery does nothing."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    job = ImportJob.objects.select_related("item", "township").get(pk=job_id)
    if not claimed:
        return job
    try:
        body(job)
    except TableError as exc:
        import_finish(job, ImportStatus.REJECTED, message=str(exc))
    except Exception as exc:
        # The exception's text may quote a cell (a whole ID number, maybe split by invisible characters):
        # only its redacted form is logged, never the raw exception (and through logging, Sentry).
        logger.error("import %s failed: %s", job.pk,
                     redact_text("".join(traceback.format_exception(exc)).rstrip()))
        import_finish(job, ImportStatus.FAILED, message=_("The import failed on our side; it has been reported. "
                                                     "Try again later."))
    job.refresh_from_db()
    return job


def _roster_execute(job: ImportJob) -> None:
    import_progress_set(job.pk, "reading", 0, 0)
    clock = {"start": time.perf_counter()}
    frame = table_read(import_file_bytes(job))
    clock["read"] = time.perf_counter()
    total = len(frame)
    ImportJob.objects.filter(pk=job.pk).update(rows_total=total)
    job.rows_total = total
    earlier = Roster.objects.filter(township=job.township, file_sha256=job.file_sha256).first()
    if earlier is not None:
        raise TableError(_("This file was already accepted as roster %(id)s on %(date)s.")
                         % {"id": earlier.pk, "date": timezone.localtime(earlier.created_at).date()})
    period_end = period_bounds(job.period, job.item.frequency)[1]

    def progress(phase: str, done: int) -> None:
        import_progress_set(job.pk, phase, done, total)

    try:
        with transaction.atomic():
            bulk_session_tune()
            result = roster_check(frame, item=job.item, township=job.township, period=job.period,
                                  period_end=period_end, progress=progress)
            del frame  # a million rows: keep one copy in memory, the report re-reads the file if needed
            clock["check"] = time.perf_counter()
            if len(result.errors):
                raise ImportRejected(result.errors)
            progress("saving", total)
            roster = roster_persist(result.rows, item=job.item, township=job.township, period=job.period,
                                    file_sha256=job.file_sha256, created_by=job.uploaded_by)
            ImportJob.objects.filter(pk=job.pk).update(roster=roster)
            bulk.tables_analyze(Person, Card, RosterLine)
            clock["save"] = time.perf_counter()
            audit_record(actor=job.uploaded_by, action="roster.import", obj=roster, region_code=job.township_id,
                         lines=roster.line_count, total_fen=roster.total_fen, file_sha256=job.file_sha256)
        clock["commit"] = time.perf_counter()
        steps = list(clock.items())
        logger.info("import %s: %s rows accepted; %s", job.pk, total, ", ".join(
            f"{name} {end - start:.2f}s" for (_, start), (name, end) in zip(steps, steps[1:], strict=False)))
    except ImportRejected as rejected:
        import_reject(job, table_read(import_file_bytes(job)), rejected.errors)
        return
    except IntegrityError:
        # A concurrent import accepted some of the same people first; nothing of this one was written.
        raise TableError(_("Another roster with some of the same people was accepted while this file was being "
                           "checked; upload it again to see which rows.")) from None
    import_finish(job, ImportStatus.ACCEPTED)


def import_file_bytes(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return pii.unseal(handle.read())


def import_report_bytes(job: ImportJob) -> bytes:
    with job.report.open("rb") as handle:
        return pii.unseal(handle.read())


def bulk_session_tune() -> None:
    """Joins of a million staged rows against the register want more than PostgreSQL's default 4 MB of
    sort/hash memory; SET LOCAL keeps the change to this transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = %s", [settings.IMPORT_WORK_MEM])


def import_reject(job: ImportJob, frame: pd.DataFrame, errors: pd.DataFrame) -> None:
    report_name, report_bytes = reports.error_report(frame, errors, job.file_name)
    job.report.save(f"{report_name}.sealed", ContentFile(pii.seal(report_bytes)), save=False)
    ImportJob.objects.filter(pk=job.pk).update(report=job.report.name)
    first = errors.head(FIRST_ERRORS_KEPT)
    import_finish(job, ImportStatus.REJECTED, error_count=len(errors),
            errors=[{"row": int(r.row), "field": r.field, "code": r.code, "message": r.message}
                    for r in first.itertuples(index=False)],
            message=_("%(count)s problem(s) in %(rows)s row(s); nothing was saved. Download the error report, "
                      "fix the rows and upload the file again.")
            % {"count": len(errors), "rows": errors["row"].nunique()})


def import_finish(job: ImportJob, status: str, **fields) -> None:
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
        status=status, finished_at=timezone.now(), **fields
    )
    cache.delete(_progress_key(job.pk))


def _import_task(kind: str):
    """The task that executes a job of this kind: rosters here, side registers in disbursement.registry."""
    if kind == ImportKind.ROSTER:
        from disbursement.rosters.tasks import import_run

        return import_run
    from disbursement.registry.tasks import register_import_run

    return register_import_run


def imports_requeue(*, stale_after_minutes: int = 30) -> list[int]:
    """Periodic sweep over jobs a lost broker message or a dead worker left behind.

    A job still queued was never started: it goes back to the queue (the claim in import_job_execute makes
    a duplicate delivery harmless). A job left running was started and never finished, so its worker died
    in it (or it ran far too long); running it again would most likely kill the next worker the same way
    (a file that exhausts memory), so it ends FAILED and is reported. Celery's redelivery of its task after
    the worker was lost finds it running and does nothing (see import_job_execute).
    """
    cutoff = timezone.now() - timezone.timedelta(minutes=stale_after_minutes)
    queued = list(ImportJob.objects.filter(status=ImportStatus.QUEUED, created_at__lt=cutoff)
                  .order_by("pk").values_list("pk", "kind"))
    requeued = []
    for job_id, kind in queued:
        try:
            task_publish(_import_task(kind), args=[job_id])
        except PublishFailed:
            break  # left queued: the next sweep tries again
        requeued.append(job_id)
    crashed = list(ImportJob.objects.filter(status=ImportStatus.RUNNING, started_at__lt=cutoff)
                   .values_list("pk", flat=True))
    for job_id in crashed:
        if ImportJob.objects.filter(pk=job_id, status=ImportStatus.RUNNING, started_at__lt=cutoff).update(
            status=ImportStatus.FAILED, finished_at=timezone.now(),
            message=_("The file could not be processed: the import stopped while reading it and was not "
                      "retried. It has been reported; check the file (or save it again as CSV) and upload it "
                      "again."),
        ):
            logger.error("import %s stopped while running (worker lost); marked failed, not retried", job_id)
    return requeued


def import_files_expire(*, batch: int = 500) -> int:
    """Periodic: delete the stored upload and error report of rejected or failed imports that finished more
    than IMPORT_FILE_RETENTION_DAYS ago (both hold whole personal numbers). The job row keeps its errors."""
    cutoff = timezone.now() - timezone.timedelta(days=settings.IMPORT_FILE_RETENTION_DAYS)
    jobs = list(ImportJob.objects.filter(status__in=[ImportStatus.REJECTED, ImportStatus.FAILED],
                                         finished_at__lt=cutoff).exclude(file="").order_by("pk")[:batch])
    for job in jobs:
        for stored in (job.file, job.report):
            if stored:
                stored.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="", report="")
    if len(jobs) == batch:
        from disbursement.rosters.tasks import import_files_expire as again

        again.delay()
    return len(jobs)

def roster_line_void(*, line_id: int) -> bool:
    """Void one line of an approved roster (its held payment was cancelled): the person is free to appear on
    another roster of the same item and period. Returns whether it was live."""
    return bool(RosterLine.objects.filter(pk=line_id, is_void=False).update(is_void=True))
