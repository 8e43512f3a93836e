"""Thin entry points for the worker (the periodic schedule is wired by the worker issue); the
daily DCV sweep itself is `services.expire_sweep` (domains/services/sweeps.py)."""
from __future__ import annotations

from . import services


def recheck_submitted_dcv() -> int:
    """Hourly by default (CERTDESK_DCV_RECHECK_SECONDS): re-check submitted DNS/HTTP(S) DCV orders."""
    return services.recheck_due()


def sweep_dcv_expiry() -> dict[str, int]:
    """Daily: expire DCVs, send the 30/15-day notices, revalidate persistent-TXT domains."""
    return services.expire_sweep()
