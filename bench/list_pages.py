"""Benchmark (issue 8): list pages over the bench tenant of bench/dataset.py (1,000,000
certificates, 100,000 domains): p50/p95 per page through the Django test client (in process,
the whole stack: middleware, authentication, policy, queries, templates / JSON), as the MRAO
(`admin`, the whole customer) and as a DRAO (`drao`, one department).

Pages: the REST list `/api/ssl/v1` (paging, filters; SCM header authentication), the dashboard
(cached, and uncached: the figures computed again), the reports, organizations, admins, ACME accounts, the portal
domains list `/domains/` and the portal SSL list `/certificates/` with the filters of the
shared list contract (status, profile, org, expires_in, awaiting, requested_via, q, sort, page).

    .venv/bin/python bench/list_pages.py [--rounds 15] [--only certificates] [certificates] [domains]
    CERTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/certdesk_bench_lists .venv/bin/python bench/list_pages.py

Goal (issue 8): p95 under 300 ms for every list page.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("CERTDESK_API_RATE_LIMIT", "1000000/minute")
os.environ.setdefault("CERTDESK_API_RATE_LIMIT_IP", "1000000/minute")

import dataset  # noqa: E402

GOAL_MS = 300


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("certificates", nargs="?", type=int, default=1_000_000)
    parser.add_argument("domains", nargs="?", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--only", default="", help="run the pages whose label contains this")
    args = parser.parse_args()
    dataset.prepare()

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from certdesk.accounts.models import Admin
    from certdesk.certificates.models import Certificate, Profile
    from certdesk.reports import queries as reports_queries
    from certdesk.tenancy.models import Organization

    dataset.build(certificates=args.certificates, domains=args.domains)
    # Datasets built before the flag was written: the API lists only API-enabled organizations.
    Organization.objects.filter(customer__uri=dataset.CUSTOMER).update(ssl_certs_api_enabled=True)
    mrao = Admin.objects.get(customer__uri=dataset.CUSTOMER, login="admin")
    drao = Admin.objects.get(customer__uri=dataset.CUSTOMER, login="drao")
    department = drao.credentials.get().organization
    org = Organization.objects.filter(customer=mrao.customer, parent__isnull=True).order_by("id")[5]
    profile = Profile.objects.get(customer__isnull=True, name="OV SSL")
    sample = Certificate.objects.filter(customer=mrao.customer, status="ISSUED").order_by("id")[4321]
    host = sample.common_name.split(".")[0]

    def portal(admin):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(admin, backend="certdesk.accounts.backends.AdminBackend")
        return client

    def api(admin):
        client = Client(HTTP_HOST="127.0.0.1")
        headers = {"login": admin.login, "password": dataset.PASSWORD, "customerUri": dataset.CUSTOMER}
        return lambda path: client.get(path, headers=headers)

    pages = [
        ("api list size=25", "/api/ssl/v1?size=25"),
        ("api list size=200", "/api/ssl/v1?size=200"),
        ("api list deep position=100000", "/api/ssl/v1?size=25&position=100000"),
        ("api status=Issued", "/api/ssl/v1?size=25&status=Issued"),
        ("api orgId=department", f"/api/ssl/v1?size=25&orgId={department.pk}"),
        ("api orgId=organization", f"/api/ssl/v1?size=25&orgId={org.pk}"),
        ("api commonName substring", f"/api/ssl/v1?size=25&commonName={host}"),
        ("api serialNumber", f"/api/ssl/v1?size=25&serialNumber={sample.serial_hex}"),
        ("api sslTypeId", f"/api/ssl/v1?size=25&sslTypeId={profile.pk}"),
        ("domains", "/domains/"),
        ("domains page 200", "/domains/?page=200"),
        ("domains q", "/domains/?q=wiki1"),
        ("domains org", f"/domains/?org={org.pk}"),
        ("certificates", "/certificates/"),
        ("certificates page 500", "/certificates/?page=500"),
        ("certificates status=ISSUED", "/certificates/?status=ISSUED"),
        ("certificates status=REQUESTED", "/certificates/?status=REQUESTED"),
        ("certificates expires_in=30", "/certificates/?expires_in=30"),
        ("certificates expires_in=30 sort=not_after", "/certificates/?expires_in=30&sort=not_after"),
        ("certificates org", f"/certificates/?org={org.pk}"),
        ("certificates profile", f"/certificates/?profile={profile.pk}"),
        ("certificates awaiting=me", "/certificates/?awaiting=me"),
        ("certificates requested_via=ACME", "/certificates/?requested_via=ACME"),
        ("certificates q=host", f"/certificates/?q={host}"),
        ("certificates q=serial", f"/certificates/?q={sample.serial_hex}"),
        ("certificates sort=-not_after", "/certificates/?sort=-not_after"),
        ("certificates sort=common_name", "/certificates/?sort=common_name"),
        ("dashboard (cached)", "/dashboard/"),
        ("dashboard (uncached)", "/dashboard/?uncached"),
        ("report certificates", "/reports/certificates/"),
        ("report certificates page 50", "/reports/certificates/?page=50"),
        ("report certificates status=ISSUED", "/reports/certificates/?status=ISSUED"),
        ("report domains", "/reports/domains/"),
        ("report activity", "/reports/activity/"),
        ("report notifications", "/reports/notifications/"),
        ("organizations", "/organizations/"),
        ("admins", "/settings/admins/"),
        ("acme accounts", "/enrollments/acme/"),
    ]
    cache_seconds = reports_queries.DASHBOARD_CACHE_SECONDS
    print(f"{connection.vendor}: {Certificate.objects.count()} certificates; {args.rounds} rounds after 2 warm-ups")
    print(f"{'page':<46}{'as':>6}{'status':>8}{'p50 ms':>9}{'p95 ms':>9}{'queries':>9}")
    slow = []
    for who, admin in (("MRAO", mrao), ("DRAO", drao)):
        web, rest = portal(admin), api(admin)
        for label, path in pages:
            if args.only and args.only not in label:
                continue
            get = rest if path.startswith("/api/") else web.get
            # the dashboard's figures are cached per audit tip: "uncached" measures the pass behind them
            reports_queries.DASHBOARD_CACHE_SECONDS = 0 if path.endswith("?uncached") else cache_seconds
            for _ in range(2):
                get(path)
            samples = []
            with CaptureQueriesContext(connection) as captured:
                response = get(path)
            queries = len(captured.captured_queries)
            for _ in range(args.rounds):
                started = time.perf_counter()
                response = get(path)
                samples.append((time.perf_counter() - started) * 1000)
            p50, p95 = statistics.median(samples), percentile(samples, 0.95)
            mark = "  SLOW" if p95 > GOAL_MS else ""
            print(f"{label:<46}{who:>6}{response.status_code:>8}{p50:>9.1f}{p95:>9.1f}{queries:>9}{mark}", flush=True)
            if p95 > GOAL_MS:
                slow.append((who, label, path, p95))
    print(f"{len(slow)} page(s) over {GOAL_MS} ms p95" + "".join(f"\n  {w} {label}: {p:.0f} ms  {path}"
                                                              for w, label, path, p in slow))


if __name__ == "__main__":
    main()
