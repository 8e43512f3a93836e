"""Benchmark: complete ACME orders per second (newOrder → finalize → certificate download, RFC 8555
§7.4) with pre-authorized identifiers on the OV endpoint, with 1 and with 8 concurrent clients,
driven by the `acme` Python library (certbot's) against a real `certdesk serve` (gunicorn + worker)
on loopback — and, in the same run, the same load against Debian's `pebble` ACME test server when
it is installed (`apt-get install pebble`), printed as a ratio (issue 5).

Each client registers once with External Account Binding (Key ID + HMAC key of one ACME account
bound to `example.org` and `*.example.org`, DCV-validated), then loops on orders for one name with
a CSR made once (RSA-2048 subscriber key). An order counts when its PEM chain is downloaded. Polls
(pebble issues asynchronously) wait 5 ms. Before measuring, max(8, 2 × web workers) clients each
complete two orders, unmeasured, so no gunicorn worker pays its first linter load or CA key
decryption (seconds) inside a measurement. Every certdesk certificate goes through the whole
request pipeline (CSR checks, delegation + DCV, CAA against a loopback DNS server, lint before
signing, RSA-4096 CA signature, audit). Pebble runs with its own config and a TLS certificate made
for this run (its test CA is trusted by the clients only), PEBBLE_VA_ALWAYS_VALID=1,
PEBBLE_VA_NOSLEEP=1, PEBBLE_WFE_NONCEREJECT=0 and PEBBLE_AUTHZREUSE=100: its authorizations are
valid after the warm-up order of each client, its nearest equivalent of pre-authorized identifiers.

Runs on the database of CERTDESK_DATABASE_URL (default: a fresh SQLite file in a temporary data
dir). Used replay nonces go to the cache when it is Redis (CERTDESK_CACHE_URL, e.g.
redis://127.0.0.1:6379/7 — a db of its own), else to the database (`certdesk.acme.nonces`).
For PostgreSQL, name a database of your own: it is created when missing, and
`--recreate-database` drops and re-creates it (the CA keys of a previous run lived in another
temporary data dir, so a database from an earlier run cannot be reused).

    .venv/bin/python bench/acme_orders.py [--seconds 10] [--clients 1,8] [--web-workers 4] [--no-pebble]
    CERTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/certdesk_bench_acme \\
        .venv/bin/python bench/acme_orders.py --recreate-database

Only loopback addresses are used; both servers are stopped at the end (or on Ctrl-C), and the
temporary directories (data dir when not given, pebble's config and certificates, server logs)
removed; a PostgreSQL database is left in place.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))  # tests.domains.servers: the loopback DNS server
OWN_DATA_DIR = "CERTDESK_DATA_DIR" not in os.environ  # a temporary one, removed at the end
if OWN_DATA_DIR:
    os.environ["CERTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="certdesk-bench-acme-")
os.environ.setdefault("CERTDESK_CA_PASSPHRASE", "bench-passphrase")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certdesk.settings")

PARSER = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
PARSER.add_argument("--seconds", type=float, default=10.0, help="measured seconds per server and concurrency")
PARSER.add_argument("--clients", default="1,8", help="concurrent clients to measure, comma-separated")
PARSER.add_argument("--web-workers", type=int, default=4, help="gunicorn worker processes of certdesk serve")
PARSER.add_argument("--no-pebble", action="store_true", help="do not run the pebble comparison")
PARSER.add_argument("--recreate-database", action="store_true",
                    help="PostgreSQL only: drop and re-create the database of CERTDESK_DATABASE_URL first")
ARGS = PARSER.parse_args()


def _recreate_postgres_database() -> None:
    from urllib.parse import urlparse

    import psycopg

    url = os.environ.get("CERTDESK_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return
    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    with psycopg.connect(parsed._replace(path="/postgres").geturl(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if ARGS.recreate_database:
    _recreate_postgres_database()

import issue_ssl  # noqa: E402  (creates a missing PostgreSQL database, then django.setup())
import josepy  # noqa: E402
import requests  # noqa: E402
from acme import challenges, client, messages  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

POLL = 0.005
WARM_UP_ORDERS = 2
ORDER_TIMEOUT = 60


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, verify, process: subprocess.Popen, log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server stopped (status {process.returncode}); see {log}:\n"
                             + log.read_text(errors="replace")[-3000:])
        try:
            if requests.get(url, timeout=2, verify=verify).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not answer within {seconds:.0f} s; see {log}")


def stop(process: subprocess.Popen | None) -> None:
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# ---------------------------------------------------------------------------
# The servers


def _init_authorities() -> None:
    """`certdesk init`'s ten CAs, their keys generated in threads (pyca releases the GIL)."""
    from concurrent.futures import ThreadPoolExecutor

    from certdesk.ca import hierarchy
    from certdesk.ca import services as ca_services

    specs = hierarchy.specs()
    with ThreadPoolExecutor(max_workers=4) as pool:
        keys = dict(zip((s.slug for s in specs), pool.map(hierarchy.generate_key, specs)))
    ca_services.init_authorities(key_factory=lambda spec: keys[spec.slug])


def start_certdesk(work: Path, dns_port: int):
    """Migrate, create the CAs, a validated organization with example.org / *.example.org and an OV
    ACME account bound to both, then start `certdesk serve` on a free loopback port."""
    from certdesk.acme import services as acme_services

    call_command("migrate", verbosity=0)
    _init_authorities()
    settings.DNS_RESOLVERS = [f"127.0.0.1:{dns_port}"]
    settings.DNS_TIMEOUT = 2.0
    actor, org, _profile = issue_ssl.setup(DNS)
    name = f"bench-{int(time.time())}"
    account = acme_services.create_account(actor, organization=org, endpoint_name="OV", name=name,
                                           domains=["example.org", "*.example.org"])
    port = free_port()
    env = {**os.environ, "CERTDESK_BASE_URL": f"http://127.0.0.1:{port}",
           "CERTDESK_DNS_RESOLVERS": f"127.0.0.1:{dns_port}", "CERTDESK_DNS_TIMEOUT": "2",
           "CERTDESK_CAA_IDENTITIES": "certdesk.example.net",
           # Certificates carry CRL/OCSP URLs: a public-looking name (lint refuses loopback ones).
           "CERTDESK_PKI_BASE_URL": "http://pki.certdesk.example.net",
           "CERTDESK_LOG_LEVEL": "ERROR"}
    log = work / "certdesk-serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "certdesk", "serve", "--bind", f"127.0.0.1:{port}", "--web-workers",
         str(ARGS.web_workers)], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=str(ROOT))
    directory = f"http://127.0.0.1:{port}/acme/OV/directory"
    wait_until_up(directory, True, process, log)
    return process, {"directory": directory, "kid": account.mac_id, "hmac_key": account.mac_key, "verify": True}


def _tls_files(work: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a certificate for 127.0.0.1 for pebble's HTTPS listener (Debian's package
    ships no test certificates); the clients trust this CA only."""
    now = datetime.now(timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bench pebble test CA")])
    ca_cert = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    import ipaddress

    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(ca_key, hashes.SHA256()))
    paths = work / "pebble-ca.pem", work / "pebble-cert.pem", work / "pebble-key.pem"
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return paths


def start_pebble(work: Path, dns_port: int):
    ca, cert, key = _tls_files(work)
    port = free_port()
    kid, hmac_key = "bench-kid", josepy.b64.b64encode(os.urandom(48)).decode()
    config = {"pebble": {
        "listenAddress": f"127.0.0.1:{port}", "managementListenAddress": f"127.0.0.1:{free_port()}",
        "certificate": str(cert), "privateKey": str(key), "httpPort": free_port(), "tlsPort": free_port(),
        "ocspResponderURL": "", "externalAccountBindingRequired": True,
        "externalAccountMACKeys": {kid: hmac_key},
    }}
    path = work / "pebble-config.json"
    path.write_text(json.dumps(config, indent=2))
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PEBBLE_VA_ALWAYS_VALID": "1", "PEBBLE_VA_NOSLEEP": "1",
           "PEBBLE_WFE_NONCEREJECT": "0", "PEBBLE_AUTHZREUSE": "100"}
    log = work / "pebble.log"
    process = subprocess.Popen([shutil.which("pebble"), "-config", str(path), "-dnsserver", f"127.0.0.1:{dns_port}"],
                               stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env, cwd=str(work))
    directory = f"https://127.0.0.1:{port}/dir"
    wait_until_up(directory, str(ca), process, log)
    return process, {"directory": directory, "kid": kid, "hmac_key": hmac_key, "verify": str(ca)}


def pebble_installable() -> tuple[bool, str]:
    if shutil.which("pebble"):
        return True, "installed"
    if shutil.which("apt-cache"):
        shown = subprocess.run(["apt-cache", "policy", "pebble"], capture_output=True, text=True).stdout
        if "Candidate:" in shown and "(none)" not in shown.split("Candidate:", 1)[1].split("\n", 1)[0]:
            return False, "installable but not installed: apt-get install -y pebble"
    return False, "not installable here (no Debian package found)"


# ---------------------------------------------------------------------------
# The clients


def make_csr(name: str) -> bytes:
    key = rsa.generate_private_key(65537, 2048)
    return (x509.CertificateSigningRequestBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM))


class Bench:
    """One registered ACME client (its own P-256 account key, EAB) and its CSR."""

    def __init__(self, server: dict, number: int):
        key = josepy.JWKEC(key=ec.generate_private_key(ec.SECP256R1()))
        net = client.ClientNetwork(key, alg=josepy.ES256, verify_ssl=server["verify"], user_agent="certdesk-bench")
        directory = client.ClientV2.get_directory(server["directory"], net)
        self.acme = client.ClientV2(directory, net)
        eab = messages.ExternalAccountBinding.from_data(account_public_key=key.public_key(), kid=server["kid"],
                                                        hmac_key=server["hmac_key"], directory=directory)
        self.acme.new_account(messages.NewRegistration.from_data(
            email=f"bench{number}@example.org", terms_of_service_agreed=True, external_account_binding=eab))
        self.key = key
        self.csr = make_csr(f"host{number}.example.org")

    def _get(self, url: str) -> requests.Response:
        return self.acme._post_as_get(url)  # POST-as-GET (RFC 8555 §6.3)

    def order(self) -> tuple[float, float, float]:
        """One complete order; returns the seconds spent in newOrder (with its authorizations and any
        challenge), in finalize (with polls) and in the certificate download."""
        deadline = time.monotonic() + ORDER_TIMEOUT
        t0 = time.perf_counter()
        orderr = self.acme.new_order(self.csr)  # newOrder, then its authorizations
        for authzr in orderr.authorizations:
            if authzr.body.status == messages.STATUS_PENDING:  # pebble before reuse: answer http-01
                challb = next(c for c in authzr.body.challenges if isinstance(c.chall, challenges.HTTP01))
                self.acme.answer_challenge(challb, challb.response(self.key))
                while authzr.body.status == messages.STATUS_PENDING and time.monotonic() < deadline:
                    time.sleep(POLL)
                    authzr, _ = self.acme.poll(authzr)
            if authzr.body.status != messages.STATUS_VALID:
                raise RuntimeError(f"authorization {authzr.uri} is {authzr.body.status}")
        body = orderr.body
        while body.status == messages.STATUS_PENDING and time.monotonic() < deadline:
            time.sleep(POLL)
            body = messages.Order.from_json(self._get(orderr.uri).json())
        t1 = time.perf_counter()
        body = self.acme.begin_finalization(orderr.update(body=body)).body
        while body.status in (messages.STATUS_PROCESSING, messages.STATUS_READY) and time.monotonic() < deadline:
            time.sleep(POLL)
            body = messages.Order.from_json(self._get(orderr.uri).json())
        if body.status != messages.STATUS_VALID or not body.certificate:
            raise RuntimeError(f"order {orderr.uri} ended {body.status}: {body.error}")
        t2 = time.perf_counter()
        chain = self._get(body.certificate).text
        if "BEGIN CERTIFICATE" not in chain:
            raise RuntimeError(f"no PEM chain at {body.certificate}")
        return t1 - t0, t2 - t1, time.perf_counter() - t2


def baseline(server: dict, n: int = 40) -> float:
    """Median seconds of a HEAD newNonce: the server's cost of a request that does no ACME work."""
    session = requests.Session()
    url = requests.get(server["directory"], verify=server["verify"], timeout=10).json()["newNonce"]
    times = []
    for _ in range(n):
        began = time.perf_counter()
        session.head(url, verify=server["verify"], timeout=10).raise_for_status()
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def warm_up(server: dict, count: int) -> list[Bench]:
    """Register `count` clients and let each complete WARM_UP_ORDERS orders at once, not measured:
    connections, pebble's first authorization of each client, and enough concurrent orders for
    every gunicorn worker to have loaded the linter and decrypted the CA key (seconds, once)."""
    clients = [Bench(server, number) for number in range(1, count + 1)]
    errors: list[BaseException] = []

    def run(bench: Bench) -> None:
        try:
            for _ in range(WARM_UP_ORDERS):
                bench.order()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(b,)) for b in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"warm-up failed: {type(errors[0]).__name__}: {errors[0]}")
    return clients


def measure(concurrency: int, seconds: float, clients: list[Bench]) -> dict:
    active = clients[:concurrency]
    latencies: list[float] = []
    phases: list[tuple[float, float, float]] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = time.perf_counter()
    stop_at = start + seconds
    finished = [start]

    def run(bench: Bench) -> None:
        while time.perf_counter() < stop_at and not errors:
            began = time.perf_counter()
            try:
                phase = bench.order()
            except Exception as exc:  # reported below: the run is invalid
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                return
            ended = time.perf_counter()
            with lock:
                latencies.append(ended - began)
                phases.append(phase)
                finished[0] = max(finished[0], ended)

    threads = [threading.Thread(target=run, args=(b,)) for b in active]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise SystemExit(f"{len(errors)} order(s) failed, first: {errors[0]}")
    elapsed = finished[0] - start
    p95 = statistics.quantiles(latencies, n=20)[18] if len(latencies) >= 20 else max(latencies)
    return {"orders": len(latencies), "rate": len(latencies) / elapsed, "median": statistics.median(latencies),
            "p95": p95, "phases": [statistics.median(p[i] for p in phases) for i in range(3)]}


def line(label: str, concurrency: int, result: dict) -> str:
    new, final, download = (x * 1000 for x in result["phases"])
    return (f"{label:9} {concurrency:2} client(s): {result['rate']:7.1f} orders/s  ({result['orders']} orders, "
            f"median {result['median'] * 1000:7.1f} ms, p95 {result['p95'] * 1000:7.1f} ms; medians newOrder "
            f"{new:.1f} / finalize {final:.1f} / download {download:.1f} ms; load average {os.getloadavg()[0]:.1f})")


def main() -> None:
    from tests.domains.servers import DnsServer

    global DNS
    from certdesk.acme import nonces

    concurrencies = [int(c) for c in ARGS.clients.split(",") if c.strip()]
    work = Path(tempfile.mkdtemp(prefix="acme-bench-"))
    DNS = DnsServer().start()
    servers: dict[str, subprocess.Popen | None] = {"certdesk": None, "pebble": None}
    results: dict[str, dict[int, dict]] = {"certdesk": {}, "pebble": {}}
    try:
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        setup_started = time.perf_counter()
        servers["certdesk"], certdesk = start_certdesk(work, DNS.port)
        print(f"database: {engine}; certdesk serve with {ARGS.web_workers} gunicorn workers (set-up "
              f"{time.perf_counter() - setup_started:.0f} s); OV endpoint, 1 name per order, pre-authorized; "
              f"issuing CA RSA-4096/SHA-384, lint before signing {'on' if settings.LINT_BEFORE_SIGNING else 'off'}; "
              f"used nonces in {'Redis' if nonces.uses_cache() else 'the database'}; "
              f"{ARGS.seconds:.0f} s per measurement; {os.cpu_count()} CPU(s) shared by clients and servers, "
              f"load average {os.getloadavg()[0]:.1f} at start")
        print(f"certdesk: HEAD newNonce median {baseline(certdesk) * 1000:.1f} ms (request overhead, no ACME work)")
        clients = warm_up(certdesk, max(max(concurrencies), 2 * ARGS.web_workers))
        for concurrency in concurrencies:
            results["certdesk"][concurrency] = measure(concurrency, ARGS.seconds, clients)
            print(line("certdesk", concurrency, results["certdesk"][concurrency]), flush=True)
        stop(servers["certdesk"])
        servers["certdesk"] = None
        available, why = pebble_installable()
        if ARGS.no_pebble:
            print("pebble: skipped (--no-pebble)")
        elif not available:
            print(f"pebble: {why}; no comparison")
        else:
            version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "pebble"], capture_output=True,
                                     text=True).stdout.strip() or "?"
            servers["pebble"], pebble = start_pebble(work, DNS.port)
            print(f"pebble {version} (Debian package; in-memory, PEBBLE_VA_ALWAYS_VALID=1, authorizations reused)")
            print(f"pebble: HEAD newNonce median {baseline(pebble) * 1000:.1f} ms")
            clients = warm_up(pebble, max(max(concurrencies), 2 * ARGS.web_workers))
            for concurrency in concurrencies:
                results["pebble"][concurrency] = measure(concurrency, ARGS.seconds, clients)
                print(line("pebble", concurrency, results["pebble"][concurrency]), flush=True)
            for concurrency in concurrencies:
                ours, theirs = results["certdesk"][concurrency]["rate"], results["pebble"][concurrency]["rate"]
                print(f"ratio certdesk/pebble at {concurrency} client(s): {ours / theirs:.2f}")
    finally:
        stop(servers["certdesk"])
        stop(servers["pebble"])
        DNS.stop()
        shutil.rmtree(work, ignore_errors=True)
        if OWN_DATA_DIR:
            shutil.rmtree(os.environ["CERTDESK_DATA_DIR"], ignore_errors=True)


DNS = None

if __name__ == "__main__":
    main()
