import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from disbursement.errors import DomainError
from disbursement.rosters.models import ImportStatus
from disbursement.rosters.services import import_job_execute, roster_import_submit


class Command(BaseCommand):
    help = "Import a roster file (CSV or XLSX) for one item, township and period. Exit 0 accepted, 1 rejected."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--item", required=True, help="subsidy item code, e.g. 0101")
        parser.add_argument("--township", required=True, help="12-digit township code")
        parser.add_argument("--period", required=True, help="2026, 2026H2, 2026Q4 or 2026-11 by the item's frequency")
        parser.add_argument("--json", action="store_true", help="print one JSON object with the outcome")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            job = roster_import_submit(actor=None, content=path.read_bytes(), file_name=path.name,
                                       item_code=options["item"], township_code=options["township"],
                                       period=options["period"], enqueue=False)
        except DomainError as exc:
            return self._outcome(options, "rejected", 0, [{"row": None, "field": exc.field, "code": exc.code,
                                                            "message": exc.message}], None)
        job = import_job_execute(job_id=job.pk)
        errors = list(job.errors)
        if job.status != ImportStatus.ACCEPTED and not errors:
            errors = [{"row": None, "field": None, "code": "file", "message": job.message}]
        status = "accepted" if job.status == ImportStatus.ACCEPTED else "rejected"
        return self._outcome(options, status, job.rows_total, errors, job.roster_id, job.message, job.error_count)

    def _outcome(self, options, status, rows, errors, roster_id, message="", error_count=None):
        if options["json"]:
            self.stdout.write(json.dumps({"status": status, "rows": rows, "errors": errors, "roster_id": roster_id},
                                         ensure_ascii=False))
        else:
            self.stdout.write(f"{status}: {rows} rows" + (f", roster {roster_id}" if roster_id else ""))
            if message:
                self.stdout.write(message)
            for error in errors[:50]:
                self.stdout.write(f"  row {error['row']} {error['field']}: {error['message']}")
            if error_count and error_count > 50:
                self.stdout.write(f"  … {error_count - 50} more in the error report")
        if status != "accepted":
            raise SystemExit(1)
