"""Hostile roster files: spreadsheet bombs, too many rows, control characters in cells, and a job whose
worker died. The workbooks are written by hand with zipfile, so a declared XFD1048576 costs nothing here."""

import io
import logging
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
import python_calamine
from django.utils import timezone

from backend.redaction import RedactingFilter
from disbursement.rosters.models import ImportJob, ImportStatus, Roster
from disbursement.rosters.services import import_files_expire, import_job_execute, imports_requeue, roster_import_submit
from tests.factories import HEADER, card_number, han_name, id_number, roster_csv, roster_row

pytestmark = pytest.mark.django_db

TOWN, V1 = "430321100000", "430321100001"
ITEM, PERIOD = "0604", "2026"

_WORKBOOK = (b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
             b'relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
_WORKBOOK_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
                  b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
                  b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
_ROOT_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/'
              b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
              b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
                  b'2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-'
                  b'package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override '
                  b'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                  b'spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType='
                  b'"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>')
_SHEET_OPEN = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
               b'spreadsheetml/2006/main">')


def _cell(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def _row(number: int, values) -> bytes:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return (f'<row r="{number}">'.encode() + b"".join(_cell(f"{letters[i]}{number}", v) for i, v in enumerate(values))
            + b"</row>")


def handmade_xlsx(sheet_parts, *, dimension: str | None = None) -> bytes:
    """A minimal workbook; `sheet_parts` (an iterable of bytes) is streamed into <sheetData>, never held whole."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(_SHEET_OPEN)
            if dimension:
                sheet.write(f'<dimension ref="{dimension}"/>'.encode())
            sheet.write(b"<sheetData>")
            for part in sheet_parts:
                sheet.write(part)
            sheet.write(b"</sheetData></worksheet>")
    return buffer.getvalue()


def run_import(content: bytes, file_name="roster.xlsx") -> ImportJob:
    job = roster_import_submit(actor=None, content=content, file_name=file_name, item_code=ITEM, township_code=TOWN,
                               period=PERIOD, enqueue=False)
    return import_job_execute(job_id=job.pk)


@pytest.fixture
def calamine_never_opens(monkeypatch):
    """Fails the import (FAILED, not REJECTED) if the workbook reached python-calamine at all."""

    def refuse(*args, **kwargs):
        raise AssertionError("the workbook reached the reader")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", refuse)


def good_rows(n):
    return [roster_row(han_name("张", i), id_number(), card_number(), V1) for i in range(n)]


def test_a_handmade_workbook_of_good_rows_is_accepted():
    rows = good_rows(2)
    content = handmade_xlsx([_row(1, HEADER), *(_row(i + 2, row) for i, row in enumerate(rows))], dimension="A1:K3")
    job = run_import(content)
    assert job.status == ImportStatus.ACCEPTED, job.errors or job.message


def test_a_workbook_declaring_a1_to_xfd1048576_is_refused_and_the_process_lives_on(calamine_never_opens):
    bomb = handmade_xlsx([_row(1, ["姓名"]), b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'],
                         dimension="A1:XFD1048576")
    assert len(bomb) < 2000
    job = run_import(bomb, file_name="bomb.xlsx")
    assert job.status == ImportStatus.REJECTED
    assert "columns beyond AZ" in job.message
    # Reading it would have allocated hundreds of GiB and killed this process; a next import still runs.
    after = run_import(roster_csv(good_rows(1)), file_name="after.csv")
    assert after.status == ImportStatus.ACCEPTED


def test_a_cell_far_to_the_right_without_a_dimension_is_refused(calamine_never_opens):
    job = run_import(handmade_xlsx([_row(1, ["姓名"]), b'<row r="2"><c r="XFD2"><v>1</v></c></row>']))
    assert job.status == ImportStatus.REJECTED and "columns beyond AZ" in job.message


def test_a_row_numbered_beyond_the_cap_is_refused(settings, calamine_never_opens):
    settings.IMPORT_MAX_ROWS = 1000
    job = run_import(handmade_xlsx([_row(1, ["姓名"]), _row(1_048_576, ["x"])]))
    assert job.status == ImportStatus.REJECTED
    assert job.message == "The file has more than 1,000 data rows; split it by village."


def test_a_tiny_workbook_of_three_million_rows_is_refused_before_any_row_is_read(calamine_never_opens):
    block = b"<row><c><v>1</v></c></row>" * 10_000
    content = handmade_xlsx(block for _ in range(300))
    assert len(content) < 1_000_000
    job = run_import(content, file_name="rows.xlsx")
    assert job.status == ImportStatus.REJECTED
    assert "compressed suspiciously well" in job.message
    assert job.rows_total == 0


def test_rows_beyond_the_cap_are_counted_in_the_stream_not_read(settings, calamine_never_opens):
    settings.IMPORT_MAX_ROWS = 1000
    rows = good_rows(1200)
    content = handmade_xlsx(_row(i + 2, row) for i, row in enumerate(rows))
    job = run_import(content)
    assert job.status == ImportStatus.REJECTED
    assert job.message == "The file has more than 1,000 data rows; split it by village."


def test_a_csv_beyond_the_row_cap_is_refused(settings):
    settings.IMPORT_MAX_ROWS = 3
    job = run_import(roster_csv(good_rows(4)), file_name="r.csv")
    assert job.status == ImportStatus.REJECTED
    assert job.message == "The file has more than 3 data rows; split it by village."
    assert run_import(roster_csv(good_rows(3)), file_name="r.csv").status == ImportStatus.ACCEPTED


def test_an_old_xls_file_beyond_its_size_cap_is_refused(calamine_never_opens):
    job = run_import(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * (21 * 1024 * 1024), file_name="old.xls")
    assert job.status == ImportStatus.REJECTED
    assert "Old Excel (.xls) files are accepted up to 20 MB" in job.message


def test_control_characters_in_cells_are_rejected_row_by_row_naming_the_field(caplog):
    caplog.handler.addFilter(RedactingFilter())
    rows = good_rows(4)
    rows[0][0] = "张\x00三"  # NUL: PostgreSQL refuses it in text
    rows[1][1] = rows[1][1][:9] + "\x07" + rows[1][1][9:]  # BEL inside the ID number
    rows[2][10] = "备注\x1b"
    rows[3][0] = rows[3][0] + "\r"  # a trailing carriage return is trimmed, not an error
    job = run_import(roster_csv(rows), file_name="r.csv")
    assert job.status == ImportStatus.REJECTED, job.message
    controls = {(e["row"], e["field"]) for e in job.errors if e["code"] == "control_character"}
    assert controls == {(1, "name"), (2, "id_number"), (3, "remark")}
    assert "control character" in job.errors[0]["message"]
    assert job.report  # the error report could be written despite the characters
    assert Roster.objects.count() == 0
    assert rows[1][1][:9] not in caplog.text


def test_a_failing_import_logs_the_exception_without_the_id_number_it_quotes(monkeypatch, caplog):
    """Even an exception whose text carries a whole ID, split by an invisible character, logs none of it."""
    secret = id_number()
    split = secret[:6] + "\u200b" + secret[6:12] + "\x07" + secret[12:]
    from disbursement.rosters import services

    def broken(*args, **kwargs):
        raise ValueError(f"cell value {split!s} and {secret} broke the check")

    monkeypatch.setattr(services, "roster_check", broken)
    caplog.set_level(logging.ERROR, logger="disbursement.rosters.services")
    job = run_import(roster_csv(good_rows(1)), file_name="r.csv")
    assert job.status == ImportStatus.FAILED
    assert "import" in caplog.text and "ValueError" in caplog.text
    for part in (secret, split, secret[:12], split[:13]):
        assert part not in caplog.text


def _job(status, *, created_ago, started_ago=None, finished_ago=None):
    job = roster_import_submit(actor=None, content=roster_csv(good_rows(1)), file_name="r.csv", item_code=ITEM,
                               township_code=TOWN, period=PERIOD, enqueue=False)
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=status, created_at=now - created_ago,
        started_at=now - started_ago if started_ago else None,
        finished_at=now - finished_ago if finished_ago else None,
        attempts=1 if started_ago else 0,
    )
    return ImportJob.objects.get(pk=job.pk)


def test_the_sweep_requeues_a_job_never_started_but_fails_one_whose_worker_died(caplog):
    caplog.set_level(logging.ERROR, logger="disbursement.rosters.services")
    never_started = _job(ImportStatus.QUEUED, created_ago=timedelta(hours=1))
    crashed = _job(ImportStatus.RUNNING, created_ago=timedelta(hours=1), started_ago=timedelta(minutes=50))
    fresh = _job(ImportStatus.RUNNING, created_ago=timedelta(minutes=2), started_ago=timedelta(minutes=1))
    requeued = imports_requeue()
    assert requeued == [never_started.pk]
    crashed.refresh_from_db()
    assert crashed.status == ImportStatus.FAILED
    assert "could not be processed" in crashed.message and "not retried" in crashed.message
    assert f"import {crashed.pk} stopped while running" in caplog.text
    fresh.refresh_from_db()
    assert fresh.status == ImportStatus.RUNNING
    # A second sweep changes nothing more: the failed job stays failed, not re-run.
    imports_requeue()
    crashed.refresh_from_db()
    assert crashed.status == ImportStatus.FAILED and crashed.attempts == 1


def test_a_redelivered_task_of_a_job_left_running_does_not_run_it_again():
    crashed = _job(ImportStatus.RUNNING, created_ago=timedelta(hours=1), started_ago=timedelta(minutes=50))
    again = import_job_execute(job_id=crashed.pk)
    assert again.status == ImportStatus.RUNNING and again.attempts == 1


def test_stored_files_of_old_rejected_and_failed_imports_are_deleted_and_the_rows_kept(settings):
    settings.IMPORT_FILE_RETENTION_DAYS = 30
    old_rejected = _job(ImportStatus.REJECTED, created_ago=timedelta(days=40), started_ago=timedelta(days=40),
                        finished_ago=timedelta(days=40))
    ImportJob.objects.filter(pk=old_rejected.pk).update(errors=[{"row": 1, "field": "name", "code": "required",
                                                                 "message": "The name is empty."}])
    old_failed = _job(ImportStatus.FAILED, created_ago=timedelta(days=31), started_ago=timedelta(days=31),
                      finished_ago=timedelta(days=31))
    recent_rejected = _job(ImportStatus.REJECTED, created_ago=timedelta(days=2), started_ago=timedelta(days=2),
                           finished_ago=timedelta(days=2))
    old_accepted = _job(ImportStatus.ACCEPTED, created_ago=timedelta(days=90), started_ago=timedelta(days=90),
                        finished_ago=timedelta(days=90))
    paths = {job.pk: Path(job.file.path) for job in (old_rejected, old_failed, recent_rejected, old_accepted)}

    assert import_files_expire() == 2
    assert import_files_expire() == 0  # looks for a state: nothing left to do
    for job in (old_rejected, old_failed):
        job.refresh_from_db()
        assert not job.file and not paths[job.pk].exists()
    old_rejected.refresh_from_db()
    assert old_rejected.errors[0]["code"] == "required" and old_rejected.status == ImportStatus.REJECTED
    for job in (recent_rejected, old_accepted):
        job.refresh_from_db()
        assert job.file and paths[job.pk].exists()


@pytest.mark.django_db(transaction=True)
def test_with_a_real_worker_the_sweep_reruns_a_lost_queued_job_but_never_a_crashed_one(reference_in_transactional_db):
    """The crashed job's task is delivered again first (what acks_late + reject_on_worker_lost do after the
    worker died), then the sweep runs: the worker imports the never-started job and leaves the other alone."""
    from celery.contrib.testing.worker import start_worker

    from backend.celery import app
    from disbursement.rosters.tasks import import_run

    lost = _job(ImportStatus.QUEUED, created_ago=timedelta(hours=1))
    crashed = _job(ImportStatus.RUNNING, created_ago=timedelta(hours=1), started_ago=timedelta(minutes=50))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        import_run.delay(crashed.pk)
        assert imports_requeue() == [lost.pk]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            lost.refresh_from_db()
            if lost.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
                break
            time.sleep(0.2)
    assert lost.status == ImportStatus.ACCEPTED, lost.message
    crashed.refresh_from_db()
    assert crashed.status == ImportStatus.FAILED and crashed.attempts == 1 and crashed.roster is None
