"""Thin wrappers the worker calls: ids in, a service call as the system actor, no logic; and the
certificate periodic jobs (found by core.queue's autodiscovery of `tasks` modules)."""
from __future__ import annotations

from datetime import timedelta

from certdesk.core import queue

from . import services, sweeps


def issue_certificate(cert_id: int) -> None:
    services.issue(cert_id)


def expire_certificates() -> int:
    return sweeps.expire_sweep()


def notify_expiring_certificates() -> int:
    return sweeps.expiring_sweep()


def auto_renew_certificates() -> dict[str, int]:
    return sweeps.auto_renew_due()


@queue.periodic("certificates.expiry", every=timedelta(days=1), lease=timedelta(hours=2))
def daily_expiry() -> dict[str, int]:
    """Daily: ISSUED certificates past notAfter become EXPIRED, then the expiry notices go out."""
    expired = expire_certificates()
    queue.keep_alive()
    return {"expired": expired, "expiring_notices": notify_expiring_certificates()}


@queue.periodic("certificates.auto_renew", every=timedelta(hours=1), lease=timedelta(minutes=50))
def hourly_auto_renew() -> dict[str, int]:
    """Hourly: renew the certificates whose auto-renewal moment has come (each tried once)."""
    return auto_renew_certificates()


@queue.periodic("certificates.resume_applied", every=timedelta(minutes=5), lease=timedelta(minutes=5))
def resume_applied() -> dict[str, int]:
    """Every five minutes: issue the approved requests a dead process (or a failing CA signer) left
    APPLIED for more than ten minutes; an ACME order linked to one becomes valid then."""
    return sweeps.resume_applied()
