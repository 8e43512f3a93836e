"""Benchmark (issue 7): the daily expiry sweeps over the bench tenant of bench/dataset.py
(1,000,000 certificates, 100,000 domains by default): wall time, peak memory and the number of
SQL queries of each sweep, for several consecutive days.

Day 0 runs the real periodic jobs through certdesk.core.queue (claim, lock, run):
`certificates.expiry` (expire + expiry notices) and `domains.dcv_expiry_sweep`. Days 1..N call
the same sweeps with `now` moved a day further each time, so the amount of work changes from day
to day while the query count should not.

    .venv/bin/python bench/expiry_sweep.py [--days 3] [--tracemalloc] [certificates] [domains]
    CERTDESK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/certdesk_bench_sweeps .venv/bin/python bench/expiry_sweep.py

The data set is built first when missing (bench/dataset.py); the sweeps change it (expired
rows stay expired), so run a fresh copy for comparable numbers. Peak memory: Python allocations
(tracemalloc, --tracemalloc, slows the run) and the process's maximum RSS (ru_maxrss).
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dataset  # noqa: E402


def measure(label: str, fn, *, trace: bool) -> dict:
    from django.db import connection

    issued = []

    def count(execute, sql, params, many, context):
        issued.append(1)  # an executemany is one statement, as Django's query log counts it
        return execute(sql, params, many, context)

    if trace:
        tracemalloc.start()
    started = time.perf_counter()
    with connection.execute_wrapper(count):
        result = fn()
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
    if trace:
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row = {"label": label, "seconds": seconds, "queries": len(issued), "peak_mb": peak,
           "maxrss_mb": rss, "result": result}
    traced = f"{peak:7.1f} MB traced" if peak is not None else "  (no tracemalloc)"
    print(f"{label:<44} {seconds:8.2f} s  {row['queries']:4d} queries  {traced}  "
          f"maxrss {rss:7.1f} MB  {result}", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("certificates", nargs="?", type=int, default=1_000_000)
    parser.add_argument("domains", nargs="?", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=3, help="days simulated after day 0")
    parser.add_argument("--tracemalloc", action="store_true")
    args = parser.parse_args()
    dataset.prepare()

    from django.db import connection
    from django.utils import timezone

    from certdesk.certificates import sweeps
    from certdesk.certificates.models import Certificate
    from certdesk.core import queue
    from certdesk.domains import services as domain_services
    from certdesk.domains.models import Domain

    dataset.build(certificates=args.certificates, domains=args.domains)
    queue.load_tasks()
    print(f"{connection.vendor}: {Certificate.objects.count()} certificates, {Domain.objects.count()} domains, "
          f"maxrss before {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")
    trace = args.tracemalloc
    now = timezone.now()
    measure("day 0 periodic certificates.expiry", lambda: queue.run_periodic("certificates.expiry", now=now),
            trace=trace)
    measure("day 0 periodic domains.dcv_expiry_sweep",
            lambda: queue.run_periodic("domains.dcv_expiry_sweep", now=now), trace=trace)
    for day in range(1, args.days + 1):
        at = now + timedelta(days=day)
        measure(f"day {day} certificates expire_sweep", lambda: sweeps.expire_sweep(now=at), trace=trace)
        measure(f"day {day} certificates expiring_sweep", lambda: sweeps.expiring_sweep(now=at), trace=trace)
        measure(f"day {day} domains expire_sweep", lambda: domain_services.expire_sweep(now=at), trace=trace)


if __name__ == "__main__":
    main()
