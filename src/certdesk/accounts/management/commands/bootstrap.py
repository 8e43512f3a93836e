"""`certdesk bootstrap`: create (once) the customer and its MRAO from CERTDESK_BOOTSTRAP_* variables."""
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from certdesk.accounts import services
from certdesk.core.errors import DomainError


class Command(BaseCommand):
    help = ("Create the bootstrap customer (CERTDESK_BOOTSTRAP_CUSTOMER, default 'demo') and its MRAO admin "
            "(CERTDESK_BOOTSTRAP_ADMIN, default 'admin'; CERTDESK_BOOTSTRAP_PASSWORD, random and printed if "
            "unset). Idempotent.")

    def handle(self, *args, **options):
        customer_uri = os.environ.get("CERTDESK_BOOTSTRAP_CUSTOMER", "").strip() or "demo"
        login = os.environ.get("CERTDESK_BOOTSTRAP_ADMIN", "").strip() or "admin"
        password = os.environ.get("CERTDESK_BOOTSTRAP_PASSWORD", "")
        try:
            customer, admin, generated, created = services.bootstrap(customer_uri, login, password or None)
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        url = f"{settings.BASE_URL}/customer/{customer.uri}/"
        if not created:
            self.stdout.write(f"Customer '{customer.uri}' and admin '{admin.login}' already exist; nothing changed.")
            self.stdout.write(f"Portal: {url}")
            self.stdout.write(f"Login:  {admin.login}")
            pw_file = settings.DATA_DIR / "bootstrap-password.txt"
            if admin.must_change_password and pw_file.exists():
                self.stdout.write(f"Initial password (not changed yet): see {pw_file}")
            return
        self.stdout.write(self.style.SUCCESS(f"Created customer '{customer.uri}' with MRAO admin '{admin.login}'."))
        self.stdout.write(f"Portal: {url}")
        self.stdout.write(f"Login:  {admin.login}")
        if generated:
            self.stdout.write(f"Password: {generated}   (generated; you will be asked to change it at first login)")
            pw_file = settings.DATA_DIR / "bootstrap-password.txt"
            fd = os.open(pw_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(f"customer={customer.uri}\nlogin={admin.login}\npassword={generated}\n")
            self.stdout.write(f"          (also written to {pw_file}, mode 0600)")
        else:
            self.stdout.write("Password: the one given in CERTDESK_BOOTSTRAP_PASSWORD")
