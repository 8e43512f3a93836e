"""The tenancy periodic jobs (found by core.queue's autodiscovery of `tasks` modules)."""
from __future__ import annotations

from datetime import timedelta

from certdesk.core import queue

from . import reminders


@queue.periodic("tenancy.revalidation_reminders", every=timedelta(days=1), lease=timedelta(hours=1))
def daily_revalidation_reminders() -> dict[str, int]:
    """Daily: remind MRAOs and RAOs of organization validations expiring in 60/30/7 days or expired."""
    return reminders.send_revalidation_reminders()
