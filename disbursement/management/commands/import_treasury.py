import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from disbursement.accounts.models import User
from disbursement.errors import DomainError
from disbursement.treasury.services import statements_import


class Command(BaseCommand):
    help = ("Import daily treasury statements (CSV or XLSX) of one or more treasuries; the file is accepted whole "
            "or not at all. Exit 0 accepted, 1 rejected.")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--user", help="import as this user (checks role and jurisdiction); default: the system")
        parser.add_argument("--json", action="store_true", help="print one JSON object with the outcome")

    def handle(self, *args, **options):
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"{options['user']}: no such active user")
        try:
            result = statements_import(actor=actor, content=path.read_bytes(), file_name=path.name)
        except DomainError as exc:
            outcome = {"status": "rejected", "rows": 0,
                       "errors": [{"row": None, "field": exc.field, "code": exc.code, "message": exc.message}]}
            return self._print(options, outcome, exc.message)
        return self._print(options, result.as_json(), result.message)

    def _print(self, options, outcome: dict, message: str):
        if options["json"]:
            self.stdout.write(json.dumps(outcome, ensure_ascii=False))
        else:
            self.stdout.write(f"{outcome['status']}: {outcome['rows']} rows")
            if message:
                self.stdout.write(message)
            for error in outcome["errors"][:50]:
                self.stdout.write(f"  row {error['row']} {error['field']}: {error['message']}")
        if outcome["status"] != "accepted":
            raise SystemExit(1)
