"""The worker's sweeps over certificates: expiry, expiry notices, auto-renewal (seed 003 §7.3).

Each walks its candidates in keyset-paginated batches and changes every certificate through
the same helpers as the services (event, audit, signal on commit).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certdesk.core import audit
from certdesk.core.errors import DomainError

from . import signals, states
from .models import Certificate
from .services import _event, _lock, renew, system_actor
from .states import Status


def _now() -> datetime:
    return timezone.now()


def _batches(qs, batch: int):
    """Keyset pagination by id: each batch re-queries past the last id seen."""
    last = 0
    while True:
        ids = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            return
        yield ids
        last = ids[-1]


def expire_sweep(*, now: datetime | None = None, batch: int = 500) -> int:
    """ISSUED certificates past notAfter → EXPIRED; returns how many."""
    now = now or _now()
    count = 0
    for ids in _batches(Certificate.objects.filter(status=Status.ISSUED, not_after__lte=now), batch):
        with transaction.atomic():
            for cert in (Certificate.objects.select_for_update(of=("self",)).select_related("customer")
                         .filter(pk__in=ids, status=Status.ISSUED, not_after__lte=now).order_by("pk")):
                actor = system_actor(cert.customer, "certdesk expiry")
                old = states.move(cert, Status.EXPIRED)
                cert.save(update_fields=["status", "modified"])
                _event(cert, actor, "expired", old=old, new=Status.EXPIRED, at=now)
                audit.record(actor, "certificate.expired", cert, customer=cert.customer,
                             status=[old, Status.EXPIRED])
                signals.send_in_transaction(signals.expired, cert, not_after=cert.not_after)
                count += 1
    return count


def expiring_sweep(*, now: datetime | None = None, batch: int = 500) -> int:
    """Send "expiring" once per certificate and notice threshold (settings.CERTIFICATE_EXPIRY_NOTICE_DAYS)."""
    now = now or _now()
    thresholds = sorted({int(d) for d in settings.CERTIFICATE_EXPIRY_NOTICE_DAYS if int(d) > 0}, reverse=True)
    if not thresholds:
        return 0
    sent = 0
    qs = Certificate.objects.filter(status=Status.ISSUED, not_after__gt=now,
                                    not_after__lte=now + timedelta(days=thresholds[0]))
    for ids in _batches(qs, batch):
        with transaction.atomic():
            for cert in Certificate.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"):
                days_left = (cert.not_after - now).total_seconds() / 86400
                due = [d for d in thresholds if days_left <= d]
                notice = min(due) if due else None
                if notice is None or (cert.expiry_notice_days is not None and cert.expiry_notice_days <= notice):
                    continue
                cert.expiry_notice_days = notice
                cert.save(update_fields=["expiry_notice_days"])
                signals.send_in_transaction(signals.expiring, cert, days=notice, not_after=cert.not_after)
                sent += 1
    return sent


def auto_renew_due(*, now: datetime | None = None, limit: int = 100) -> dict[str, int]:
    """Renew the ISSUED certificates with auto-renew whose "days before expiry" has come (seed 003
    §7.3). Each is tried once; a refusal or a failed issuance sends "auto-renewal failed"."""
    from .queries import auto_renew_candidates

    now = now or _now()
    result = {"renewed": 0, "failed": 0}
    for cert in auto_renew_candidates(now=now)[:limit]:
        actor = system_actor(cert.customer, "certdesk auto-renew")
        error = ""
        try:
            new = renew(actor, cert, auto_approve=True)
            if new.status == Status.INVALID:
                error = new.reason
        except DomainError as exc:
            error = exc.message
        with transaction.atomic():
            locked = _lock(cert)
            locked.auto_renewed_at = now
            locked.auto_renew_error = error[:1024]
            locked.save(update_fields=["auto_renewed_at", "auto_renew_error"])
            if error:
                _event(locked, actor, "auto-renewal failed", message=error, at=now)
                audit.record(actor, "certificate.auto_renewal_failed", locked, customer=locked.customer, reason=error)
                signals.send_in_transaction(signals.auto_renewal_failed, locked, reason=error)
        result["failed" if error else "renewed"] += 1
    return result
