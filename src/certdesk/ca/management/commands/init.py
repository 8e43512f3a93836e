"""`certdesk init`: create the built-in CA hierarchy once; re-running only lists it."""
from django.core.management.base import BaseCommand, CommandError

from certdesk.ca import services
from certdesk.core.errors import DomainError


class Command(BaseCommand):
    help = ("Create the certificate authorities once: an RSA and an ECC root, each with OV SSL, EV SSL, "
            "Client and Code Signing issuing CAs. Re-running lists them and changes nothing.")

    def handle(self, *args, **options):
        try:
            services.init_authorities(stdout=self.stdout)
        except DomainError as exc:
            raise CommandError(exc.message) from None
