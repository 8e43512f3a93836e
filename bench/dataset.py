"""Bench data: one large tenant written straight into the database (issues 7 and 8).

One customer (`bench`), ~200 organizations with departments, 100,000 domains (delegated,
DCV states and expiries spread out), 1,000,000 SSL certificates (every status, notAfter spread
over about ±2 years, some auto-renew, `names_index` as the model expects, serials unique per CA),
an MRAO (`admin`), an RAO of the first organization (`rao`) and a DRAO of its first department
(`drao`), all with the password PASSWORD.

Rows are written in batches with `executemany` (SQLite) or `COPY` (PostgreSQL), never through
the services: no audit rows, no signals, no notifications. BENCH DATA ONLY: every issued
certificate shares one small placeholder DER blob (not a certificate: do not download or OCSP
them), and the organizations' validations are written as already VALIDATED.

    .venv/bin/python bench/dataset.py [certificates] [domains]
    CERTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/certdesk_bench_sweeps .venv/bin/python bench/dataset.py

Importable: `prepare()` sets Django up (creating a missing PostgreSQL database) and `build()`
fills the database once (a second call with the same sizes reuses what is there).
"""
from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "Bench-Password-123456"
CUSTOMER = "bench"
# BENCH ONLY: a fixed, tiny DER-shaped blob stored as every issued certificate's body.
PLACEHOLDER_DER = bytes.fromhex("3003020100")

FIRST_NAMES = ("Lyon", "Grenoble", "Rennes", "Lille", "Nantes", "Bordeaux", "Toulouse", "Strasbourg", "Nancy",
               "Dijon", "Brest", "Caen", "Rouen", "Poitiers", "Limoges", "Tours", "Orleans", "Reims", "Amiens",
               "Besancon", "Montpellier", "Nice", "Pau", "Perpignan", "Avignon")
KINDS = ("Universite", "Ecole", "Institut", "Laboratoire", "Observatoire", "Centre", "College", "Campus")
DEPARTMENTS = ("Physique", "Chimie", "Informatique", "Biologie", "Mathematiques", "Lettres", "Medecine", "Droit")
HOST_LABELS = ("www", "mail", "vpn", "intranet", "moodle", "wiki", "git", "ldap", "sso", "api", "portail", "web")


def prepare() -> None:
    """Environment defaults, a PostgreSQL database when named and missing, django.setup()."""
    os.environ.setdefault("CERTDESK_DATA_DIR", tempfile.mkdtemp(prefix="certdesk-bench-"))
    os.environ.setdefault("CERTDESK_CA_PASSPHRASE", "bench-passphrase")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certdesk.settings")
    url = os.environ.get("CERTDESK_DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        from urllib.parse import urlparse

        import psycopg

        parsed = urlparse(url)
        name = parsed.path.lstrip("/")
        with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()


def drop_postgres_database() -> None:
    """Drop the PostgreSQL database named by CERTDESK_DATABASE_URL (bench clean-up)."""
    from urllib.parse import urlparse

    import psycopg
    from django.db import connections

    connections.close_all()
    parsed = urlparse(os.environ["CERTDESK_DATABASE_URL"])
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{parsed.path.lstrip("/")}"')


# ---------------------------------------------------------------------------
# Bulk writing


class Writer:
    """Rows of one model in batches: COPY on PostgreSQL, executemany elsewhere. Columns not
    given take the field's default (Django defaults are not database defaults)."""

    def __init__(self, model, given: list[str], batch: int = 20_000):
        from django.db import connection

        self.model, self.batch, self.connection = model, batch, connection
        self.is_pg = connection.vendor == "postgresql"
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        by_name = {f.name: f for f in fields} | {f.attname: f for f in fields}
        self.given = [by_name[name] for name in given]
        now = datetime.now(dt_timezone.utc)
        self.rest = [f for f in fields if f not in self.given]
        self.rest_values = []
        for f in self.rest:
            value = now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
            self.rest_values.append(self._prep(f, value))
        self.columns = [f.column for f in self.given] + [f.column for f in self.rest]
        self.datetime_positions = [i for i, f in enumerate(self.given) if f.get_internal_type() == "DateTimeField"]
        self.json_positions = [i for i, f in enumerate(self.given) if f.get_internal_type() == "JSONField"]

    def _prep(self, field, value):
        if value is None:
            return None
        kind = field.get_internal_type()
        if kind == "JSONField":
            return json.dumps(value)
        if kind == "DateTimeField":
            return value if self.is_pg else self.connection.ops.adapt_datetimefield_value(value)
        if kind == "BooleanField":
            return bool(value) if self.is_pg else int(bool(value))
        return value

    def _row(self, values) -> tuple:
        values = list(values)
        for i in self.datetime_positions:
            if values[i] is not None and not self.is_pg:
                values[i] = self.connection.ops.adapt_datetimefield_value(values[i])
        for i in self.json_positions:
            values[i] = json.dumps(values[i])
        return (*values, *self.rest_values)

    def write(self, rows) -> int:
        """Write an iterable of tuples (values of `given`, in order), committing every batch."""
        from django.db import transaction

        table = self.connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(self.connection.ops.quote_name(c) for c in self.columns)
        count, chunk = 0, []

        def flush():
            with transaction.atomic(), self.connection.cursor() as cursor:
                if self.is_pg:
                    with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                        for row in chunk:
                            copy.write_row(row)
                else:
                    marks = ", ".join(["%s"] * len(self.columns))
                    cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", chunk)

        for values in rows:
            chunk.append(self._row(values))
            if len(chunk) >= self.batch:
                flush()
                count += len(chunk)
                chunk = []
        if chunk:
            flush()
            count += len(chunk)
        return count


# ---------------------------------------------------------------------------
# The tenant


def _serial(i: int) -> str:
    # Multiplying by an odd constant modulo 2**159 is a bijection: unique, random-looking,
    # positive 20-octet serials (RFC 5280 §4.1.2.2), lowercase hex as the model stores them.
    return f"{(i * 0x9E3779B97F4A7C15F39CC0605CEDC835 + 0x1F2E3D4C5B6A7988) % (1 << 159) | (1 << 152):040x}"


def _setup_tenant(n_orgs: int, departments_per_org: int, now: datetime):
    from certdesk.accounts import services as accounts
    from certdesk.accounts.models import Admin
    from certdesk.accounts.roles import Privilege
    from certdesk.ca import services as ca_services
    from certdesk.core.actor import Actor, Interface
    from certdesk.tenancy.models import Organization, OrganizationValidation

    ca_services.init_authorities()
    customer, mrao, _, _ = accounts.bootstrap(CUSTOMER, "admin", PASSWORD)
    Admin.objects.filter(pk=mrao.pk).update(must_change_password=False)
    if not Organization.objects.filter(customer=customer).exists():
        rng = random.Random(11)
        orgs = []
        for i in range(n_orgs):
            name = f"{KINDS[i % len(KINDS)]} de {FIRST_NAMES[i % len(FIRST_NAMES)]} {i + 1:03d}"
            validated = now - timedelta(days=rng.randint(0, 364), hours=rng.randint(0, 23))
            orgs.append(Organization(customer=customer, name=name, address1=f"{i + 1} rue de la Science",
                                     city=FIRST_NAMES[i % len(FIRST_NAMES)], country="FR", cert_types=["SSL"],
                                     ssl_certs_api_enabled=True,
                                     academic_code=f"univ{i + 1:03d}.example", validation_status="VALIDATED",
                                     validated_at=validated, validation_expires=validated + timedelta(days=365)))
        Organization.objects.bulk_create(orgs, batch_size=500)
        orgs = list(Organization.objects.filter(customer=customer, parent__isnull=True).order_by("id"))
        Organization.objects.bulk_create([
            Organization(customer=customer, parent=org, name=DEPARTMENTS[(k + j) % len(DEPARTMENTS)],
                         country="FR", cert_types=["SSL"], ssl_certs_api_enabled=True)
            for k, org in enumerate(orgs) for j in range(departments_per_org)], batch_size=500)
        OrganizationValidation.objects.bulk_create([
            OrganizationValidation(organization=org, status="VALIDATED", submitted_by=mrao,
                                   submitted_at=org.validated_at - timedelta(days=2), decided_by=mrao,
                                   decided_at=org.validated_at, expires=org.validation_expires)
            for org in orgs], batch_size=500)
    first = Organization.objects.filter(customer=customer, parent__isnull=True).order_by("id").first()
    department = first.departments.order_by("id").first()
    actor = Actor.for_admin(mrao, Interface.API, ip="127.0.0.1")
    for login, role, org in (("rao", "RAO_SSL", first), ("drao", "DRAO_SSL", department)):
        if not Admin.objects.filter(customer=customer, login=login).exists():
            accounts.create_admin(actor, login=login, email=f"{login}@bench.example", forename=login.upper(),
                                  surname="Bench", password=PASSWORD, must_change_password=False,
                                  credentials=[{"role": role, "orgId": org.pk}],
                                  privileges=[Privilege.SSL_MANAGE.value, Privilege.SSL_APPROVE.value,
                                              Privilege.ALLOW_DCV.value])
    return customer, mrao


def _domains(customer, mrao, n_domains: int, now: datetime, log) -> None:
    from certdesk.domains.models import Delegation, Domain
    from certdesk.tenancy.models import Organization

    have = Domain.objects.filter(customer=customer).count()
    if have >= n_domains:
        return
    units = list(Organization.objects.filter(customer=customer).order_by("id").values_list("id", "parent_id",
                                                                                           "academic_code"))
    orgs = {pk: code for pk, parent, code in units if parent is None}
    rng = random.Random(21)
    methods = ("CNAME", "TXT", "HTTP", "HTTPS", "EMAIL")
    started = time.perf_counter()

    def rows():
        for j in range(have, n_domains):
            unit, parent, _ = units[j % len(units)]
            base = orgs[parent or unit]
            name = f"{HOST_LABELS[j % len(HOST_LABELS)]}{j}.{base}"
            roll = rng.random()
            if roll < 0.82:     # validated, expiring any day of the next 398 (a sliver already past)
                expires = now + timedelta(days=rng.uniform(-1.5, 398))
                validated = expires - timedelta(days=398)
                left = (expires - now).days
                status, notice = "VALIDATED", (15 if left < 14 else 30 if left < 29 else None)
                method = methods[j % len(methods)]
            elif roll < 0.92:
                expires = now - timedelta(days=rng.uniform(1, 700))
                validated, status, notice, method = expires - timedelta(days=398), "EXPIRED", 15, methods[j % 5]
            else:
                expires = validated = notice = None
                status, method = "NOT_VALIDATED", ""
            yield (customer.pk, name, name, "ACTIVE", now - timedelta(days=800), now, mrao.pk, status, method,
                   validated, expires, notice)

    Writer(Domain, ["customer", "name", "name_unicode", "state", "created", "modified", "created_by",
                    "dcv_status", "dcv_method", "dcv_validated_at", "dcv_expires", "dcv_notice_days"]).write(rows())
    ids = Domain.objects.filter(customer=customer).order_by("id").values_list("id", flat=True)

    def delegations():
        for j, domain_id in enumerate(ids.iterator(chunk_size=10_000)):
            unit = units[j % len(units)][0]
            yield (domain_id, unit, ["SSL"], "ACTIVE", mrao.pk, now - timedelta(days=800), mrao.pk,
                   now - timedelta(days=799))

    Writer(Delegation, ["domain", "organization", "cert_types", "status", "requested_by", "requested_at",
                        "approved_by", "approved_at"]).write(delegations())
    log(f"domains: {n_domains - have} + delegations in {time.perf_counter() - started:.1f} s")


def _certificates(customer, mrao, n_certs: int, now: datetime, log) -> None:
    from django.conf import settings

    from certdesk.accounts.models import Admin
    from certdesk.ca.models import CertificateAuthority
    from certdesk.certificates.models import Certificate, Profile
    from certdesk.domains.models import Delegation

    have = Certificate.objects.filter(customer=customer).count()
    if have >= n_certs:
        return
    profiles = {p.name: p for p in Profile.objects.filter(customer__isnull=True, kind="SSL")}
    ov = [profiles[n].pk for n in ("OV SSL", "OV Multi-Domain", "OV Wildcard") if n in profiles]
    ev = profiles.get("EV SSL") or profiles.get("EV Multi-Domain")
    ca_ov = CertificateAuthority.objects.filter(purpose="SSL_OV", key_algorithm="RSA").values_list("pk", flat=True)[0]
    ca_ev = CertificateAuthority.objects.filter(purpose="SSL_EV", key_algorithm="RSA").values_list("pk", flat=True)[0]
    delegated = list(Delegation.objects.filter(domain__customer=customer).order_by("domain_id")
                     .values_list("organization_id", "domain__name"))
    drao = Admin.objects.get(customer=customer, login="drao")
    requesters = [(mrao.pk, mrao.login), (drao.pk, drao.login), (None, "acme:bench-account"), (None, "api:bench")]
    shards = max(1, int(settings.CRL_SHARDS))
    rng = random.Random(31)
    statuses = (("ISSUED", 0.56), ("EXPIRED", 0.22), ("REVOKED", 0.07), ("REPLACED", 0.02), ("REQUESTED", 0.05),
                ("APPLIED", 0.01), ("DECLINED", 0.05), ("INVALID", 0.02))
    cumulative, total = [], 0.0
    for status, share in statuses:
        total += share
        cumulative.append((total, status))
    started = time.perf_counter()

    def pick_status(x: float) -> str:
        for bound, status in cumulative:
            if x < bound:
                return status
        return "ISSUED"

    def rows():
        for i in range(have, n_certs):
            org_id, domain = delegated[rng.randrange(len(delegated))]
            status = pick_status(rng.random())
            host = f"{HOST_LABELS[i % len(HOST_LABELS)]}-{i}.{domain}"
            names = [host] + ([f"alt{i}.{domain}"] if i % 3 == 0 else [])
            is_ev = ev is not None and i % 50 == 0
            profile = ev.pk if is_ev else ov[i % len(ov)]
            term = (365, 397, 200)[i % 3]
            if status == "ISSUED":
                # Valid now, plus a sliver that ran out since the last sweep (the sweep's work).
                not_after = now + timedelta(days=rng.uniform(-1.0, 398))
            elif status == "EXPIRED":
                not_after = now - timedelta(days=rng.uniform(0.05, 730))
            else:
                not_after = now + timedelta(days=rng.uniform(-730, 398))
            signed = status in ("ISSUED", "EXPIRED", "REVOKED", "REPLACED")
            not_before = not_after - timedelta(days=term)
            created = not_before - timedelta(minutes=5)
            auto_renew = signed and i % 10 == 0
            left = (not_after - now).total_seconds() / 86400
            serial = _serial(i) if signed else ""
            requester, label = requesters[i % len(requesters)]
            via = "ACME" if requester is None and label.startswith("acme") else (
                "REST API" if requester is None else "Client Admin")
            yield (
                "SSL", customer.pk, org_id, profile, status, requester, label, via, host, names,
                "," + ",".join(names) + ",", term, "RSA", 2048, "2048", auto_renew, 30,
                (ca_ev if is_ev else ca_ov) if signed else None, serial,
                PLACEHOLDER_DER if signed else None,
                not_before if signed else None, not_after if signed else None,
                f"{i:040x}" if signed else "", f"{i:032x}" if signed else "",
                (int(serial, 16) % shards) if signed else None,
                not_before + timedelta(days=rng.uniform(1, 100)) if status in ("REVOKED", "REPLACED") else None,
                (1 if status == "REVOKED" else 4) if status in ("REVOKED", "REPLACED") else None,
                max(not_after - timedelta(days=30), not_before + (not_after - not_before) / 2) if auto_renew else None,
                30 if status == "ISSUED" and left < 29 else None,
                created, created, created if status not in ("REQUESTED", "DECLINED") else None,
                not_before if signed else None,
                created + timedelta(hours=2) if status == "DECLINED" else None,
                "Bench: not needed any more" if status == "DECLINED" else "",
                created,
            )

    Writer(Certificate, [
        "kind", "customer", "organization", "profile", "status", "requester", "requester_label", "requested_via",
        "common_name", "subject_alt_names", "names_index", "term", "key_algorithm", "key_size", "key_param",
        "auto_renew", "days_before", "ca", "serial_hex", "der", "not_before", "not_after", "sha1_hash", "md5_hash",
        "crl_shard", "revoked_at", "revocation_reason", "auto_renew_at", "expiry_notice_days", "created",
        "modified", "approved_at", "issued_at", "declined_at", "reason", "checked_at",
    ], batch=20_000).write(rows())
    log(f"certificates: {n_certs - have} in {time.perf_counter() - started:.1f} s")


def build(*, certificates: int = 1_000_000, domains: int = 100_000, organizations: int = 200,
          departments_per_org: int = 3, now: datetime | None = None, log=print) -> dict:
    """Migrate, then fill the bench tenant up to the given sizes. Returns a summary."""
    from django.core.management import call_command
    from django.db import connection

    now = now or datetime.now(dt_timezone.utc)
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    customer, mrao = _setup_tenant(organizations, departments_per_org, now)
    _domains(customer, mrao, domains, now, log)
    _certificates(customer, mrao, certificates, now, log)
    if connection.vendor == "postgresql":
        # Statistics, and the visibility map autovacuum would have set on a live system (index-only scans).
        connection.ensure_connection()
        autocommit = connection.get_autocommit()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if autocommit else "ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    seconds = time.perf_counter() - started
    log(f"dataset ready ({connection.vendor}) in {seconds:.1f} s")
    return {"customer": customer, "mrao": mrao, "seconds": seconds}


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "src"))
    prepare()
    n_certs = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    n_domains = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    build(certificates=n_certs, domains=n_domains)
