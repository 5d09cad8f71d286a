from django.core.management.base import BaseCommand, CommandError

from disbursement.supervision.services import facts_refresh
from geo import codes


class Command(BaseCommand):
    help = ("Rebuild the supervisor's pre-aggregated figures from the payments and the register: every county and "
            "year by default (the nightly task does the same).")

    def add_arguments(self, parser):
        parser.add_argument("--county", action="append", default=[], help="a county code (repeatable)")
        parser.add_argument("--year", action="append", type=int, default=[], help="a period year (repeatable)")

    def handle(self, *args, **options):
        for code in options["county"]:
            try:
                if codes.region_level(code) != "county":
                    raise ValueError
            except ValueError:
                raise CommandError(f"{code!r} is not a 12-digit county code") from None
        counties = facts_refresh(county_codes=options["county"] or None, years=options["year"] or None)
        self.stdout.write(f"supervision facts rebuilt for {counties} counties")
