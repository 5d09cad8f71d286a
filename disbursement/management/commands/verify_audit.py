from django.core.management.base import BaseCommand, CommandError

from disbursement.audit.selectors import audit_chain_tail, audit_chain_verify


class Command(BaseCommand):
    help = ("Verify the audit log's hash chain: names every record edited, deleted or reordered (exit 1), "
            "or prints a one-line summary with the tail hash (exit 0).")

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=5000, help="Records read per query.")

    def handle(self, *args, batch_size: int, **options):
        # Verify up to the tail seen now: records appended meanwhile are left for the next run.
        tail = audit_chain_tail()
        if tail is None:
            self.stdout.write("audit chain ok: no records")
            return
        findings = audit_chain_verify(batch_size=batch_size, up_to_seq=tail.seq)
        if findings:
            for finding in findings:
                self.stderr.write(str(finding))
            records = len({finding.seq for finding in findings})
            raise CommandError(f"audit chain broken: {len(findings)} problem(s) at {records} record(s) "
                               f"up to seq {tail.seq}")
        self.stdout.write(f"audit chain ok: {tail.seq} records, seq 1..{tail.seq}, tail hash {tail.hash}")
