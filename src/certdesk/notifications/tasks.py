"""Worker jobs: send the outbox (queued on commit, and every minute for retries), prune the log,
and the periodic jobs of the domains app (DCV re-checks, the DCV expiry sweep)."""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings

from certdesk.core import queue

from . import delivery


@queue.task(retries=3, retry_delay=10)
def flush_outbox() -> dict[str, int]:
    """Queued when an event's transaction commits: send what is due now."""
    return delivery.flush()


@queue.periodic("notifications.dispatch", every=timedelta(minutes=1), lease=timedelta(minutes=10))
def dispatch_outbox() -> dict[str, int]:
    """Every minute: retries that came due, and messages whose queued job was lost."""
    return delivery.flush()


@queue.periodic("notifications.prune", every=timedelta(days=1), lease=timedelta(hours=1))
def prune_log() -> int:
    return delivery.prune()


# The domains app's periodic work (its tasks.py holds the entry points; issue 7 wires the schedule).
@queue.periodic("domains.dcv_recheck", every=timedelta(seconds=max(60, min(300, settings.DCV_RECHECK_SECONDS))),
                lease=timedelta(minutes=30))
def recheck_dcv():
    from certdesk.domains import tasks

    return tasks.recheck_submitted_dcv()


@queue.periodic("domains.dcv_expiry_sweep", every=timedelta(days=1), lease=timedelta(hours=2))
def sweep_dcv_expiry():
    from certdesk.domains import tasks

    return tasks.sweep_dcv_expiry()
