"""The daily DCV expiry sweep.

The sweep is set-based (issue 7: its query count must not grow with the number of domains):
VALIDATED → EXPIRED past expiry in one UPDATE with one audit row per domain written by one
`executemany` (core.audit_bulk); the 30/15-day notices with one UPDATE per notice threshold and
one `dcv_expiring` event per threshold, its domains grouped by delegated organizations. Two things stay
per domain: validations shorter than 31 days (their notice days depend on the length; none exist
before the 2029 reuse periods), and persistent-TXT revalidation, which checks DNS for each domain.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from itertools import groupby

from django.db import transaction
from django.db.models import DurationField, ExpressionWrapper, F, Q
from django.utils import timezone

from certdesk.core import audit_bulk, events
from certdesk.core.actor import Interface

from .. import signals
from ..models import Delegation, Domain
from ..states import EXPIRY_NOTICE_DAYS, REVALIDATION_WINDOW_DAYS, DcvMethod, DcvStatus, DelegationStatus
from .validation import WORKER_LABEL, _notice, _revalidate_persistent

# Validations at least this long get every notice of EXPIRY_NOTICE_DAYS (states.expiry_notice_days).
_FULL_NOTICES = timedelta(days=max(EXPIRY_NOTICE_DAYS) + 1)


def _validity():
    return ExpressionWrapper(F("dcv_expires") - F("dcv_validated_at"), output_field=DurationField())


def _expire(now: datetime) -> int:
    due = Q(dcv_status=DcvStatus.VALIDATED, dcv_expires__lte=now)
    with transaction.atomic():
        head = audit_bulk.lock_head()
        rows = sorted(Domain.objects.select_for_update(of=("self",)).filter(due).order_by()
                      .values_list("pk", "customer_id", "name", "dcv_expires"))
        if not rows:
            return 0
        Domain.objects.filter(due).update(dcv_status=DcvStatus.EXPIRED, modified=now)
        audit_bulk.record_many(head, (
            audit_bulk.Row(customer_id, "dcv.expired", "domains.domain", str(pk), name,
                           {"expires": expires, "dcv_status": [DcvStatus.VALIDATED, DcvStatus.EXPIRED]})
            for pk, customer_id, name, expires in rows), actor=WORKER_LABEL, interface=Interface.WORKER)
        if signals.dcv_expired.has_listeners(Domain):
            for pk, customer_id, _name, _expires in rows:
                events.emit(signals.dcv_expired, Domain, domain_id=pk, customer_id=customer_id)
    return len(rows)


def _notices(now: datetime) -> int:
    """Validations of ≥ 31 days: the smallest threshold of EXPIRY_NOTICE_DAYS not below the days
    left, once (dcv_notice_days); one event per threshold, grouped by delegated organizations."""
    thresholds = sorted(EXPIRY_NOTICE_DAYS, reverse=True)
    sent = 0
    for position, days in enumerate(thresholds):
        lower = thresholds[position + 1] if position + 1 < len(thresholds) else 0
        due = (Q(dcv_status=DcvStatus.VALIDATED, dcv_expires__gt=now + timedelta(days=lower),
                 dcv_expires__lte=now + timedelta(days=days))
               & (Q(dcv_validated_at__isnull=True) | Q(validity__gte=_FULL_NOTICES))
               & (Q(dcv_notice_days__isnull=True) | Q(dcv_notice_days__gt=days)))
        candidates = Domain.objects.alias(validity=_validity()).filter(due)
        with transaction.atomic():
            domains = {pk: (customer_id, name, method, expires) for pk, customer_id, name, method, expires in
                       candidates.select_for_update(of=("self",)).order_by()
                       .values_list("pk", "customer_id", "name", "dcv_method", "dcv_expires")}
            if not domains:
                continue
            # The organizations each domain's notice goes to: its active delegations (all when none is).
            delegated: dict[int, list[tuple[int, bool]]] = {}
            for domain_id, org_id, status in (Delegation.objects.filter(domain__in=candidates.values("pk"))
                                              .values_list("domain_id", "organization_id", "status")):
                delegated.setdefault(domain_id, []).append((org_id, status == DelegationStatus.ACTIVE))

            def audience(pk: int) -> tuple[int, ...]:
                items = delegated.get(pk, [])
                active = [org for org, is_active in items if is_active]
                return tuple(sorted(active or [org for org, _ in items]))

            keyed = sorted(domains, key=lambda pk: (domains[pk][0], audience(pk), domains[pk][3], pk))
            groups = [{"customer_id": customer_id, "organization_ids": list(orgs),
                       "domains": [(pk, *domains[pk][1:]) for pk in group]}
                      for (customer_id, orgs), group in groupby(keyed, key=lambda pk: (domains[pk][0], audience(pk)))]
            first = keyed[0]
            # One event for the whole threshold: the receivers notify every organization at once.
            events.emit(signals.dcv_expiring, Domain, domain_id=first, days=days, expires=domains[first][3],
                        customer_id=domains[first][0], domain_ids=keyed, groups=groups)
            candidates.update(dcv_notice_days=days)
            sent += len(domains)
    return sent


def _short_validity_notices(now: datetime) -> int:
    """Validations shorter than 31 days (the 2029 reuse periods): their notice days depend on the
    length (states.expiry_notice_days), so they go one domain at a time."""
    horizon = now + timedelta(days=max(EXPIRY_NOTICE_DAYS))
    short = (Domain.objects.alias(validity=_validity())
             .filter(dcv_status=DcvStatus.VALIDATED, dcv_expires__gt=now, dcv_expires__lte=horizon,
                     dcv_validated_at__isnull=False, validity__lt=_FULL_NOTICES))
    return sum(_notice(domain, now) for domain in short.iterator())


def _revalidate(now: datetime) -> int:
    horizon = now + timedelta(days=REVALIDATION_WINDOW_DAYS)
    persistent = Domain.objects.filter(dcv_status=DcvStatus.VALIDATED, dcv_method=DcvMethod.TXT_PERSIST,
                                       dcv_expires__gt=now, dcv_expires__lte=horizon).select_related("customer")
    return sum(1 for domain in persistent.iterator() if _revalidate_persistent(domain, now))


def expire_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """The daily DCV sweep: VALIDATED → EXPIRED past expiry, the 30/15-day notices, persistent-TXT
    revalidation; returns {"expired", "notices", "revalidated"}."""
    now = now or timezone.now()
    expired = _expire(now)
    notices = _notices(now) + _short_validity_notices(now)
    return {"expired": expired, "notices": notices, "revalidated": _revalidate(now)}
