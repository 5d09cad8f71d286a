import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from disbursement.accounts.models import User
from disbursement.catalog.standards_import import standards_import


class Command(BaseCommand):
    help = ("Import subsidy standards (CSV or XLSX: 项目代码, 区划代码, 起始日期, 截止日期, 标准, 档次, 文号); "
            "all rows or none. Exit 0 accepted, 1 rejected.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", help="import as this user (their jurisdiction and role apply); "
                                           "default: the system, which may set any region's standards")
        parser.add_argument("--json", action="store_true", help="print one JSON object with the outcome")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"no active user {options['user']!r}")
        outcome = standards_import(actor=actor, content=path.read_bytes())
        if options["json"]:
            self.stdout.write(json.dumps(outcome, ensure_ascii=False))
        else:
            self.stdout.write(f"{outcome['status']}: {outcome['rows']} rows")
            for error in outcome["errors"][:50]:
                self.stdout.write(f"  row {error['row']} {error['field']}: {error['message']}")
        if outcome["status"] != "accepted":
            raise SystemExit(1)
