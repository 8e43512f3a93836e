"""Benchmark: SCM header authentication with and without the verified-credential cache.

Every SCM API call carries login+password; Argon2 on each call would cap throughput. This
measures GET /api/organization/v1 (in-process WSGI, Django test client) with the cache on and
off, on the database given by CERTDESK_DATABASE_URL (default: a fresh SQLite file).

    .venv/bin/python bench/api_auth.py [requests]
"""
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("CERTDESK_DATA_DIR", tempfile.mkdtemp(prefix="certdesk-bench-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "certdesk.settings")
# Measure authentication, not the rate limiter (which would answer 429 past its limit).
os.environ.setdefault("CERTDESK_API_RATE_LIMIT", "off")
os.environ.setdefault("CERTDESK_API_RATE_LIMIT_IP", "off")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

PASSWORD = "Bench-Password-123456"


def run(n: int, cache_seconds: int) -> list[float]:
    client = Client(HTTP_LOGIN="admin", HTTP_PASSWORD=PASSWORD, HTTP_CUSTOMERURI="bench")
    times = []
    with override_settings(API_AUTH_CACHE_SECONDS=cache_seconds):
        from django.core.cache import cache

        cache.clear()
        for _ in range(n):
            start = time.perf_counter()
            response = client.get("/api/organization/v1")
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content
    return times


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 300
    call_command("migrate", verbosity=0)
    from certdesk.accounts import services

    services.bootstrap("bench", "admin", PASSWORD)
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, requests: {n}")
    for label, seconds in (("cache on ", settings.API_AUTH_CACHE_SECONDS or 60), ("cache off", 0)):
        run(20, seconds)  # warm-up
        times = run(n, seconds)
        total = sum(times)
        p95 = statistics.quantiles(times, n=20)[18]
        print(f"{label}: {n / total:8.1f} req/s   median {statistics.median(times) * 1000:6.2f} ms   "
              f"p95 {p95 * 1000:6.2f} ms")


if __name__ == "__main__":
    main()
