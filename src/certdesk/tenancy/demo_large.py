"""`certdesk demo --large`: a realistic network of French and British institutions in the bootstrap
customer, for people who try the portal as MRAO, RAO and DRAO, in English and French.

What it writes (every count scales with --organizations / --certificates / --domains):

- organizations (universities, schools, laboratories, observatories of FR and GB, with their real
  cities and addresses, some with EV details), each VALIDATED, with 2–4 departments: through the
  tenancy services (audited), as an MRAO would;
- RAO admins for one organization in three and DRAO admins for one department in four, through
  the accounts services (so logins work: password CERTDESK_DEMO_PASSWORD, or a printed random one),
  French-speaking ones for French institutions; an ACME account per organization (acme services);
- domains delegated to the organizations and departments (`<code>.example.org` for FR and
  `<code>.example.net` for GB: RFC 2606 names, so nothing ever resolves to a real institution), with
  DCV VALIDATED (expiries spread over the reuse period, some close to expiry), EXPIRED, pending (an
  open DCV order awaiting submission) and NOT VALIDATED, a few delegations awaiting approval;
- SSL certificates in every status (REQUESTED awaiting approval, ISSUED, EXPIRED, REVOKED with
  reasons, DECLINED, INVALID, REPLACED with its successor, renewed ones with their renewal),
  requested via Client Admin, ACME, Web API and the Enrollment Form, profiles spread over the
  seeded ones, issued over the last two years, some auto-renewing, with their history.

Every ISSUED, EXPIRED, REVOKED and REPLACED certificate is a real X.509 certificate signed by the
issuing CA of `certdesk init`, built by the issuance pipeline's own `issuance.builder_for` with
explicit dates and signed through the CA's Signer (`get_signer`), so downloads, the chain, OCSP and
the CRLs work for them. For speed this bulk path (a demo, not issuance):

- does NOT lint before signing (the pipeline lints every certificate it issues; these are built by
  the same function from the same seeded profiles);
- reuses a handful of leaf key pairs (RSA-2048 and EC P-256, made once per run; one more key only for
  the certificates revoked for key compromise, so the others can still be renewed), with one CSR
  per key;
- writes the domains, DCV orders, certificates and their history rows with bulk_create in batches
  (each batch committed on its own: an interrupted run is resumed by the next one), with no
  per-row audit event, signal or notification — one `demo.large_created` audit event sums it up.
  Revoked certificates need no signal either: the CRLs of the CA are marked stale at the end, and
  OCSP answers from the certificate rows.

Idempotent: everything is looked up by name first; certificates are counted per run, so a second
run with the same sizes adds nothing.
"""
from __future__ import annotations

import hashlib
import random
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certdesk.accounts import services as accounts
from certdesk.accounts.models import Admin
from certdesk.accounts.roles import Privilege
from certdesk.core import audit
from certdesk.core.actor import Actor, Interface
from certdesk.tenancy import services as tenancy
from certdesk.tenancy.models import Customer, Organization

# ---------------------------------------------------------------------------
# The institutions: (name, code, city, region, postal code, address, kind). Names are ASCII: they
# go into certificate subjects (printable ASCII only, as Sectigo requires since 2021-09).

FR = "FR"
GB = "GB"
UNIVERSITY, SCHOOL, LAB, HIGH_SCHOOL = "university", "school", "lab", "high_school"

FRENCH = (
    ("Universite de Rennes", "univ-rennes", "Rennes", "Bretagne", "35000", "2 rue du Thabor", UNIVERSITY),
    ("Universite Grenoble Alpes", "univ-grenoble-alpes", "Saint-Martin-d'Heres", "Auvergne-Rhone-Alpes",
     "38400", "621 avenue Centrale", UNIVERSITY),
    ("Universite de Strasbourg", "unistra", "Strasbourg", "Grand Est", "67000", "4 rue Blaise Pascal",
     UNIVERSITY),
    ("Universite de Bordeaux", "u-bordeaux", "Bordeaux", "Nouvelle-Aquitaine", "33000", "35 place Pey Berland",
     UNIVERSITY),
    ("Universite de Lille", "univ-lille", "Lille", "Hauts-de-France", "59000", "42 rue Paul Duez", UNIVERSITY),
    ("Nantes Universite", "univ-nantes", "Nantes", "Pays de la Loire", "44000", "1 quai de Tourville",
     UNIVERSITY),
    ("Universite Toulouse III - Paul Sabatier", "univ-tlse3", "Toulouse", "Occitanie", "31062",
     "118 route de Narbonne", UNIVERSITY),
    ("Universite de Montpellier", "umontpellier", "Montpellier", "Occitanie", "34000",
     "163 rue Auguste Broussonnet", UNIVERSITY),
    ("Universite Claude Bernard Lyon 1", "univ-lyon1", "Villeurbanne", "Auvergne-Rhone-Alpes", "69100",
     "43 boulevard du 11 Novembre 1918", UNIVERSITY),
    ("Aix-Marseille Universite", "univ-amu", "Marseille", "Provence-Alpes-Cote d'Azur", "13007",
     "58 boulevard Charles Livon", UNIVERSITY),
    ("Ecole Centrale de Nantes", "ec-nantes", "Nantes", "Pays de la Loire", "44300", "1 rue de la Noe", SCHOOL),
    ("INSA Lyon", "insa-lyon", "Villeurbanne", "Auvergne-Rhone-Alpes", "69621", "20 avenue Albert Einstein",
     SCHOOL),
    ("Observatoire de la Cote d'Azur", "oca", "Nice", "Provence-Alpes-Cote d'Azur", "06304",
     "Boulevard de l'Observatoire", LAB),
    ("Universite de Poitiers", "univ-poitiers", "Poitiers", "Nouvelle-Aquitaine", "86000",
     "15 rue de l'Hotel Dieu", UNIVERSITY),
    ("Universite de Caen Normandie", "unicaen", "Caen", "Normandie", "14000", "Esplanade de la Paix",
     UNIVERSITY),
    ("Ecole Normale Superieure de Lyon", "ens-lyon", "Lyon", "Auvergne-Rhone-Alpes", "69007",
     "15 parvis Rene Descartes", SCHOOL),
    ("Institut de Physique du Globe de Paris", "ipgp", "Paris", "Ile-de-France", "75005", "1 rue Jussieu", LAB),
    ("Lycee Henri IV", "lycee-henri4", "Paris", "Ile-de-France", "75005", "23 rue Clovis", HIGH_SCHOOL),
    ("Universite de Limoges", "unilim", "Limoges", "Nouvelle-Aquitaine", "87000", "33 rue Francois Mitterrand",
     UNIVERSITY),
    ("Universite de Franche-Comte", "univ-fcomte", "Besancon", "Bourgogne-Franche-Comte", "25000",
     "1 rue Claude Goudimel", UNIVERSITY),
    ("Ecole des Mines de Saint-Etienne", "emse", "Saint-Etienne", "Auvergne-Rhone-Alpes", "42023",
     "158 cours Fauriel", SCHOOL),
    ("Laboratoire d'Annecy de Physique des Particules", "lapp", "Annecy", "Auvergne-Rhone-Alpes", "74940",
     "9 chemin de Bellevue", LAB),
    ("Universite de Reims Champagne-Ardenne", "univ-reims", "Reims", "Grand Est", "51100",
     "9 boulevard de la Paix", UNIVERSITY),
    ("Grenoble INP", "grenoble-inp", "Grenoble", "Auvergne-Rhone-Alpes", "38031", "46 avenue Felix Viallet",
     SCHOOL),
    ("Lycee du Parc", "lyceeduparc", "Lyon", "Auvergne-Rhone-Alpes", "69006", "1 boulevard Anatole France",
     HIGH_SCHOOL),
    ("Sorbonne Universite", "sorbonne-universite", "Paris", "Ile-de-France", "75005",
     "21 rue de l'Ecole de Medecine", UNIVERSITY),
    ("Institut de Recherche en Informatique de Toulouse", "irit", "Toulouse", "Occitanie", "31062",
     "118 route de Narbonne", LAB),
    ("Universite Paris Cite", "u-paris", "Paris", "Ile-de-France", "75006", "85 boulevard Saint-Germain",
     UNIVERSITY),
)
BRITISH = (
    ("University of Bristol", "bristol", "Bristol", "England", "BS8 1QU", "Beacon House, Queens Road", UNIVERSITY),
    ("University of Edinburgh", "ed", "Edinburgh", "Scotland", "EH8 9YL", "Old College, South Bridge",
     UNIVERSITY),
    ("University of Manchester", "manchester", "Manchester", "England", "M13 9PL", "Oxford Road", UNIVERSITY),
    ("Rutherford Appleton Laboratory", "ral", "Didcot", "Oxfordshire", "OX11 0QX", "Harwell Campus", LAB),
    ("University of Leeds", "leeds", "Leeds", "England", "LS2 9JT", "Woodhouse Lane", UNIVERSITY),
    ("Cardiff University", "cardiff", "Cardiff", "Wales", "CF10 3AT", "Park Place", UNIVERSITY),
    ("University of Glasgow", "gla", "Glasgow", "Scotland", "G12 8QQ", "University Avenue", UNIVERSITY),
    ("Imperial College London", "imperial", "London", "England", "SW7 2AZ", "Exhibition Road", SCHOOL),
    ("University of York", "york", "York", "England", "YO10 5DD", "Heslington", UNIVERSITY),
    ("Durham University", "durham", "Durham", "England", "DH1 3LE", "Stockton Road", UNIVERSITY),
    ("Royal Observatory Edinburgh", "roe", "Edinburgh", "Scotland", "EH9 3HJ", "Blackford Hill", LAB),
    ("University of Southampton", "soton", "Southampton", "England", "SO17 1BJ", "University Road", UNIVERSITY),
    ("Queen's University Belfast", "qub", "Belfast", "Northern Ireland", "BT7 1NN", "University Road",
     UNIVERSITY),
    ("Manchester Grammar School", "mgs", "Manchester", "England", "M13 0XT", "Old Hall Lane", HIGH_SCHOOL),
    ("University of Nottingham", "nottingham", "Nottingham", "England", "NG7 2RD", "University Park",
     UNIVERSITY),
    ("Daresbury Laboratory", "dl", "Warrington", "Cheshire", "WA4 4AD", "Keckwick Lane", LAB),
)

# Departments (name, DNS label) by country and kind.
DEPARTMENTS = {
    (FR, UNIVERSITY): (("Direction du Numerique", "dnum"), ("Physique", "physique"), ("Chimie", "chimie"),
                       ("Faculte de Medecine", "medecine"), ("Bibliotheque Universitaire", "bu"),
                       ("Mathematiques", "maths"), ("Faculte de Droit", "droit")),
    (FR, SCHOOL): (("Service Informatique", "si"), ("Laboratoire de Mecanique", "meca"),
                   ("Departement Genie Electrique", "ge"), ("Direction des Etudes", "etudes")),
    (FR, LAB): (("Service Informatique", "si"), ("Equipe Astrophysique", "astro"), ("Calcul Scientifique", "calcul"),
                ("Instrumentation", "instru")),
    (FR, HIGH_SCHOOL): (("Administration", "admin"), ("Classes Preparatoires", "cpge"), ("CDI", "cdi")),
    (GB, UNIVERSITY): (("IT Services", "its"), ("School of Physics", "physics"), ("School of Chemistry", "chem"),
                       ("Medical School", "med"), ("Library", "library"), ("School of Engineering", "eng"),
                       ("School of Law", "law")),
    (GB, SCHOOL): (("ICT Services", "ict"), ("Department of Computing", "computing"),
                   ("Department of Physics", "physics"), ("Business School", "business")),
    (GB, LAB): (("Scientific Computing", "scd"), ("Particle Physics", "ppd"), ("Facilities", "facilities"),
                ("Space Science", "space")),
    (GB, HIGH_SCHOOL): (("Bursary", "bursary"), ("Sixth Form", "sixthform"), ("IT Support", "it")),
}
HOSTS = {
    FR: ("www", "intranet", "ent", "moodle", "webmail", "cas", "sso", "vpn", "gitlab", "wiki", "api", "portail",
         "annuaire", "agenda", "visio", "nextcloud", "sympa", "glpi", "mattermost", "hal", "theses", "recrutement"),
    GB: ("www", "intranet", "moodle", "mail", "sso", "idp", "vpn", "gitlab", "wiki", "api", "portal", "staff",
         "students", "jobs", "library", "events", "research", "nextcloud", "jira", "confluence", "teams", "lists"),
}
PEOPLE = {
    FR: (("Camille", "Lefebvre"), ("Julien", "Moreau"), ("Sophie", "Girard"), ("Nicolas", "Fontaine"),
         ("Claire", "Rousseau"), ("Thomas", "Lambert"), ("Elodie", "Mercier"), ("Antoine", "Chevalier"),
         ("Manon", "Garnier"), ("Pierre", "Faure"), ("Lucie", "Andre"), ("Mathieu", "Blanc")),
    GB: (("Oliver", "Hughes"), ("Emily", "Clarke"), ("James", "Walker"), ("Charlotte", "Wright"),
         ("Harry", "Robinson"), ("Amelia", "Thompson"), ("George", "Evans"), ("Isla", "Campbell"),
         ("Jack", "Davies"), ("Sophie", "Patel"), ("William", "Murray"), ("Grace", "Kelly")),
}
RAO_PRIVILEGES = [
    Privilege.ALLOW_CREATE, Privilege.ALLOW_EDIT, Privilege.ALLOW_DELETE, Privilege.ALLOW_DCV,
    Privilege.ALLOW_MANAGE_DOMAINS, Privilege.APPROVE_DOMAIN_DELEGATION, Privilege.AUTO_APPROVE_CERTIFICATES,
    Privilege.ADD_DEPARTMENTS, Privilege.EDIT_DEPARTMENTS,
]
DRAO_PRIVILEGES = [Privilege.ALLOW_EDIT, Privilege.ALLOW_DCV]

DECLINE_REASONS = (
    "Duplicate request: the certificate already exists.",
    "Please use the department's wildcard certificate.",
    "This host is not managed by our department.",
    "Wrong organization: request it under the IT department.",
    "Merci d'utiliser le certificat wildcard du service.",
    "Demande en double.",
)
INVALID_REASONS = (
    "CAA records of {name} do not authorize this CA (issue \"letsencrypt.org\").",
    "The domain {name} has no valid DCV any more: validate it again.",
)
# (RFC 5280 reason code, comment)
REVOCATIONS = (
    (5, "Server decommissioned"), (5, "Service arrete"), (0, ""), (3, "Service moved to another department"),
    (4, "Superseded by a new certificate"), (1, "Private key published in a public repository"),
    (5, "Hostname no longer in use"), (0, "Requested by the server owner"),
)
KEY_COMPROMISE = 1
COMMENTS = ("", "", "", "Production web server", "Load balancer", "Serveur de preproduction", "Renouvellement annuel",
            "Reverse proxy", "Requested for the new LMS", "Certificat pour le serveur LDAP")
EXPIRY_ACTOR = "certdesk expiry"
ACTOR_LABEL = "certdesk demo --large"
DOMAINS_PER_ORGANIZATION = 75
DEFAULT_ORGANIZATIONS = 40
DEFAULT_CERTIFICATES = 20_000
MAX_ORGANIZATIONS = 500
MAX_CERTIFICATES = 1_000_000
MAX_DOMAINS = 100_000
BATCH = 500


def institutions(count: int) -> list[tuple]:
    """`count` institutions, two French for one British, extended with numbered campuses if needed."""
    fr, gb, out = list(FRENCH), list(BRITISH), []
    while (fr or gb) and len(out) < count:
        for source, country in ((fr, FR), (fr, FR), (gb, GB)):
            if source and len(out) < count:
                out.append((*source.pop(0), country))
    base = list(out)
    extra = 2
    while len(out) < count:
        for entry in base:
            if len(out) >= count:
                break
            name, code, *rest = entry
            out.append((f"{name} - Campus {extra}"[:64], f"{code}-campus{extra}", *rest))
        extra += 1
    return out


# ---------------------------------------------------------------------------
# Helpers


def _rng(*parts) -> random.Random:
    """A random generator fixed by `parts`: the same name always gets the same data."""
    return random.Random(int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "big"))


@contextmanager
def explicit_dates(*models):
    """Let bulk_create keep the `created`/`modified` dates given (auto_now/auto_now_add off meanwhile):
    a history two years long needs rows created two years ago."""
    saved = []
    for model in models:
        for f in model._meta.concrete_fields:
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                saved.append((f, f.auto_now, f.auto_now_add))
                f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


@dataclass
class Unit:
    """An organization or department with what the generators need."""

    org: Organization
    country: str
    base: str  # DNS name of the unit: code.example.org or label.code.example.org
    kind: str
    ev: bool = False
    domains: list = field(default_factory=list)  # (name, is_wildcard) delegated here
    requester: Admin | None = None  # who requests in the portal (RAO / DRAO) — None: the MRAO
    approver: Admin | None = None
    acme_label: str = ""


@dataclass
class Summary:
    organizations: int = 0
    departments: int = 0
    admins: list = field(default_factory=list)
    domains: int = 0
    certificates: int = 0
    seconds: float = 0.0
    signatures: int = 0
    signing_seconds: float = 0.0
    password: str = ""
    logins: dict = field(default_factory=dict)  # role → example login


# ---------------------------------------------------------------------------
# Organizations, departments, admins, ACME accounts: through the services


def _login_of(*parts: str) -> str:
    return "-".join(p for p in parts if p)[:60]


def build_network(actor: Actor, customer: Customer, n_orgs: int, password: str, summary: Summary,
                  log=print) -> list[Unit]:
    from certdesk.acme import services as acme
    from certdesk.acme.models import AcmeAccount

    units: list[Unit] = []
    for index, (name, code, city, region, postcode, address, kind, country) in enumerate(institutions(n_orgs)):
        base = f"{code}.example.{'org' if country == FR else 'net'}"
        org = Organization.objects.filter(customer=customer, parent=None, name=name).first()
        ev = index % 4 == 1
        if org is None:
            with transaction.atomic():
                values = dict(name=name, alias=code[:64], academic_code=base, address1=address, city=city,
                              state_province=region, postal_code=postcode, country=country,
                              contact_emails=[f"pki@{base}"], ssl_certs_api_enabled=True)
                if ev:
                    values.update(ev_jurisdiction_country=country,
                                  ev_business_category="Government Entity",
                                  ev_registration_number=(f"19{_rng(code).randrange(10**7):07d}" if country == FR
                                                          else f"RC{_rng(code).randrange(10**6):06d}"))
                org = tenancy.create_organization(actor, **values)
                validation = tenancy.submit_validation(actor, org)
                tenancy.approve_validation(actor, validation)
                org.refresh_from_db()
            summary.organizations += 1
        top = Unit(org=org, country=country, base=base, kind=kind, ev=bool(org.ev_business_category))
        units.append(top)
        pool = DEPARTMENTS[(country, kind)]
        n_depts = 2 + _rng("depts", code).randrange(3)
        existing = {d.name: d for d in org.departments.all()}
        for dept_name, label in pool[:n_depts]:
            dept = existing.get(dept_name)
            if dept is None:
                dept = tenancy.create_department(actor, org, name=dept_name)
                summary.departments += 1
            dept.parent = org
            units.append(Unit(org=dept, country=country, base=f"{label}.{base}", kind=kind, ev=top.ev))
        # Admins: a RAO for one organization in three, a DRAO for the first department of one in four.
        people = PEOPLE[country]
        language = "fr" if country == FR else "en"
        dept_units = [u for u in units if u.org.parent_id == org.pk]
        if index % 3 == 0:
            forename, surname = people[index % len(people)]
            login = _login_of("rao", code)
            top.requester = top.approver = _admin(
                actor, customer, login, summary, password=password, email=f"{forename.lower()}.{surname.lower()}@{base}",
                forename=forename, surname=surname, language=language,
                credentials=[{"role": role, "orgId": org.pk} for role in ("RAO_SSL", "RAO_SMIME", "RAO_CS")],
                privileges=RAO_PRIVILEGES)
            summary.logins.setdefault("RAO", f"{login} ({org.name})")
            for unit in dept_units:
                unit.approver = top.approver
        if index % 4 == 0 and dept_units:
            unit = dept_units[0]
            forename, surname = people[(index + 5) % len(people)]
            login = _login_of("drao", code, unit.base.split(".")[0])
            unit.requester = _admin(
                actor, customer, login, summary, password=password,
                email=f"{forename.lower()}.{surname.lower()}@{unit.base}", forename=forename, surname=surname,
                language=language, credentials=[{"role": "DRAO_SSL", "orgId": unit.org.pk}],
                privileges=DRAO_PRIVILEGES)
            summary.logins.setdefault("DRAO", f"{login} ({unit.org.parent.name} / {unit.org.name})")
        # An ACME account per organization (its certificates show "acme:<name>" as requester).
        acme_name = f"{code} servers"
        if not AcmeAccount.objects.filter(organization=org, name=acme_name).exists():
            acme.create_account(actor, organization=org, endpoint_name="OV", name=acme_name)
        top.acme_label = f"acme:{acme_name}"
        for unit in dept_units:
            unit.acme_label = top.acme_label
    log(f"organizations: {summary.organizations} created, departments: {summary.departments} created")
    return units


def _admin(actor, customer, login, summary, *, password, **values) -> Admin:
    admin = Admin.objects.filter(customer=customer, login=login).first()
    if admin is None:
        admin = accounts.create_admin(actor, login=login, password=password, must_change_password=False, **values)
        summary.admins.append(login)
    return admin


# ---------------------------------------------------------------------------
# Domains: rows as the domain and DCV services leave them


def domain_names(units: list[Unit], total: int) -> list[tuple[Unit, str]]:
    """`total` domain names over the units: each unit's name and wildcard first, then hosts."""
    out: list[tuple[Unit, str]] = []
    seen: set[str] = set()

    def add(unit, name):
        if name not in seen and len(out) < total:
            seen.add(name)
            out.append((unit, name))

    for unit in units:
        add(unit, unit.base)
        add(unit, f"*.{unit.base}")
    round_ = 0
    while len(out) < total:
        before = len(out)
        for unit in units:
            hosts = HOSTS[unit.country]
            label = hosts[round_ % len(hosts)]
            if round_ >= len(hosts):
                label = f"{label}{round_ // len(hosts) + 1}"
            add(unit, f"{label}.{unit.base}")
        round_ += 1
        if len(out) == before and round_ > 10_000:
            break
    return out


def build_domains(actor: Actor, customer: Customer, mrao: Admin, units: list[Unit], total: int, now: datetime,
                  summary: Summary, log=print) -> None:
    from certdesk.domains import dcv, names
    from certdesk.domains.models import DcvOrder, Delegation, Domain
    from certdesk.domains.services.validation import RANDOM_VALUE_DAYS
    from certdesk.domains.states import (EXPIRY_NOTICE_DAYS, DcvMethod, DcvStatus, DelegationStatus,
                                         OrderStatus, reuse_days)

    wanted = domain_names(units, total)
    existing = set(Domain.objects.filter(customer=customer, name__in=[n for _, n in wanted])
                   .values_list("name", flat=True))
    missing = [(u, n) for u, n in wanted if n not in existing]
    started = time.perf_counter()
    for start in range(0, len(missing), BATCH):
        chunk = missing[start:start + BATCH]
        domains, plans = [], []
        for unit, name in chunk:
            rng = _rng("domain", name)
            wildcard = name.startswith("*.")
            created = now - timedelta(days=rng.uniform(200, 900))
            methods = [DcvMethod.CNAME, DcvMethod.TXT, DcvMethod.EMAIL] + ([] if wildcard else [DcvMethod.HTTP])
            method = rng.choice(methods)
            roll = rng.random()
            domain = Domain(customer=customer, name=name, name_unicode=names.to_unicode(name).lower(),
                            description=("" if rng.random() < 0.6 else f"{unit.org}"[:256]), created=created,
                            modified=created, created_by=mrao)
            order = None
            if roll < 0.68:  # validated; a few expiring within the notice windows
                reuse = reuse_days(now)
                left = rng.uniform(0.5, reuse - 1) if rng.random() > 0.08 else rng.uniform(0.5, 30)
                validated = now - timedelta(days=reuse - left)
                validated = max(validated, created + timedelta(hours=1))
                domain.dcv_status, domain.dcv_method = DcvStatus.VALIDATED, method
                domain.dcv_validated_at, domain.dcv_expires = validated, now + timedelta(days=left)
                domain.dcv_notice_days = next((d for d in sorted(EXPIRY_NOTICE_DAYS) if left < d), None)
                domain.modified = validated
                order = ("validated", method, validated)
            elif roll < 0.80:  # the validation ran out
                expired = now - timedelta(days=rng.uniform(1, 300))
                validated = expired - timedelta(days=reuse_days(expired))
                domain.dcv_status, domain.dcv_method = DcvStatus.EXPIRED, method
                domain.dcv_validated_at, domain.dcv_expires = validated, expired
                domain.dcv_notice_days = min(EXPIRY_NOTICE_DAYS)
                domain.modified = expired
                order = ("validated", method, validated)
            elif roll < 0.90:  # pending: an order started, awaiting submission
                opened = now - timedelta(days=rng.uniform(0.1, RANDOM_VALUE_DAYS - 2))
                order = ("open", DcvMethod.EMAIL if method == DcvMethod.EMAIL else method, opened)
            domains.append(domain)
            status = DelegationStatus.REQUESTED if (unit.org.parent_id and rng.random() < 0.03) \
                else DelegationStatus.ACTIVE
            types = ["SSL", "SMIME"] if unit.org.parent_id is None and name == unit.base else ["SSL"]
            plans.append((unit, order, status, types, created))
        with transaction.atomic(), explicit_dates(Domain, Delegation, DcvOrder):
            Domain.objects.bulk_create(domains)
            delegations, orders = [], []
            for domain, (unit, order, status, types, created) in zip(domains, plans):
                active = status == DelegationStatus.ACTIVE
                delegations.append(Delegation(domain=domain, organization=unit.org, cert_types=types, status=status,
                                              requested_by=mrao, requested_at=created,
                                              approved_by=mrao if active else None,
                                              approved_at=created + timedelta(hours=2) if active else None))
                if order is None:
                    continue
                kind, method, at = order
                row = DcvOrder(domain=domain, method=method, target=names.base_name(domain.name), created=at,
                               created_by=mrao)
                if method is not DcvMethod.TXT_PERSIST:
                    row.values_expire = at + timedelta(days=RANDOM_VALUE_DAYS)
                dcv.prepare(row, domain)
                if kind == "validated":
                    row.status = OrderStatus.VALIDATED
                    row.submitted_at, row.submitted_by = at - timedelta(minutes=10), mrao
                    row.last_check, row.check_count = at, 1
                    row.closed_at = row.validated_at = at
                    row.expires = domain.dcv_expires
                    if method == DcvMethod.EMAIL and not row.email and row.emails:
                        row.email = row.emails[0]
                else:
                    row.status = OrderStatus.AWAITING_SUBMISSION
                orders.append(row)
            Delegation.objects.bulk_create(delegations)
            DcvOrder.objects.bulk_create(orders)
        summary.domains += len(domains)
    # What the certificate generator picks from: the unit's domains, whatever run created them.
    by_org = {u.org.pk: u for u in units}
    for org_id, name in (Delegation.objects.filter(organization_id__in=list(by_org), domain__customer=customer,
                                                   status=DelegationStatus.ACTIVE)
                         .order_by("domain__name").values_list("organization_id", "domain__name")):
        by_org[org_id].domains.append((name, name.startswith("*.")))
    if missing:
        log(f"domains: {len(missing)} created in {time.perf_counter() - started:.1f} s")


# ---------------------------------------------------------------------------
# Certificates


@dataclass
class LeafKey:
    key: object
    csr_pem: str
    algorithm: str
    size: int
    param: str
    spki_sha256: str


def leaf_keys() -> tuple[list[LeafKey], LeafKey]:
    """Three RSA-2048 and three EC P-256 key pairs, plus the one 'compromised' key."""
    from certdesk.certificates import csr as csr_module

    def make(key) -> LeafKey:
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "certdesk demo server")]))
               .sign(key, hashes.SHA256()))
        pem = csr.public_bytes(serialization.Encoding.PEM).decode("ascii")
        parsed = csr_module.parse(pem)
        return LeafKey(key, parsed.pem, parsed.key_algorithm, parsed.key_size, parsed.key_param, parsed.spki_sha256)

    keys = [make(rsa.generate_private_key(65537, 2048)) for _ in range(3)]
    keys += [make(ec.generate_private_key(ec.SECP256R1())) for _ in range(3)]
    return keys, make(ec.generate_private_key(ec.SECP256R1()))


STATUS_WEIGHTS = (
    ("ISSUED", 52), ("EXPIRED", 17), ("REVOKED", 7), ("REPLACED", 3), ("RENEWED", 4), ("REQUESTED", 8),
    ("DECLINED", 5), ("INVALID", 2), ("EV_REQUESTED", 2),
)
VIA_WEIGHTS = (("Client Admin", 45), ("ACME", 30), ("Web API", 15), ("Enrollment Form", 10))


def _weighted(rng: random.Random, table) -> str:
    return rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]


class CertificateFactory:
    """Builds the demo certificate rows, signing through the issuing CA's Signer."""

    def __init__(self, customer: Customer, mrao: Admin, second_mrao: Admin, units: list[Unit], now: datetime):
        from certdesk.ca.signers import get_signer
        from certdesk.certificates import issuance
        from certdesk.certificates.models import Profile

        self.customer, self.mrao, self.second_mrao, self.now = customer, mrao, second_mrao, now
        self.units = [u for u in units if any(not w for _, w in u.domains)]
        profiles = {p.name: p for p in Profile.objects.filter(customer__isnull=True, kind="SSL", active=True,
                                                                validation_only=False)}
        self.profiles = profiles
        self.ov = [(profiles[n], w) for n, w in (("OV Multi-Domain", 40), ("OV SSL", 25), ("Wildcard SSL", 10),
                                                  ("IGTF Multi-Domain", 8), ("Unified Communications", 5))
                   if n in profiles]
        if not self.ov:  # the seeded names were changed: every OV/DV profile, evenly
            self.ov = [(p, 1) for p in profiles.values() if not p.is_ev]
        self.ev = [profiles[n] for n in ("EV SSL", "EV Multi-Domain") if n in profiles]
        self.cas, self.signers = {}, {}
        for profile in profiles.values():
            ca = issuance.issuing_ca(profile)
            self.cas[profile.pk] = ca
            if ca.pk not in self.signers:
                self.signers[ca.pk] = get_signer(ca)
        self.keys, self.compromised = leaf_keys()
        self.shards = max(1, int(settings.CRL_SHARDS))
        self.signatures, self.signing_seconds = 0, 0.0

    # -- choices

    def _profile(self, rng, unit: Unit, status: str):
        if status == "EV_REQUESTED" or (unit.ev and self.ev and rng.random() < 0.25):
            return rng.choice(self.ev) if unit.ev and self.ev else self._ov(rng)
        return self._ov(rng)

    def _ov(self, rng):
        return rng.choices([p for p, _ in self.ov], weights=[w for _, w in self.ov])[0]

    def _names(self, rng, unit: Unit, profile) -> list[str]:
        from certdesk.certificates.profiles import Wildcard

        plain = [n for n, w in unit.domains if not w]
        wild = [n for n, w in unit.domains if w]
        if profile.wildcard == Wildcard.REQUIRED and wild:
            return [rng.choice(wild)]
        cn = rng.choice(plain)
        if wild and rng.random() < 0.3:  # a host under one of the unit's wildcard domains
            cn = f"{rng.choice(HOSTS[unit.country])}{rng.randrange(1, 40)}.{rng.choice(wild)[2:]}"
        names = [cn]
        if profile.auto_www_san and not cn.startswith("www."):
            names.append(f"www.{cn}")
        elif profile.max_sans:
            extra = rng.randrange(0, min(profile.max_sans, 4) + 1)
            for other in rng.sample(plain, min(extra, len(plain))):
                if other not in names:
                    names.append(other)
        return names

    def _requester(self, rng, unit: Unit, via: str, profile):
        """(requester admin, label, approver admin or None for auto-approval, external requester)."""
        who = unit.requester or self.mrao
        approver = unit.approver or self.mrao
        if via == "ACME":
            return None, unit.acme_label, None, ""
        if via == "Enrollment Form":
            first = rng.choice(PEOPLE[unit.country])[0].lower()
            email = f"{first}@{unit.base}"
            return None, f"{email} (self-enrollment: {unit.org.organization.alias or unit.org.organization.name} web " \
                         f"form)"[:200], approver, email
        auto = who.has_privilege(Privilege.AUTO_APPROVE_CERTIFICATES) and not profile.needs_second_approval
        if profile.needs_second_approval and approver.pk == who.pk:
            # EV: a second admin approves (the demo MRAO when the requester is the first one).
            approver = self.mrao if who.pk != self.mrao.pk else self.second_mrao
        return who, who.login, None if auto else approver, ""

    # -- rows

    def slot(self, index: int) -> list[dict]:
        """The rows of slot `index` (one certificate, or a certificate and its successor)."""
        from certdesk.certificates.profiles import Wildcard

        rng = _rng("certificate", index)
        unit = self.units[rng.randrange(len(self.units))]
        status = _weighted(rng, STATUS_WEIGHTS)
        profile = self._profile(rng, unit, status)
        if profile.wildcard == Wildcard.REQUIRED and not any(w for _, w in unit.domains):
            profile = self.profiles.get("OV Multi-Domain", profile)
        if status == "EV_REQUESTED":
            status = "REQUESTED"
        via = _weighted(rng, VIA_WEIGHTS)
        if profile.is_ev and via == "ACME":
            via = "Client Admin"
        names = self._names(rng, unit, profile)
        requester, label, approver, external = self._requester(rng, unit, via, profile)
        key = rng.choice(self.keys)
        term = max(profile.terms or [365])
        base = dict(unit=unit, profile=profile, via=via, names=names, requester=requester, label=label,
                    approver=approver, external=external, key=key, term=term,
                    comments=rng.choice(COMMENTS), days_before=rng.choice((30, 30, 15, 45)))
        now = self.now
        if status in ("REQUESTED", "DECLINED"):
            created = now - timedelta(days=rng.uniform(0.02, 20 if status == "REQUESTED" else 600))
            row = dict(base, status=status, created=created, sort_at=created)
            if status == "DECLINED":
                row.update(declined_at=created + timedelta(hours=rng.uniform(1, 48)),
                           reason=rng.choice(DECLINE_REASONS))
            return [row]
        if status == "INVALID":
            created = now - timedelta(days=rng.uniform(1, 600))
            return [dict(base, status=status, created=created, sort_at=created,
                         reason=rng.choice(INVALID_REASONS).format(name=names[0]))]
        issued_at = self._issue_time(rng, profile, status)
        row = dict(base, status=status, issued_at=issued_at, sort_at=issued_at)
        if status in ("ISSUED", "EXPIRED", "RENEWED"):
            row["auto_renew"] = rng.random() < 0.2
        if status == "REVOKED":
            code, comment = rng.choice(REVOCATIONS)
            row.update(revocation_reason=code, revocation_comment=comment,
                       revoke_fraction=rng.uniform(0.05, 0.9))
            if code == KEY_COMPROMISE:
                row["key"] = self.compromised
        if status == "REPLACED":
            row["revoke_fraction"] = rng.uniform(0.1, 0.8)
        rows = [row]
        if status in ("REPLACED", "RENEWED"):
            rows.append(dict(base, status="ISSUED", predecessor=status, key=rng.choice(self.keys),
                             auto_renew=row.get("auto_renew", False)))
        return rows

    def _issue_time(self, rng, profile, status) -> datetime:
        """When a certificate in `status` was issued: ISSUED and most REVOKED still valid today,
        EXPIRED past their notAfter, spread over the last two years."""
        now = self.now
        if status in ("EXPIRED", "RENEWED") or (status == "REVOKED" and rng.random() < 0.15):
            for _ in range(20):
                at = now - timedelta(days=rng.uniform(30, 730))
                if at + timedelta(days=profile.max_days(at)) < now:
                    return at
            return now - timedelta(days=730)
        for _ in range(20):
            at = now - timedelta(days=rng.uniform(0.1, 730))
            if at + timedelta(days=profile.max_days(at)) > now + timedelta(days=1):
                return at
        return now - timedelta(days=rng.uniform(0.1, 30))

    def sign(self, row: dict, not_before_at: datetime):
        """Build (issuance.builder_for) and sign (the CA's Signer) one certificate issued at `not_before_at`."""
        from certdesk.certificates import issuance

        profile, unit = row["profile"], row["unit"]
        ca = self.cas[profile.pk]
        not_before, not_after = issuance.validity(profile, row["term"], not_before_at, ca)
        serial = issuance.new_serial()
        builder = issuance.builder_for(ca=ca, profile=profile, organization=unit.org, names=row["names"],
                                       public_key=row["key"].key.public_key(), not_before=not_before,
                                       not_after=not_after, serial=serial)
        started = time.perf_counter()
        certificate = self.signers[ca.pk].sign_certificate(builder, issuance.hash_for(profile))
        self.signing_seconds += time.perf_counter() - started
        self.signatures += 1
        der = certificate.public_bytes(serialization.Encoding.DER)
        return ca, serial, der, not_before, not_after


def build_certificates(customer: Customer, mrao: Admin, second_mrao: Admin, units: list[Unit], total: int,
                       now: datetime, summary: Summary, log=print) -> None:
    from certdesk.ca import crl
    from certdesk.certificates.models import Certificate, CertificateEvent

    have = Certificate.objects.filter(organization_id__in=[u.org.pk for u in units]).count()
    if have >= total:
        return
    factory = CertificateFactory(customer, mrao, second_mrao, units, now)
    if not factory.units:
        log("certificates: no organization or department has a domain; none created")
        return
    # Every slot first (cheap), then oldest first, so ids grow with the request dates as in real life.
    slots, rows = [], 0
    index = 0
    while have + rows < total:
        slot = factory.slot(index)[: total - have - rows]
        slots.append(slot)
        rows += len(slot)
        index += 1
    slots.sort(key=lambda s: s[0]["sort_at"])
    started = time.perf_counter()
    made = 0
    touched_shards: set[tuple[int, int]] = set()
    for start in range(0, len(slots), BATCH):
        made_rows = []  # (certificate, events)
        links = []  # (predecessor, successor, predecessor status)
        for slot in slots[start:start + BATCH]:
            first = None
            for row in slot:
                cert, events = _certificate(factory, customer, row, now, first)
                made_rows.append((cert, events))
                if first is None:
                    first = (cert, row)
                else:
                    links.append((first[0], cert, first[1]["status"]))
                if cert.status in ("REVOKED", "REPLACED"):
                    touched_shards.add((cert.ca_id, cert.crl_shard))
        with transaction.atomic(), explicit_dates(Certificate):
            Certificate.objects.bulk_create([cert for cert, _ in made_rows])
            updates = []
            for old, new, kind in links:
                if kind == "REPLACED":
                    new.replaces, old.replaced_by = old, new
                    old.revocation_comment = f"replaced by certificate {new.pk}"
                    updates.append(old)
                else:
                    new.renewal_of = old
                updates.append(new)
            if updates:
                Certificate.objects.bulk_update(updates, ["replaces", "replaced_by", "renewal_of",
                                                          "revocation_comment"])
            for cert, events in made_rows:
                for event in events:
                    event.certificate = cert
                    if event.action == "replaced" and cert.replaced_by is not None:
                        event.message = f"replaced by certificate {cert.replaced_by.pk}; revoked (superseded)"
            CertificateEvent.objects.bulk_create([e for _, events in made_rows for e in events], batch_size=2000)
        made += len(made_rows)
    # The CRLs of the shards that gained revoked certificates are out of date (rebuilt on download
    # and by the every-minute job).
    for ca_id, shard in sorted(touched_shards):
        crl.mark_stale(ca_id, shard)
    summary.certificates += made
    summary.signatures += factory.signatures
    summary.signing_seconds += factory.signing_seconds
    log(f"certificates: {made} created in {time.perf_counter() - started:.1f} s "
        f"({factory.signatures} signatures, {factory.signing_seconds:.1f} s of them signing)")


def _certificate(factory: CertificateFactory, customer: Customer, row: dict, now: datetime, predecessor):
    """One Certificate (unsaved) and its CertificateEvents (certificate set later)."""
    from certdesk.certificates.models import Certificate, CertificateEvent
    from certdesk.certificates.services import REVOCATION_REASONS, SUPERSEDED

    unit, profile, key = row["unit"], row["profile"], row["key"]
    names = row["names"]
    status = row["status"]
    requester, label, approver = row["requester"], row["label"], row["approver"]
    cert = Certificate(
        kind="SSL", customer=customer, organization=unit.org, profile=profile, status=status,
        requester=requester, requester_label=label[:200], external_requester=row["external"],
        requested_via=row["via"], comments=row["comments"], csr_pem=key.csr_pem, common_name=names[0],
        subject_alt_names=names, names_index="," + ",".join(names) + ",", term=row["term"],
        key_algorithm=key.algorithm, key_size=key.size, key_param=key.param, spki_sha256=key.spki_sha256,
        auto_renew=row.get("auto_renew", False), days_before=row["days_before"],
    )
    events = []

    def event(at, action, old="", new="", actor=None, admin=None, message=""):
        events.append(CertificateEvent(at=at, action=action, status_from=old, status_to=new,
                                       actor=actor or label, admin=admin, message=message[:1024]))

    if predecessor is not None:
        old_cert, old_row = predecessor
        # Issued when the predecessor is replaced / some days before it expires.
        if old_row["status"] == "REPLACED":
            issued_at = old_cert.revoked_at
        else:
            issued_at = old_cert.not_after - timedelta(days=old_row["days_before"])
        issued_at = min(issued_at, now - timedelta(minutes=5))
    else:
        issued_at = row.get("issued_at")
    created = row.get("created") or (issued_at - timedelta(minutes=(2 if approver is None else 60 * 20)))
    cert.created = cert.checked_at = created
    action = "requested"
    if predecessor is not None:
        action = "replacement requested" if predecessor[1]["status"] == "REPLACED" else "renewal requested"
    event(created, action, new="REQUESTED", admin=requester)
    last = created
    if status == "REQUESTED":
        cert.modified = created
        return cert, events
    if status == "DECLINED":
        cert.declined_at, cert.reason = row["declined_at"], row["reason"]
        who = approver or factory.mrao
        event(cert.declined_at, "declined", "REQUESTED", "DECLINED", actor=who.login, admin=who,
              message=row["reason"])
        cert.modified = cert.declined_at
        return cert, events
    # approved (auto or by an admin)
    if approver is None:
        approved_at = created
        event(created, "auto-approved", "REQUESTED", "APPLIED", admin=requester)
    else:
        approved_at = created + (issued_at - created) * 0.9 if issued_at else created + timedelta(hours=3)
        event(approved_at, "approved", "REQUESTED", "APPLIED", actor=approver.login, admin=approver)
    cert.approver, cert.approved_at = approver or requester, approved_at
    if status == "INVALID":
        failed = approved_at + timedelta(seconds=2)
        cert.reason = row["reason"]
        event(failed, "issuance failed", "APPLIED", "INVALID", actor=(approver.login if approver else label),
              admin=approver, message=row["reason"])
        cert.modified = failed
        return cert, events
    ca, serial, der, not_before, not_after = factory.sign(row, issued_at)
    cert.ca, cert.serial_hex, cert.der = ca, f"{serial:040x}", der
    cert.not_before, cert.not_after, cert.issued_at = not_before, not_after, not_before
    cert.sha1_hash, cert.md5_hash = hashlib.sha1(der).hexdigest(), hashlib.md5(der, usedforsecurity=False).hexdigest()
    cert.crl_shard = serial % factory.shards
    issuer_actor = approver or requester
    event(not_before, "issued", "APPLIED", "ISSUED", actor=issuer_actor.login if issuer_actor else label,
          admin=issuer_actor, message=f"serial {cert.serial_hex}")
    last = not_before
    if status == "ISSUED" and not_after <= now:  # a successor issued long ago has run out since
        status = "EXPIRED"
    if status in ("ISSUED",):
        cert.status = "ISSUED"
        if cert.auto_renew:
            moment = cert.renewal_moment()
            if moment is not None and moment > now:
                cert.auto_renew_at = moment
            else:
                cert.auto_renew = False  # the worker would renew it at once
        days_left = (not_after - now).total_seconds() / 86400
        notices = sorted(settings.CERTIFICATE_EXPIRY_NOTICE_DAYS)
        cert.expiry_notice_days = next((d for d in notices if days_left < d), None)
    elif status in ("EXPIRED", "RENEWED"):
        cert.status = "EXPIRED"
        cert.expiry_notice_days = min(settings.CERTIFICATE_EXPIRY_NOTICE_DAYS or [30])
        event(not_after, "expired", "ISSUED", "EXPIRED", actor=EXPIRY_ACTOR)
        last = not_after
    elif status == "REVOKED":
        revoked = not_before + (min(not_after, now) - not_before) * row["revoke_fraction"]
        code = row["revocation_reason"]
        who = approver or requester or factory.mrao
        cert.revoked_at, cert.revocation_reason = revoked, code
        cert.revocation_comment = row["revocation_comment"]
        event(revoked, "revoked", "ISSUED", "REVOKED", actor=who.login, admin=who,
              message=REVOCATION_REASONS[code] + (f": {row['revocation_comment']}" if row["revocation_comment"] else ""))
        last = revoked
    elif status == "REPLACED":
        revoked = not_before + (min(not_after, now) - not_before) * row["revoke_fraction"]
        cert.revoked_at, cert.revocation_reason = revoked, SUPERSEDED
        event(revoked, "replaced", "ISSUED", "REPLACED", actor=issuer_actor.login if issuer_actor else label,
              admin=issuer_actor, message="replaced; revoked (superseded)")
        last = revoked
    cert.modified = last
    return cert, events


# ---------------------------------------------------------------------------
# Entry point


def _check_issuing_cas() -> None:
    """Every seeded SSL profile has its issuing CA (NoIssuingCA, a DomainError, otherwise)."""
    from certdesk.certificates import issuance
    from certdesk.certificates.models import Profile

    profiles = list(Profile.objects.filter(customer__isnull=True, kind="SSL", active=True, validation_only=False))
    if not profiles:
        raise LookupError("There is no SSL certificate profile: run `certdesk migrate` first.")
    for profile in profiles:
        issuance.issuing_ca(profile)


def mrao_of(customer: Customer) -> Admin:
    candidates = Admin.objects.filter(customer=customer).order_by("id")
    for admin in candidates:
        if admin.is_mrao:
            return admin
    raise LookupError(f"Customer '{customer.uri}' has no MRAO: run `certdesk bootstrap` first.")


def build(customer: Customer, *, organizations: int = DEFAULT_ORGANIZATIONS,
          certificates: int = DEFAULT_CERTIFICATES, domains: int | None = None,
          password: str, log=print, now: datetime | None = None) -> Summary:
    """Fill `customer` with the large demo (idempotent). Returns what was added."""
    started = time.perf_counter()
    now = now or timezone.now()
    summary = Summary(password=password)
    mrao = mrao_of(customer)
    if certificates:
        _check_issuing_cas()  # before anything is written: `certdesk init` must have run
    actor = Actor.system(customer, interface=Interface.CLI, label=ACTOR_LABEL)
    # A second MRAO with the demo password: EV certificates need a second approver, and evaluators
    # an MRAO login whose password they know.
    second_mrao = _admin(actor, customer, "mrao-demo", summary, password=password, email="marie.durand@pki.example.org",
                         forename="Marie", surname="Durand", language="fr", credentials=[{"role": "MRAO"}],
                         privileges=[p.value for p in Privilege])
    summary.logins["MRAO"] = "mrao-demo"
    units = build_network(actor, customer, organizations, password, summary, log=log)
    total_domains = DOMAINS_PER_ORGANIZATION * organizations if domains is None else domains
    build_domains(actor, customer, mrao, units, total_domains, now, summary, log=log)
    build_certificates(customer, mrao, second_mrao, units, certificates, now, summary, log=log)
    if summary.domains or summary.certificates:
        from django.db import connection

        with connection.cursor() as cursor:  # fresh planner statistics, as after a bulk load
            cursor.execute("ANALYZE")
    summary.seconds = time.perf_counter() - started
    if summary.organizations or summary.departments or summary.domains or summary.certificates or summary.admins:
        audit.record(actor, "demo.large_created", customer=customer, organizations=summary.organizations,
                     departments=summary.departments, admins=summary.admins, domains=summary.domains,
                     certificates=summary.certificates)
    return summary
