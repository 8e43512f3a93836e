"""Benchmark: OCSP responses per second served by /ocsp (pre-signed, from the cache; and signed
live for requests with a nonce), and the time to build and sign a CRL of 100k and 500k entries.

In-process: Django's test client against the real URLconf and middleware, on the database of
CERTDESK_DATABASE_URL (default: a fresh SQLite file in a temporary data dir). The CAs are made
by `certdesk init`'s service; the serials are synthetic (pre-signed "good" responses stored as the
worker stores them), so no issuance is needed.

    .venv/bin/python bench/ocsp.py [requests] [crl sizes, comma-separated]
    .venv/bin/python bench/ocsp.py 5000 100000,500000
"""
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CERTDESK_DATA_DIR", tempfile.mkdtemp(prefix="certdesk-bench-"))
os.environ.setdefault("CERTDESK_CA_PASSPHRASE", "bench-passphrase")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certdesk.settings")

import django

django.setup()

from types import SimpleNamespace

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as pyocsp
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

SERIALS = 2000


def setup():
    from certdesk.ca import services as ca_services

    call_command("migrate", verbosity=0)
    return {ca.slug: ca for ca in ca_services.init_authorities()}


def presign_synthetic(ca, count: int) -> list[int]:
    """Store `count` pre-signed "good" responses for random serials, as ocsp.presign would."""
    from certdesk.ca import ocsp
    from certdesk.ca.models import OcspResponse

    serials = [random.getrandbits(159) | (1 << 158) for _ in range(count)]
    now = timezone.now()
    rows = []
    started = time.perf_counter()
    for serial in serials:
        der, this_update, next_update = ocsp.sign_response(ca, serial=serial, algorithm=hashes.SHA1(),
                                                           status=ocsp.Status("good"), now=now)
        rows.append(OcspResponse(ca=ca, serial_hex=f"{serial:040x}", hash_algorithm="sha1", status="good",
                                 this_update=this_update, next_update=next_update, der=der))
    signing = time.perf_counter() - started
    OcspResponse.objects.bulk_create(rows, batch_size=500)
    print(f"  pre-signed {count} responses for {ca.slug} in {signing:.2f} s "
          f"({count / signing:,.0f} signatures/s with the delegated responder key)")
    return serials


def requests_for(ca, serials, *, nonce=False) -> list[bytes]:
    from cryptography import x509

    from certdesk.ca import ocsp

    name_hash, key_hash = ocsp.issuer_hashes(ca.certificate(), hashes.SHA1())
    out = []
    for serial in serials:
        builder = pyocsp.OCSPRequestBuilder().add_certificate_by_hash(name_hash, key_hash, serial, hashes.SHA1())
        if nonce:
            builder = builder.add_extension(x509.OCSPNonce(os.urandom(16)), critical=False)
        out.append(builder.build().public_bytes(serialization.Encoding.DER))
    return out


def rate(client: Client, bodies: list[bytes], total: int, *, check) -> float:
    started = time.perf_counter()
    for i in range(total):
        response = client.post("/ocsp", data=bodies[i % len(bodies)], content_type="application/ocsp-request")
        if i < 20:
            check(response)
    return total / (time.perf_counter() - started)


def bench_ocsp(authorities, total: int) -> None:
    client = Client()
    for slug in ("rsa-ssl-ov", "ecc-ssl-ov"):
        ca = authorities[slug]
        serials = presign_synthetic(ca, SERIALS)
        cached = requests_for(ca, serials)

        def is_good(response):
            parsed = pyocsp.load_der_ocsp_response(response.content)
            assert parsed.certificate_status == pyocsp.OCSPCertStatus.GOOD, parsed.response_status

        rate(client, cached[:50], 50, check=is_good)  # warm-up
        per_second = rate(client, cached, total, check=is_good)
        print(f"  {slug}: {per_second:,.0f} OCSP responses/s from the pre-signed responses "
              f"(POST, {SERIALS} distinct serials, {total} requests)")

        def is_signed(response):
            parsed = pyocsp.load_der_ocsp_response(response.content)
            assert parsed.response_status == pyocsp.OCSPResponseStatus.SUCCESSFUL, parsed.response_status

        # Synthetic serials have no certificate row: the live answers say "unknown", same cost.
        live = requests_for(ca, serials[: max(1, total // 10)], nonce=True)
        per_second = rate(client, live, len(live), check=is_signed)
        print(f"  {slug}: {per_second:,.0f} OCSP responses/s signed live (nonce echoed, never cached)")


def bench_crl(authorities, sizes: list[int]) -> None:
    from certdesk.ca import crl

    moment = timezone.now()
    for slug in ("ecc-ssl-ov", "rsa-ssl-ov"):
        ca = authorities[slug]
        crl.build_crl(ca, 0, number=1, now=moment, entries=[])  # loads the CA key
        for size in sizes:
            entries = [SimpleNamespace(serial_hex=f"{(1 << 158) + i * 7919:040x}", revoked_at=moment,
                                       reason_code=(0, 1, 4, 5)[i % 4]) for i in range(size)]
            started = time.perf_counter()
            built = crl.build_crl(ca, 0, number=2, now=moment, entries=entries)
            seconds = time.perf_counter() - started
            size_mb = len(built.public_bytes(serialization.Encoding.DER)) / 1e6
            print(f"  {slug}: CRL of {size:,} entries built and signed in {seconds:.2f} s ({size_mb:.1f} MB DER)")


def main() -> None:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    sizes = [int(s) for s in (sys.argv[2] if len(sys.argv) > 2 else "100000,500000").split(",")]
    from django.db import connection

    print(f"database: {connection.vendor}; making the CAs…")
    authorities = setup()
    print("OCSP:")
    bench_ocsp(authorities, total)
    print("CRL:")
    bench_crl(authorities, sizes)


if __name__ == "__main__":
    main()
