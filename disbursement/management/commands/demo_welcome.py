import unicodedata

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from disbursement.accounts.demo import DEMO_PASSWORD, demo_users_all


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal; ljust would count them as one.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - _width(text), 0)


class Command(BaseCommand):
    help = "Print where the demo runs and every demo user with the password: the last thing `make demo` says."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/")
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off (never in production)")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("demo_welcome prints the demo password; it runs only with DEBUG on.")
        url = options["url"].rstrip("/") + "/"
        rows = [("username", "role", "region", "name")] + [
            (u.username, u.role, u.region.name if u.region_id else "", u.full_name)
            for u in demo_users_all()
        ]
        widths = [max(_width(row[i]) for row in rows) + 2 for i in range(3)]
        self.stdout.write("")
        self.stdout.write(f"One-card subsidy system: {url}  (API docs: {url}api/v1/docs, public portal: {url}public/)")
        self.stdout.write(f"SMS notices of the demo: {url}admin/disbursement/notice/ (as province_admin) and "
                          f"{settings.NOTICE_LOG_FILE or 'the log'}")
        self.stdout.write("")
        for row in rows:
            self.stdout.write("".join(_pad(cell, w) for cell, w in zip(row[:3], widths, strict=True)) + row[3])
        self.stdout.write(f"password for all of them: {DEMO_PASSWORD}")
