from django.core.management.base import BaseCommand

from disbursement.budget.verification import ledger_findings


class Command(BaseCommand):
    help = "Check every money-path invariant (ledger balances, payments against the ledger, references)."

    def handle(self, *args, **options):
        findings = ledger_findings()
        for finding in findings:
            self.stderr.write(finding)
        if findings:
            raise SystemExit(1)
        self.stdout.write("ledger ok: every indicator balance non-negative, every roster's ledger equals its payments")
