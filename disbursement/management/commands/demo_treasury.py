import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from disbursement.treasury.demo import profile_of, statements_csv, statements_demo
from disbursement.treasury.models import TreasuryStatement
from disbursement.treasury.selectors import latest_levels, treasury_regions
from disbursement.treasury.services import statements_import


class Command(BaseCommand):
    help = ("Demo data: daily treasury statements ending yesterday for the province, the cities and every county-level "
            "treasury of Hunan, imported like a treasury export. Treasuries that already have statements are left "
            "alone, so running it again adds nothing.")

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--years", type=int, default=2)
        parser.add_argument("--regions", default="",
                            help="comma-separated 12-digit codes to limit the demo to (default: every treasury)")

    def handle(self, *args, **options):
        if not 1 <= options["years"] <= 20:
            raise CommandError("--years is between 1 and 20")
        every = treasury_regions()
        codes = [c.strip() for c in options["regions"].split(",") if c.strip()] or every
        unknown = sorted(set(codes) - set(every))
        if unknown:
            raise CommandError(f"not treasuries: {', '.join(unknown)}")
        present = set(TreasuryStatement.objects.filter(region_id__in=codes).values_list("region_id", flat=True)
                      .distinct())
        todo = [code for code in codes if code not in present]
        if not todo:
            self.stdout.write(f"treasury: all {len(codes)} treasuries already have statements, nothing added")
            return
        end = timezone.localdate() - datetime.timedelta(days=1)
        # Profiles are drawn over the full list, so a limited run plants the same bands as the full one.
        profiles = profile_of(every, options["seed"])
        frame = statements_demo(todo, end=end, years=options["years"], seed=options["seed"], profiles=profiles)
        result = statements_import(actor=None, content=statements_csv(frame), file_name="demo-treasury.csv")
        if result.status != "accepted":
            raise CommandError(f"demo statements rejected: {result.message} {result.errors[:5]}")
        bands = {code: level.band for code, level in latest_levels(todo).items()}
        counts = {band: sum(1 for b in bands.values() if b == band) for band in ("warning", "low", "normal", "idle")}
        self.stdout.write(f"treasury: {result.inserted} daily statements for {len(todo)} treasuries "
                          f"({options['years']} years to {end})" + (f", {len(present)} skipped (already present)"
                                                                    if present else ""))
        self.stdout.write("latest bands: " + ", ".join(f"{band} {n}" for band, n in counts.items()))
        planted = [f"{code} {profiles[code]}→{bands.get(code)}" for code in todo if code in
                   ("430321000000", "430382000000", "430381000000")]
        if planted:
            self.stdout.write("湘潭市: " + ", ".join(planted))
