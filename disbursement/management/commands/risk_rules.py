import json

from django.core.management.base import BaseCommand

from disbursement.risk.base import RULES
from disbursement.risk.services import rules_enabled


class Command(BaseCommand):
    help = "List the risk rules: code, Chinese name, family, severity, whether enabled, registers needed."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON array, one object per rule")

    def handle(self, *args, **options):
        enabled = {rule.code for rule in rules_enabled()}
        rules = [{"code": rule.code, "name": rule.name, "family": rule.family, "severity": str(rule.severity),
                  "enabled": rule.code in enabled, "needs": list(rule.needs)}
                 for rule in (RULES[code] for code in sorted(RULES))]
        if options["json"]:
            self.stdout.write(json.dumps(rules, ensure_ascii=False))
            return
        for rule in rules:
            self.stdout.write(f"{rule['code']:4} {rule['severity']:6} {'on ' if rule['enabled'] else 'off'} "
                              f"{rule['family']:9} {rule['name']}  [{', '.join(rule['needs'])}]")
