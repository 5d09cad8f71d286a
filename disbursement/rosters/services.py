"""Roster imports: submit a file (a job row), execute the job (check, then accept whole or reject whole)."""

import hashlib
import logging
import time
from pathlib import Path

import pandas as pd
from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile, File
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from disbursement import bulk, pii
from disbursement.accounts.roles import Role
from disbursement.accounts.scoping import in_jurisdiction
from disbursement.audit.services import audit_record
from disbursement.catalog.models import Item
from disbursement.errors import PermissionDenied, ValidationFailed
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
UPLOAD_ROLES = {Role.TOWNSHIP_CLERK, Role.PROVINCE_ADMIN}


class _Rejected(Exception):
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
    return cache.get(_progress_key(job.pk)) or {"phase": job.status, "done": 0, "total": job.rows_total}


def roster_import_submit(*, actor, content: bytes | File, file_name: str, item_code: str, township_code: str,
                         period: str, enqueue: bool = True) -> ImportJob:
    """Check who, what and where; store the file; queue the job (run after this transaction commits).
    `enqueue=False` leaves running it to the caller (the import_roster command runs it in-process)."""
    item = Item.objects.filter(code=item_code, is_active=True).first()
    if item is None:
        raise ValidationFailed(_("No active subsidy item %(code)s.") % {"code": item_code}, field="item")
    township = Region.objects.filter(code=township_code, level=RegionLevel.TOWNSHIP).first()
    if township is None:
        raise ValidationFailed(_("No township %(code)s.") % {"code": township_code}, field="township")
    if actor is not None:
        if actor.role not in UPLOAD_ROLES and not actor.is_superuser:
            raise PermissionDenied(_("Only township clerks upload rosters."))
        if not in_jurisdiction(actor, township.code):
            raise PermissionDenied(_("That township is outside your jurisdiction."))
    period_bounds(period, item.frequency)
    data = content if isinstance(content, bytes) else content.read()
    job = ImportJob(kind=ImportKind.ROSTER, file_name=Path(file_name).name[:255], item=item, township=township,
                    period=period, uploaded_by=actor, region=township,
                    file_sha256=hashlib.sha256(data).hexdigest())
    suffix = Path(file_name).suffix.lower()[:6]
    # Stored sealed: an uploaded roster holds whole ID and card numbers.
    job.file.save(f"{job.file_sha256[:16]}{suffix}.sealed", ContentFile(pii.seal(data)), save=False)
    job.save()
    if enqueue:
        from disbursement.rosters.tasks import import_run

        transaction.on_commit(lambda: import_run.delay(job.pk))
    return job


def import_job_execute(*, job_id: int) -> ImportJob:
    """Run a queued job once. The conditional UPDATE means a second delivery of the task does nothing."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    job = ImportJob.objects.select_related("item", "township").get(pk=job_id)
    if not claimed:
        return job
    try:
        _roster_execute(job)
    except TableError as exc:
        _finish(job, ImportStatus.REJECTED, message=str(exc))
    except Exception:
        logger.exception("import %s failed", job.pk)
        _finish(job, ImportStatus.FAILED, message=_("The import failed on our side; it has been reported. "
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
            _bulk_session_tune()
            result = roster_check(frame, item=job.item, township=job.township, period=job.period,
                                  period_end=period_end, progress=progress)
            del frame  # a million rows: keep one copy in memory, the report re-reads the file if needed
            clock["check"] = time.perf_counter()
            if len(result.errors):
                raise _Rejected(result.errors)
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
    except _Rejected as rejected:
        _reject(job, table_read(import_file_bytes(job)), rejected.errors)
        return
    except IntegrityError:
        # A concurrent import accepted some of the same people first; nothing of this one was written.
        raise TableError(_("Another roster with some of the same people was accepted while this file was being "
                           "checked; upload it again to see which rows.")) from None
    _finish(job, ImportStatus.ACCEPTED)


def import_file_bytes(job: ImportJob) -> bytes:
    with job.file.open("rb") as handle:
        return pii.unseal(handle.read())


def import_report_bytes(job: ImportJob) -> bytes:
    with job.report.open("rb") as handle:
        return pii.unseal(handle.read())


def _bulk_session_tune() -> None:
    """Joins of a million staged rows against the register want more than PostgreSQL's default 4 MB of
    sort/hash memory; SET LOCAL keeps the change to this transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = %s", [settings.IMPORT_WORK_MEM])


def _reject(job: ImportJob, frame: pd.DataFrame, errors: pd.DataFrame) -> None:
    report_name, report_bytes = reports.error_report(frame, errors, job.file_name)
    job.report.save(f"{report_name}.sealed", ContentFile(pii.seal(report_bytes)), save=False)
    ImportJob.objects.filter(pk=job.pk).update(report=job.report.name)
    first = errors.head(FIRST_ERRORS_KEPT)
    _finish(job, ImportStatus.REJECTED, error_count=len(errors),
            errors=[{"row": int(r.row), "field": r.field, "code": r.code, "message": r.message}
                    for r in first.itertuples(index=False)],
            message=_("%(count)s problem(s) in %(rows)s row(s); nothing was saved. Download the error report, "
                      "fix the rows and upload the file again.")
            % {"count": len(errors), "rows": errors["row"].nunique()})


def _finish(job: ImportJob, status: str, **fields) -> None:
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.RUNNING).update(
        status=status, finished_at=timezone.now(), **fields
    )
    cache.delete(_progress_key(job.pk))


def imports_requeue(*, stale_after_minutes: int = 30, max_attempts: int = 3) -> list[int]:
    """Periodic sweep: jobs a lost broker message or a dead worker left behind go back to the queue."""
    from disbursement.rosters.tasks import import_run

    cutoff = timezone.now() - timezone.timedelta(minutes=stale_after_minutes)
    stale = list(
        ImportJob.objects.filter(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING], attempts__lt=max_attempts)
        .filter(created_at__lt=cutoff)
        .exclude(started_at__gte=cutoff)
        .values_list("pk", flat=True)
    )
    requeued = []
    for job_id in stale:
        if ImportJob.objects.filter(pk=job_id, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING]).update(
            status=ImportStatus.QUEUED
        ):
            import_run.delay(job_id)
            requeued.append(job_id)
    ImportJob.objects.filter(status=ImportStatus.RUNNING, attempts__gte=max_attempts, started_at__lt=cutoff).update(
        status=ImportStatus.FAILED, finished_at=timezone.now(),
        message=_("The import was interrupted %(n)s times and was given up; upload the file again.")
        % {"n": max_attempts},
    )
    return requeued



def roster_line_void(*, line_id: int) -> bool:
    """Void one line of an approved roster (its held payment was cancelled): the person is free to appear on
    another roster of the same item and period. Returns whether it was live."""
    return bool(RosterLine.objects.filter(pk=line_id, is_void=False).update(is_void=True))
