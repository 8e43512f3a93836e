"""Benchmark: SSL certificates issued per second end to end through `POST /api/ssl/v1/enroll`
(SCM header authentication, JSON parsing, every check, DB writes, audit, notifications, lint,
signature) by an admin with "SSL auto approve", in-process through the Django test client,
beside the raw signing rate of the same CA key and the service-level rate (`request_ssl`)
measured in the same run (bench/issue_ssl.py helpers).

Runs on the database of CERTDESK_DATABASE_URL (default: a fresh SQLite file in a temporary data
dir; a PostgreSQL database is created when missing). DNS (DCV, CAA) goes to a loopback test server.

    .venv/bin/python bench/issue_ssl_rest.py [certificates]
    CERTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/certdesk_bench .venv/bin/python bench/issue_ssl_rest.py
"""
import json
import os
import statistics
import sys
import time
from pathlib import Path

# The per-account API rate limit would otherwise throttle the run itself.
os.environ.setdefault("CERTDESK_API_RATE_LIMIT", "1000000/minute")
os.environ.setdefault("CERTDESK_API_RATE_LIMIT_IP", "1000000/minute")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import issue_ssl
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from issue_ssl import PASSWORD, issue_many, make_csr, raw_signing, setup, summary


def enroll_many(client: Client, org_id: int, profile_id: int, term: int, pem: str, n: int) -> list[float]:
    from certdesk.certificates.models import Certificate

    body = {"orgId": org_id, "csr": pem, "certType": profile_id, "term": term, "subjAltNames": "www.example.org",
            "comments": "bench", "numberServers": 1, "serverType": -1}
    payload = json.dumps(body)
    times = []
    ids = []
    for _ in range(n):
        start = time.perf_counter()
        response = client.post("/api/ssl/v1/enroll", payload, content_type="application/json")
        times.append(time.perf_counter() - start)
        assert response.status_code == 200, response.content
        ids.append(response.json()["sslId"])
    statuses = set(Certificate.objects.filter(pk__in=ids).values_list("status", flat=True))
    assert statuses == {"ISSUED"}, statuses
    return times


def main() -> None:
    from tests.domains.servers import DnsServer

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    dns = DnsServer().start()
    settings.DNS_RESOLVERS = [f"127.0.0.1:{dns.port}"]
    settings.DNS_TIMEOUT = 2.0
    settings.CAA_IDENTITIES = ["certdesk.example.net"]
    settings.BASE_URL = "http://certdesk.example.net"
    if "testserver" not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.LINT_BEFORE_SIGNING = True
    try:
        call_command("migrate", verbosity=0)
        actor, org, profile = setup(dns)
        org.ssl_certs_api_enabled = True
        org.save(update_fields=["ssl_certs_api_enabled"])
        term = profile.effective_terms(timezone.now())[-1]
        pem = make_csr()
        client = Client(HTTP_LOGIN="admin", HTTP_PASSWORD=PASSWORD, HTTP_CUSTOMERURI="bench")
        engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
        print(f"database: {engine}, certificates per run: {n}, issuing CA: rsa-ssl-ov (RSA-4096, SHA-384), "
              f"subscriber key RSA-2048, 2 names, lint before signing on, auth cache "
              f"{settings.API_AUTH_CACHE_SECONDS}s")
        enroll_many(client, org.pk, profile.pk, term, pem, 5)  # warm-up: auth cache, lint, key cache
        issue_many(actor, org, profile, pem, 5, True)
        raw_signing(5)
        rounds = 5
        raw_t, svc_t, rest_t = [], [], []
        for _ in range(rounds):
            raw_t += raw_signing(max(1, n // rounds))
            svc_t += issue_many(actor, org, profile, pem, max(1, n // rounds), True)
            rest_t += enroll_many(client, org.pk, profile.pk, term, pem, max(1, n // rounds))
        raw = summary("raw CA signature", raw_t)
        svc = summary("request_ssl (service)", svc_t)
        rest = summary("POST /api/ssl/v1/enroll", rest_t)
        print(f"ratio to the raw signing rate: REST {rest / raw:.3f}, service {svc / raw:.3f}; REST/service "
              f"{rest / svc:.3f}; the REST layer adds "
              f"{(statistics.median(rest_t) - statistics.median(svc_t)) * 1000:.1f} ms a certificate (medians)")
    finally:
        dns.stop()


if __name__ == "__main__":
    assert issue_ssl
    main()
