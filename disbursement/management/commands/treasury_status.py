import datetime
import json

from django.core.management.base import BaseCommand, CommandError

from disbursement.treasury.selectors import treasury_status
from geo.models import Region


class Command(BaseCommand):
    help = ("Every treasury's coverage level and band as of a date (its latest statement on or before it), for "
            "a region's subtree or the whole province.")

    def add_arguments(self, parser):
        parser.add_argument("--date", required=True, help="YYYY-MM-DD")
        parser.add_argument("--region", help="12-digit region code: its treasury and those below it")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        try:
            day = datetime.date.fromisoformat(options["date"])
        except ValueError:
            raise CommandError(f"{options['date']}: not a date (YYYY-MM-DD)") from None
        region = options["region"]
        if region and not Region.objects.filter(code=region).exists():
            raise CommandError(f"{region}: no such region")
        status = treasury_status(day, region)
        if options["json"]:
            self.stdout.write(json.dumps(status, ensure_ascii=False))
            return
        self.stdout.write(f"{status['date']}: {len(status['regions'])} treasuries")
        for row in status["regions"]:
            self.stdout.write(f"{row['region']}  {row['day']}  {row['band']:<8} level {row['level']}  "
                              f"closing {row['closing_yuan']}  avg/month {row['avg_monthly_outflow_yuan']}  "
                              f"days {row['days_of_cover']}")
