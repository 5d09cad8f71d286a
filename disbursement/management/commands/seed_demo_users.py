from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from disbursement.accounts.demo import DEMO_PASSWORD, demo_users_create


class Command(BaseCommand):
    help = "Create one demo user per role (demo only: refused when DEBUG is off)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off (never in production)")

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo_users creates users with a known password; it runs only with DEBUG on.")
        rows = demo_users_create()
        self.stdout.write(f"{'username':<22} {'role':<20} region")
        for user, created in rows:
            mark = "" if created else " (existed)"
            self.stdout.write(f"{user.username:<22} {user.role:<20} {user.region.name} {user.region_id}{mark}")
        self.stdout.write(f"password for all of them: {DEMO_PASSWORD}")
