from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from disbursement.payments.demo import demo_cycle_run
from disbursement.risk.demo import demo_alerts_work
from disbursement.risk.services import risk_scan
from disbursement.supervision.services import facts_refresh_batched


class Command(BaseCommand):
    help = ("Run the full money cycle on the demo rosters: indicators, publicity, approvals, bank files, the "
            "simulated bank, reconciliation and one re-issue; then verify the ledger and the audit chain. Demo only.")

    def add_arguments(self, parser):
        parser.add_argument("--fail-rate", type=float, default=0.02)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off (never in production)")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("demo_cycle creates demo users and indicators; it runs only with DEBUG on.")
        # The scan first, so finance approval holds the lines the planted anomalies make suspect (事前拦截).
        outcome = risk_scan()
        self.stdout.write(f"risk scan: {len(outcome.alert_ids)} alerts ({len(outcome.created_ids)} new)")
        # The supervisor's figures are rebuilt once at the end, not after each of the cycle's bank files.
        with facts_refresh_batched():
            demo_cycle_run(fail_rate=options["fail_rate"], seed=options["seed"], out=self.stdout.write)
        outcome = risk_scan()
        self.stdout.write(f"risk scan after the cycle: {len(outcome.alert_ids)} alerts")
        demo_alerts_work(out=self.stdout.write)
        call_command("refresh_supervision_facts", stdout=self.stdout)
        call_command("verify_ledger", stdout=self.stdout)
        call_command("verify_audit", stdout=self.stdout)
