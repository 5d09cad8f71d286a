import json

from django.core.management.base import BaseCommand, CommandError

from disbursement.risk.base import Scope
from disbursement.risk.selectors import risk_alerts_open
from disbursement.risk.services import risk_scan
from geo.codes import region_level
from geo.models import Region


class Command(BaseCommand):
    help = "Run every enabled risk rule (in one region's subtree, if given) and list the alerts open afterwards."

    def add_arguments(self, parser):
        parser.add_argument("--region", help="12-digit region code: scan only subjects inside its subtree")
        parser.add_argument("--json", action="store_true", help='print {"alerts": [...]}, every open alert')

    def handle(self, *args, **options):
        code = options["region"]
        if code:
            try:
                region_level(code)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            if not Region.objects.filter(pk=code).exists():
                raise CommandError(f"region {code} does not exist")
        outcome = risk_scan(scope=Scope(region_code=code) if code else None)
        alerts = risk_alerts_open(region_code=code)
        if options["json"]:
            self.stdout.write(json.dumps({"alerts": alerts}, ensure_ascii=False, default=str))
            return
        for rule, count in outcome.counts.items():
            self.stdout.write(f"{rule}: {count}")
        self.stdout.write(f"{len(outcome.created_ids)} new, {len(outcome.reopened_ids)} re-opened, "
                          f"{len(alerts)} open")
