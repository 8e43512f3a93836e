"""The accounts periodic jobs (found by core.queue's autodiscovery of `tasks` modules)."""
from __future__ import annotations

from datetime import timedelta

from certdesk.core import queue

from . import ratelimit


@queue.periodic("accounts.rate_counter_sweep", every=timedelta(hours=1), lease=timedelta(minutes=30))
def hourly_rate_counter_sweep() -> int:
    """Hourly: forget the request-counter windows that ended more than two days ago."""
    return ratelimit.sweep()
