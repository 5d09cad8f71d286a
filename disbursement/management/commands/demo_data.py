import argparse
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from disbursement.errors import DomainError
from disbursement.registry.demo import DEFAULT_COUNTIES, demo_data_generate
from disbursement.registry.demo_registers import demo_registers_import


class Command(BaseCommand):
    help = (
        "Generate a demo register for some counties (households over their villages, persons with valid ID "
        "numbers, social-security cards, land contracts, village cadres, death registrations) and import demo "
        "rosters for several items and townships through the real roster import. The data is the same for the "
        "same --seed, --households and counties. Running it again adds nothing: the register is recognised by "
        "its first generated persons and not written twice, and a roster whose people are already on a roster "
        "of its item and period is skipped (so a run with --no-rosters can be followed by one with rosters). "
        "Another --seed or --households makes another register, with its own rosters, beside the first. "
        "Demo only: refused when DEBUG is off."
    )

    def add_arguments(self, parser):
        parser.add_argument("--counties", default=",".join(DEFAULT_COUNTIES),
                            help="comma-separated 6-digit county codes (default: 430321 湘潭县, 430382 韶山市)")
        parser.add_argument("--households", type=int, default=2000, help="number of households (default 2000)")
        parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
        parser.add_argument("--rosters", action=argparse.BooleanOptionalAction, default=True,
                            help="also write and import the demo rosters (default: --rosters)")
        parser.add_argument("--roster-dir", type=Path, default=Path(settings.BASE_DIR) / "var" / "demo_rosters",
                            help="where the roster files are written (default var/demo_rosters)")
        parser.add_argument("--register-dir", type=Path,
                            default=Path(settings.BASE_DIR) / "var" / "demo_registers",
                            help="where the side-register files (deaths, cadres, land, payroll, vehicles, "
                                 "enterprises, pensions, moves) are written (default var/demo_registers)")
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off (never in production)")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("demo_data writes made-up people into the register; it runs only with DEBUG on.")
        counties = [code.strip() for code in options["counties"].split(",") if code.strip()]
        try:
            result = demo_data_generate(counties=counties, households=options["households"], seed=options["seed"],
                                        rosters=options["rosters"], roster_dir=options["roster_dir"],
                                        registers_dir=options["register_dir"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        state = "created" if result.created else "already present, nothing added"
        self.stdout.write(f"register ({', '.join(counties)}, seed {options['seed']}): {state}")
        statuses = Counter(roster.status for roster in result.rosters)
        self.stdout.write(", ".join(f"{name} {count}" for name, count in result.counts.items())
                          + f", rosters {len(result.rosters)}"
                          + (f" ({', '.join(f'{n} {status}' for status, n in sorted(statuses.items()))})"
                             if statuses else ""))
        for roster in result.rosters:
            self.stdout.write(
                f"{roster.item} {roster.item_name}  {roster.township_name}  {roster.period}  {roster.rows} rows  "
                f"{roster.total_fen // 100}.{roster.total_fen % 100:02d} yuan  {roster.status}"
                + (f" ({roster.message})" if roster.status != "accepted" and roster.message else "")
            )
            for error in roster.errors[:5]:
                self.stdout.write(f"    row {error['row']} {error['field']}: {error['message']}")
        if options["rosters"]:
            self.stdout.write(f"roster files in {options['roster_dir']}")
        self.stdout.write(f"side-register files in {options['register_dir']}: {len(result.register_files)}; "
                          f"planted anomalies: " + ", ".join(f"{p.rule} ({p.register})" for p in result.planted))
        for job in demo_registers_import(result.register_files):
            self.stdout.write(f"register import {job.kind} {job.region_id}: {job.status}, {job.rows_total} rows"
                              + (f" ({job.message})" if job.status != "accepted" else ""))
        if any(r.status in ("rejected", "failed") for r in result.rosters):
            raise CommandError("some demo rosters were not accepted (see above)")
