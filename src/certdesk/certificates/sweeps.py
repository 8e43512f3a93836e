"""The worker's sweeps over certificates: expiry, expiry notices, auto-renewal (seed 003 §7.3).

Expiry and expiry notices are set-based (issue 7: their query count must not grow with the
number of certificates): each is one transaction of a fixed number of statements whatever the
number of certificates, an `UPDATE ... WHERE` beside `INSERT ... SELECT` history rows and one
`executemany` of audit rows (core.audit_bulk). The candidates are read once, locked, with the
few columns the audit rows and notices need. Expiry notices go out once per organization (or
department) and notice threshold, listing its certificates (notifications.certificate_receivers).
Auto-renewal signs certificates, so it stays one certificate at a time, bounded per run.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from itertools import groupby

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from certdesk.core import audit, audit_bulk, events
from certdesk.core.actor import Interface
from certdesk.core.errors import DomainError

from . import signals
from .models import Certificate, CertificateEvent
from .services import _event, _lock, issue, renew, system_actor
from .states import Status

logger = logging.getLogger(__name__)

EXPIRY_ACTOR = "certdesk expiry"


def _now() -> datetime:
    return timezone.now()


def _insert_events_from(candidates, *, at: datetime, action: str, old: str, new: str, actor: str) -> None:
    """INSERT INTO certificate events SELECT one row per candidate certificate (one statement)."""
    select, params = candidates.order_by().values_list("pk").query.sql_with_params()
    qn = connection.ops.quote_name
    table = qn(CertificateEvent._meta.db_table)
    columns = ", ".join(qn(CertificateEvent._meta.get_field(name).column)
                        for name in ("certificate", "at", "action", "status_from", "status_to", "actor", "message"))
    certs = qn(Certificate._meta.db_table)
    sql = (f"INSERT INTO {table} ({columns}) SELECT {certs}.{qn('id')}, %s, %s, %s, %s, %s, %s FROM {certs} "
           f"WHERE {certs}.{qn('id')} IN ({select})")
    value = CertificateEvent._meta.get_field("at").get_db_prep_save(at, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, (value, action, old, new, actor, "", *params))


def expire_sweep(*, now: datetime | None = None, batch: int | None = None) -> int:
    """ISSUED certificates past notAfter → EXPIRED, with their history event, audit row and
    `expired` signal (the signal only when something listens); returns how many.

    A fixed number of queries whatever the number of certificates (`batch` is accepted for
    compatibility and ignored: there are no batches any more)."""
    now = now or _now()
    due = Q(status=Status.ISSUED, not_after__lte=now)
    with transaction.atomic():
        head = audit_bulk.lock_head()  # audited writers wait for the sweep, as with audit.record
        # Sorted here, not in SQL: ORDER BY id would walk the primary key instead of the
        # (status, not_after) index.
        rows = sorted(Certificate.objects.select_for_update(of=("self",)).filter(due).order_by()
                      .values_list("pk", "customer_id", "organization_id", "kind", "common_name", "not_after"))
        if not rows:
            return 0
        _insert_events_from(Certificate.objects.filter(due), at=now, action="expired", old=Status.ISSUED,
                            new=Status.EXPIRED, actor=EXPIRY_ACTOR)
        Certificate.objects.filter(due).update(status=Status.EXPIRED, modified=now)
        audit_bulk.record_many(head, (
            audit_bulk.Row(customer_id, "certificate.expired", "certificates.certificate", str(pk),
                           f"{kind} #{pk} {common_name} ({Status.EXPIRED})",
                           {"status": [Status.ISSUED, Status.EXPIRED]})
            for pk, customer_id, _org, kind, common_name, _na in rows), actor=EXPIRY_ACTOR, interface=Interface.WORKER)
        if signals.expired.has_listeners(Certificate):
            for pk, customer_id, organization_id, kind, _cn, not_after in rows:
                events.emit(signals.expired, Certificate, certificate_id=pk, customer_id=customer_id,
                            organization_id=organization_id, kind=kind, status=Status.EXPIRED, not_after=not_after)
    return len(rows)


def _thresholds() -> list[int]:
    return sorted({int(d) for d in settings.CERTIFICATE_EXPIRY_NOTICE_DAYS if int(d) > 0}, reverse=True)


def expiring_sweep(*, now: datetime | None = None, batch: int | None = None) -> int:
    """Send "expiring" once per certificate and notice threshold (settings.CERTIFICATE_EXPIRY_NOTICE_DAYS):
    a certificate is due for the smallest threshold not below its days left, unless a notice of
    that threshold (or a smaller one) was sent. One `expiring` event per threshold carries every
    certificate, grouped by customer and organization. Returns how many certificates were noticed.

    Per threshold a fixed number of queries (a locking read, the notices, one UPDATE)."""
    now = now or _now()
    thresholds = _thresholds()
    sent = 0
    for position, days in enumerate(thresholds):
        lower = thresholds[position + 1] if position + 1 < len(thresholds) else 0
        due = (Q(status=Status.ISSUED, not_after__gt=now + timedelta(days=lower),
                 not_after__lte=now + timedelta(days=days))
               & (Q(expiry_notice_days__isnull=True) | Q(expiry_notice_days__gt=days)))
        with transaction.atomic():
            rows = list(Certificate.objects.select_for_update(of=("self",)).filter(due).order_by()
                        .values_list("customer_id", "organization_id", "pk", "kind", "not_after", "common_name",
                                     "serial_hex"))
            rows.sort(key=lambda row: (row[0], row[1], row[3], row[4], row[2]))  # in Python: SQL would use the index
            if not rows:
                continue
            groups = [{"customer_id": customer_id, "organization_id": organization_id, "kind": kind,
                       "certificates": [(pk, cn, serial, not_after) for _c, _o, pk, _k, not_after, cn, serial in group]}
                      for (customer_id, organization_id, kind), group
                      in groupby(rows, key=lambda row: (row[0], row[1], row[3]))]
            first = rows[0]
            # One event for the whole threshold: the receivers notify every organization at once.
            events.emit(signals.expiring, Certificate, certificate_id=first[2], customer_id=first[0],
                        organization_id=first[1], kind=first[3], status=Status.ISSUED, days=days,
                        not_after=first[4], certificate_ids=[row[2] for row in rows], groups=groups)
            Certificate.objects.filter(due).update(expiry_notice_days=days)
            sent += len(rows)
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


# A request stays APPLIED only between its approval and its signature, a second or so; one older
# than this was left by a process that died (or a CA signer that failed) and is issued again.
RESUME_AFTER = timedelta(minutes=10)


def resume_applied(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Issue the certificates left APPLIED for longer than RESUME_AFTER. `issue` locks the row and
    checks the status under the lock, so a certificate is never signed twice, whoever else tries."""
    from certdesk.tenancy.models import CertType, Customer

    cutoff = (now or _now()) - RESUME_AFTER
    # customer × kind × status lead an index: the stuck few are found without reading the rest.
    stuck = list(Certificate.objects.filter(
        customer_id__in=Customer.objects.values("pk"), kind__in=CertType.values, status=Status.APPLIED,
        modified__lt=cutoff).order_by("modified").values_list("pk", flat=True)[:limit])
    result = {"issued": 0, "invalid": 0, "failed": 0}
    for cert_id in stuck:
        try:
            cert = issue(cert_id)
        except Exception:  # noqa: BLE001 - a CA signer that still fails: tried again next run
            logger.exception("resuming the issuance of certificate %s failed", cert_id)
            result["failed"] += 1
            continue
        if cert.status == Status.ISSUED:
            result["issued"] += 1
        elif cert.status == Status.INVALID:
            result["invalid"] += 1
    return result
