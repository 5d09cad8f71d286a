import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from disbursement.errors import DomainError
from disbursement.registry.side_imports import PROVINCE_CODE, register_import_execute, register_import_submit
from disbursement.registry.side_specs import SPECS
from disbursement.rosters.models import ImportStatus


class Command(BaseCommand):
    help = ("Import a side register (CSV or XLSX) for one region; it replaces that register's rows of the region. "
            "Exit 0 accepted, 1 rejected.")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(SPECS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--scope", default=PROVINCE_CODE,
                            help="12-digit code of the county, city or province the file covers "
                                 "(default: the province)")
        parser.add_argument("--json", action="store_true", help="print one JSON object with the outcome")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            job = register_import_submit(actor=None, kind=options["kind"], scope_code=options["scope"],
                                         content=path.read_bytes(), file_name=path.name, enqueue=False)
        except DomainError as exc:
            return self._outcome(options, "rejected", 0, [{"row": None, "field": exc.field, "code": exc.code,
                                                            "message": exc.message}])
        job = register_import_execute(job_id=job.pk)
        errors = list(job.errors)
        if job.status != ImportStatus.ACCEPTED and not errors:
            errors = [{"row": None, "field": None, "code": "file", "message": job.message}]
        status = "accepted" if job.status == ImportStatus.ACCEPTED else "rejected"
        return self._outcome(options, status, job.rows_total, errors, job.message, job.error_count)

    def _outcome(self, options, status, rows, errors, message="", error_count=None):
        if options["json"]:
            self.stdout.write(json.dumps({"status": status, "rows": rows, "errors": errors}, ensure_ascii=False))
        else:
            self.stdout.write(f"{status}: {rows} rows")
            if message:
                self.stdout.write(message)
            for error in errors[:50]:
                self.stdout.write(f"  row {error['row']} {error['field']}: {error['message']}")
            if error_count and error_count > 50:
                self.stdout.write(f"  … {error_count - 50} more in the error report")
        if status != "accepted":
            raise SystemExit(1)
