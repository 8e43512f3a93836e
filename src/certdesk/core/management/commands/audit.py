"""`certdesk audit verify`: walk the audit hash chain; exit 1 on any break."""
import sys

from django.core.management.base import BaseCommand

from certdesk.core import audit


class Command(BaseCommand):
    help = "Audit log tools. `verify` checks the hash chain and exits non-zero on any break."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        result = audit.verify()
        if result.ok:
            self.stdout.write(f"audit log OK: {result.checked} events, chain intact")
            return
        for problem in result.problems:
            self.stderr.write(f"audit log BROKEN: {problem}")
        self.stderr.write(f"{len(result.problems)} problem(s) in {result.checked} events")
        sys.exit(1)
