"""Benchmark: SSL certificates issued per second through `certificates.services.request_ssl` with
auto-approve (every check, DB writes, audit, lint, signature), lint-before-signing on and off,
beside the raw signing rate of the same CA key (RSA-4096 "rsa-ssl-ov", SHA-384) in the same run.

Runs on the database of CERTDESK_DATABASE_URL (default: a fresh SQLite file in a temporary data
dir; a PostgreSQL database is created when missing). DNS (DCV, CAA) goes to a loopback test
server, so CAA lookups are real but nothing leaves the machine.

    .venv/bin/python bench/issue_ssl.py [certificates]
    CERTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/certdesk_bench .venv/bin/python bench/issue_ssl.py
"""
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.domains.servers: the loopback DNS server
os.environ.setdefault("CERTDESK_DATA_DIR", tempfile.mkdtemp(prefix="certdesk-bench-"))
os.environ.setdefault("CERTDESK_CA_PASSPHRASE", "bench-passphrase")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certdesk.settings")


def _ensure_postgres_database() -> None:
    from urllib.parse import urlparse

    url = os.environ.get("CERTDESK_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


_ensure_postgres_database()

import django  # noqa: E402

django.setup()

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

PASSWORD = "Bench-Password-123456"


def setup(dns):
    from certdesk.accounts import services as accounts
    from certdesk.ca import services as ca_services
    from certdesk.certificates.models import Profile
    from certdesk.core.actor import Actor, Interface
    from certdesk.domains import services as domains
    from certdesk.domains.states import DcvMethod
    from certdesk.tenancy import services as tenancy
    from certdesk.tenancy.models import Organization

    ca_services.init_authorities()
    customer, mrao, _, _ = accounts.bootstrap("bench", "admin", PASSWORD)
    actor = Actor.for_admin(mrao, Interface.API, ip="127.0.0.1")
    org = Organization.objects.filter(customer=customer, name="Bench University").first()
    if org is None:
        org = tenancy.create_organization(actor, name="Bench University", address1="1 Main Street", city="Lyon",
                                          country="FR")
        second = accounts.create_admin(
            actor, login="admin2", email="admin2@bench.invalid", forename="Second", surname="Master",
            password=PASSWORD, credentials=[{"role": "MRAO"}], privileges=list(mrao.privileges),
            must_change_password=False)
        validation = tenancy.submit_validation(actor, org)
        tenancy.approve_validation(Actor.for_admin(second, Interface.API), validation)
        org.refresh_from_db()
    for name in ("example.org", "*.example.org"):
        from certdesk.domains.models import Domain

        if not Domain.objects.filter(customer=customer, name=name).exists():
            domains.create_domain(actor, name, delegations=[(org, ["SSL"])])
    base = Domain.objects.get(customer=customer, name="example.org")
    if base.dcv_status != "VALIDATED":
        instructions = domains.start_dcv(actor, base, DcvMethod.TXT)
        dns.add(f'{instructions.host} 60 IN TXT "{instructions.point}"')
        assert domains.submit_dcv(actor, base).validated
    return actor, org, Profile.objects.get(customer=None, name="OV Multi-Domain")


def make_csr() -> str:
    key = rsa.generate_private_key(65537, 2048)
    builder = x509.CertificateSigningRequestBuilder().subject_name(
        x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "host.example.org")]))
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


def issue_many(actor, org, profile, pem, n: int, lint: bool) -> list[float]:
    from certdesk.certificates import services

    times = []
    with override_settings(LINT_BEFORE_SIGNING=lint):
        for _ in range(n):
            start = time.perf_counter()
            cert = services.request_ssl(actor, organization=org, profile=profile, csr_pem=pem, term=365,
                                        subject_alt_names=["www.example.org"])
            times.append(time.perf_counter() - start)
            assert cert.status == "ISSUED", cert.reason
    return times


def raw_signing(n: int) -> list[float]:
    """Sign n complete leaf TBS certificates with the same CA key through the same signer interface."""
    from certdesk.ca.models import CertificateAuthority
    from certdesk.ca.signers import get_signer

    ca = CertificateAuthority.objects.get(slug="rsa-ssl-ov")
    subject_key = rsa.generate_private_key(65537, 2048).public_key()
    times = []
    for i in range(n):
        builder = (x509.CertificateBuilder().issuer_name(ca.certificate().subject)
                   .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "host.example.org")]))
                   .public_key(subject_key).serial_number(x509.random_serial_number())
                   .not_valid_before(ca.not_before).not_valid_after(ca.not_after)
                   .add_extension(x509.SubjectAlternativeName([x509.DNSName("host.example.org")]), critical=False))
        start = time.perf_counter()
        get_signer(ca).sign_certificate(builder, hashes.SHA384())
        times.append(time.perf_counter() - start)
    return times


def summary(label: str, times: list[float]) -> float:
    rate = len(times) / sum(times)
    p95 = statistics.quantiles(times, n=20)[18] if len(times) >= 20 else max(times)
    print(f"{label:34} {rate:8.1f} /s   median {statistics.median(times) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms")
    return rate


def main() -> None:
    from tests.domains.servers import DnsServer

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    dns = DnsServer().start()
    settings.DNS_RESOLVERS = [f"127.0.0.1:{dns.port}"]
    settings.DNS_TIMEOUT = 2.0
    settings.CAA_IDENTITIES = ["certdesk.example.net"]
    settings.BASE_URL = "http://certdesk.example.net"
    try:
        call_command("migrate", verbosity=0)
        actor, org, profile = setup(dns)
        pem = make_csr()
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(f"database: {engine}, certificates per run: {n}, issuing CA: rsa-ssl-ov (RSA-4096, SHA-384), "
              f"subscriber key RSA-2048, 2 names (CAA looked up on loopback DNS)")
        issue_many(actor, org, profile, pem, 5, True)  # warm-up: lint key, validators, key cache
        raw_signing(5)
        # Alternate short rounds of each kind so that drift (a growing database, other load on the
        # machine) weighs on all three alike.
        rounds = 5
        raw_t, on_t, off_t = [], [], []
        for _ in range(rounds):
            raw_t += raw_signing(max(1, n // rounds))
            on_t += issue_many(actor, org, profile, pem, max(1, n // rounds), True)
            off_t += issue_many(actor, org, profile, pem, max(1, n // rounds), False)
        raw = summary("raw CA signature", raw_t)
        on = summary("request_ssl, lint before signing", on_t)
        off = summary("request_ssl, lint off", off_t)
        print(f"ratio to the raw signing rate: lint on {on / raw:.3f}, lint off {off / raw:.3f}; lint costs "
              f"{(statistics.median(on_t) - statistics.median(off_t)) * 1000:.1f} ms a certificate (medians)")
    finally:
        dns.stop()


if __name__ == "__main__":
    main()
