"""`certdesk demo`: fill the bootstrap customer with a realistic, validated demo organization."""
import os

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from certdesk.accounts import services as accounts
from certdesk.accounts.roles import Privilege
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import DomainError
from certdesk.domains import services as domains
from certdesk.tenancy import demo_large
from certdesk.tenancy import services as tenancy
from certdesk.tenancy.models import Customer, Organization

ORG = {
    "name": "Universite de Demo",
    "secondary_name": "UDemo",
    "alias": "udemo",
    "academic_code": "univ-demo.example.org",
    "address1": "1 place de l'Universite",
    "city": "Lyon",
    "state_province": "Auvergne-Rhone-Alpes",
    "postal_code": "69000",
    "country": "FR",
    "contact_emails": ["pki@univ-demo.example.org"],
    # The registration number client certificates carry (S/MIME BR organizationIdentifier: NTRFR-…).
    "ev_registration_number": "196912345",
}
DEPARTMENTS = ["Physics", "Computing Services"]
RAO_PRIVILEGES = [
    Privilege.ALLOW_CREATE, Privilege.ALLOW_EDIT, Privilege.ALLOW_DELETE, Privilege.ALLOW_DCV,
    Privilege.ALLOW_MANAGE_DOMAINS, Privilege.APPROVE_DOMAIN_DELEGATION, Privilege.AUTO_APPROVE_CERTIFICATES,
    Privilege.ADD_DEPARTMENTS, Privilege.EDIT_DEPARTMENTS,
]
DRAO_PRIVILEGES = [Privilege.ALLOW_EDIT, Privilege.ALLOW_DCV]


class Command(BaseCommand):
    help = ("Create a demo: a validated organization with two departments, a RAO and a DRAO "
            "(password CERTDESK_DEMO_PASSWORD, random and printed if unset). Idempotent. With --large: a "
            "network of FR/GB institutions with departments, admins, domains and real signed certificates "
            "in every status (see certdesk.tenancy.demo_large).")

    def add_arguments(self, parser):
        parser.add_argument("--large", action="store_true",
                            help="Build the large demo (organizations, domains, certificates) instead.")
        parser.add_argument("--organizations", type=int, default=None,
                            help=f"With --large: how many organizations (default {demo_large.DEFAULT_ORGANIZATIONS}).")
        parser.add_argument("--certificates", type=int, default=None,
                            help=f"With --large: how many SSL certificates (default "
                                 f"{demo_large.DEFAULT_CERTIFICATES}; about 100 s on 2 cores with an RSA-4096 CA).")
        parser.add_argument("--domains", type=int, default=None,
                            help=f"With --large: how many domains (default {demo_large.DOMAINS_PER_ORGANIZATION} "
                                 "per organization).")

    def handle(self, *args, **options):
        uri = os.environ.get("CERTDESK_BOOTSTRAP_CUSTOMER", "").strip() or "demo"
        customer = Customer.objects.filter(uri=uri).first()
        if customer is None:
            raise CommandError(f"Customer '{uri}' does not exist: run `certdesk bootstrap` first.")
        sized = [f"--{name}" for name in ("organizations", "certificates", "domains") if options.get(name) is not None]
        if options.get("large"):
            return self.handle_large(customer, uri, options)
        if sized:
            raise CommandError(f"{', '.join(sized)} only go with --large.")
        if Organization.objects.filter(customer=customer, name=ORG["name"], parent=None).exists():
            self.stdout.write(f"Demo organization '{ORG['name']}' already exists; nothing changed.")
            return
        password = os.environ.get("CERTDESK_DEMO_PASSWORD", "") or accounts.generate_password()
        actor = Actor.system(customer, interface=Interface.CLI, label="certdesk demo")
        try:
            with transaction.atomic():
                org = tenancy.create_organization(actor, **ORG)
                validation = tenancy.submit_validation(actor, org)
                tenancy.approve_validation(actor, validation)
                depts = [tenancy.create_department(actor, org, name=name) for name in DEPARTMENTS]
                accounts.create_admin(
                    actor, login="rao", email="rao@univ-demo.example.org", forename="Rachel", surname="Martin",
                    password=password, credentials=[{"role": role, "orgId": org.pk}
                                                    for role in ("RAO_SSL", "RAO_SMIME", "RAO_CS")],
                    privileges=RAO_PRIVILEGES, must_change_password=False,
                )
                accounts.create_admin(
                    actor, login="drao", email="drao@physics.univ-demo.example.org", forename="Denis",
                    surname="Bernard", password=password, credentials=[{"role": "DRAO_SSL", "orgId": depts[0].pk}],
                    privileges=DRAO_PRIVILEGES, must_change_password=False,
                )
                # Domains delegated for SSL: they show ACTION REQUIRED until someone validates them
                # (DCV needs DNS or a web server the demo cannot fake). The main one is delegated for
                # client certificates too, which need no DCV: persons @univ-demo.example.org can have
                # them at once (a name under example.org: the linters refuse reserved TLDs such as .example).
                domains.create_domain(actor, "univ-demo.example.org", description="Main domain",
                                      delegations=[(org, ["SSL", "SMIME"])])
                domains.create_domain(actor, "physics.univ-demo.example.org", description="Physics web sites",
                                      delegations=[(depts[0], ["SSL"])])
                domains.create_domain(actor, "*.physics.univ-demo.example.org", description="Physics wildcard",
                                      delegations=[(depts[0], ["SSL"])])
                accounts.create_admin(
                    actor, login="api-robot", email="robot@computing.univ-demo.example.org", forename="API",
                    surname="Robot", type="API", password=password,
                    credentials=[{"role": "DRAO_SSL", "orgId": depts[1].pk}], privileges=[],
                    must_change_password=False,
                )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready in customer '{uri}': organization '{org.name}' (VALIDATED) with departments "
            f"{', '.join(DEPARTMENTS)}; domains univ-demo.example.org, physics.univ-demo.example.org and its wildcard; "
            "admins rao (RAO), drao (DRAO of Physics), api-robot (Web API Use Only)."))
        self.stdout.write(f"Demo admins' password: {password}")
        self.stdout.write(f"Portal: {settings.BASE_URL}/customer/{uri}/")

    def handle_large(self, customer, uri, options):
        defaults = {"organizations": demo_large.DEFAULT_ORGANIZATIONS, "certificates": demo_large.DEFAULT_CERTIFICATES,
                    "domains": None}
        sizes = {name: default if options.get(name) is None else options[name] for name, default in defaults.items()}
        for name, (low, high) in {"organizations": (1, demo_large.MAX_ORGANIZATIONS),
                                  "certificates": (0, demo_large.MAX_CERTIFICATES),
                                  "domains": (0, demo_large.MAX_DOMAINS)}.items():
            value = sizes[name]
            if value is not None and not low <= value <= high:
                raise CommandError(f"--{name} must be between {low} and {high}.")
        if not customer.admins.exists():
            raise CommandError(f"Customer '{uri}' has no admin: run `certdesk bootstrap` first.")
        password = os.environ.get("CERTDESK_DEMO_PASSWORD", "") or accounts.generate_password()
        try:
            summary = demo_large.build(customer, password=password, log=self.stdout.write, **sizes)
        except (DomainError, LookupError) as exc:
            raise CommandError(str(exc)) from None
        added = (summary.organizations or summary.departments or summary.admins or summary.domains
                 or summary.certificates)
        if not added:
            self.stdout.write("The large demo is already there; nothing changed.")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Large demo ready in customer '{uri}' in {summary.seconds:.0f} s: {summary.organizations} "
                f"organizations, {summary.departments} departments, {len(summary.admins)} admins, "
                f"{summary.domains} domains and {summary.certificates} certificates added "
                f"({summary.signatures} signed by the issuing CA in {summary.signing_seconds:.0f} s)."))
        for role in ("MRAO", "RAO", "DRAO"):
            if role in summary.logins:
                self.stdout.write(f"  {role}: {summary.logins[role]}")
        if summary.admins:
            self.stdout.write(f"Demo admins' password: {password}")
        else:
            self.stdout.write("Demo admins' password: unchanged (the one printed by the first run, or "
                              "CERTDESK_DEMO_PASSWORD).")
        self.stdout.write(f"Portal: {settings.BASE_URL}/customer/{uri}/")
