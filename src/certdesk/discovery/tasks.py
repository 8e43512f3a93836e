"""Thin wrappers the worker calls: a queued run (ids in, the service does the work) and the
periodic job that queues the scheduled tasks' runs (found by core.queue's autodiscovery)."""
from __future__ import annotations

from datetime import timedelta

from certdesk.core import queue

from . import services


@queue.task(retries=0)
def run_discovery(run_id: int) -> str:
    """Scan one queued run (a second delivery finds it no longer queued and skips)."""
    return services.execute_run(run_id)


@queue.periodic("discovery.schedule", every=timedelta(minutes=15), lease=timedelta(minutes=10))
def queue_scheduled_discoveries() -> int:
    """Every 15 minutes: queue a run of each daily or weekly task whose period has passed."""
    return services.start_due_runs()
