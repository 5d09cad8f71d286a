from argparse import ArgumentTypeError
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from disbursement.banking.formats import BankFileError, return_file_parse, return_totals
from disbursement.banking.simulator import bank_simulate
from disbursement.money import fen_to_yuan
from disbursement.registry.validators import china_today


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


class Command(BaseCommand):
    help = ("Play the agent bank: answer a payment file (代发文件) with a return file (回盘文件), failing a share "
            "of the lines. Same file, seed and date give the same return file.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("payment_file", type=Path)
        parser.add_argument("--fail-rate", type=float, default=0.02, help="share of lines that fail, 0-1 (0.02)")
        parser.add_argument("--seed", type=int, default=0, help="random seed, 0 or more (0)")
        parser.add_argument("--out", type=Path, help="return file (default: <payment file name>.return.csv beside it)")
        parser.add_argument("--paid-on", type=_day, help="processing date YYYY-MM-DD (default: today in China)")

    def handle(self, *args, **options):
        source: Path = options["payment_file"]
        if not source.is_file():
            raise CommandError(f"{source}: no such file")
        target: Path = options["out"] or source.with_name(f"{source.stem}.return.csv")
        if target.resolve() == source.resolve():
            raise CommandError("the return file would overwrite the payment file; choose another --out")
        try:
            content = bank_simulate(source.read_bytes(), fail_rate=options["fail_rate"], seed=options["seed"],
                                    processed=options["paid_on"] or china_today())
        except (BankFileError, ValueError) as exc:
            raise CommandError(f"{source}: {exc}") from None
        # Written beside the target and renamed, so a watcher never picks up half a file.
        partial = target.with_name(f"{target.name}.part")
        partial.write_bytes(content)
        partial.replace(target)

        header, rows = return_file_parse(content)
        totals = return_totals(rows)
        reasons = ", ".join(f"{code} {count}" for code, count in totals.failed_by_reason.items())
        self.stdout.write(str(target))
        self.stdout.write(f"{header.file_id} answers {header.payment_file_id}, processed {header.processed}: "
                          f"{header.record_count} lines, {fen_to_yuan(header.total_fen)} yuan")
        self.stdout.write(f"paid    {totals.paid_count} lines, {fen_to_yuan(totals.paid_fen)} yuan")
        self.stdout.write(f"failed  {totals.failed_count} lines, {fen_to_yuan(totals.failed_fen)} yuan"
                          + (f" ({reasons})" if reasons else ""))
