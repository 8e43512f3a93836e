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
from certdesk.tenancy import services as tenancy
from certdesk.tenancy.models import Customer, Organization

ORG = {
    "name": "Universite de Demo",
    "secondary_name": "UDemo",
    "alias": "udemo",
    "academic_code": "univ-demo.example",
    "address1": "1 place de l'Universite",
    "city": "Lyon",
    "state_province": "Auvergne-Rhone-Alpes",
    "postal_code": "69000",
    "country": "FR",
    "contact_emails": ["pki@univ-demo.example"],
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
            "(password CERTDESK_DEMO_PASSWORD, random and printed if unset). Idempotent.")

    def handle(self, *args, **options):
        uri = os.environ.get("CERTDESK_BOOTSTRAP_CUSTOMER", "").strip() or "demo"
        customer = Customer.objects.filter(uri=uri).first()
        if customer is None:
            raise CommandError(f"Customer '{uri}' does not exist: run `certdesk bootstrap` first.")
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
                    actor, login="rao", email="rao@univ-demo.example", forename="Rachel", surname="Martin",
                    password=password, credentials=[{"role": role, "orgId": org.pk}
                                                    for role in ("RAO_SSL", "RAO_SMIME", "RAO_CS")],
                    privileges=RAO_PRIVILEGES, must_change_password=False,
                )
                accounts.create_admin(
                    actor, login="drao", email="drao@physics.univ-demo.example", forename="Denis",
                    surname="Bernard", password=password, credentials=[{"role": "DRAO_SSL", "orgId": depts[0].pk}],
                    privileges=DRAO_PRIVILEGES, must_change_password=False,
                )
                # Domains delegated for SSL: they show ACTION REQUIRED until someone validates them
                # (DCV needs DNS or a web server the demo cannot fake).
                domains.create_domain(actor, "univ-demo.example", description="Main domain",
                                      delegations=[(org, ["SSL", "SMIME"])])
                domains.create_domain(actor, "physics.univ-demo.example", description="Physics web sites",
                                      delegations=[(depts[0], ["SSL"])])
                domains.create_domain(actor, "*.physics.univ-demo.example", description="Physics wildcard",
                                      delegations=[(depts[0], ["SSL"])])
                accounts.create_admin(
                    actor, login="api-robot", email="robot@computing.univ-demo.example", forename="API",
                    surname="Robot", type="API", password=password,
                    credentials=[{"role": "DRAO_SSL", "orgId": depts[1].pk}], privileges=[],
                    must_change_password=False,
                )
        except DomainError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready in customer '{uri}': organization '{org.name}' (VALIDATED) with departments "
            f"{', '.join(DEPARTMENTS)}; domains univ-demo.example, physics.univ-demo.example and its wildcard; "
            "admins rao (RAO), drao (DRAO of Physics), api-robot (Web API Use Only)."))
        self.stdout.write(f"Demo admins' password: {password}")
        self.stdout.write(f"Portal: {settings.BASE_URL}/customer/{uri}/")
