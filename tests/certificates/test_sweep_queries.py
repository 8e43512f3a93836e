"""The daily sweeps issue the same number of queries whatever the number of certificates and
domains (issue 7), and still do everything the one-at-a-time sweeps did: history event, audit
row and status per certificate, one notice per certificate and threshold, grouped per organization."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certdesk.certificates import sweeps
from certdesk.certificates.models import Certificate, CertificateEvent
from certdesk.certificates.states import Status
from certdesk.core import audit
from certdesk.core.models import AuditEvent
from certdesk.domains import services as domain_services
from certdesk.domains.models import Delegation, Domain
from certdesk.notifications.dispatch import ensure_builtin_rules
from certdesk.notifications.models import NotificationEvent, OutboxMessage

_serials = iter(range(1, 10**6))


def _certificates(orgs, profile, now, count: int, *, days_left: float) -> list[Certificate]:
    """`count` ISSUED certificates spread over `orgs`, expiring `days_left` days from `now` (bulk
    rows: the sweeps read no DER)."""
    rows = []
    for i in range(count):
        serial = next(_serials)
        name = f"host{serial}.example.org"
        not_after = now + timedelta(days=days_left, minutes=i)
        rows.append(Certificate(
            kind="SSL", customer=orgs[0].customer, organization=orgs[i % len(orgs)], profile=profile,
            status=Status.ISSUED, common_name=name, subject_alt_names=[name], names_index=f",{name},", term=365,
            serial_hex=f"{serial:040x}", not_before=not_after - timedelta(days=365), not_after=not_after))
    return Certificate.objects.bulk_create(rows)


def _domains(orgs, now, count: int, *, days_left: float, prefix: str) -> list[Domain]:
    rows = []
    for i in range(count):
        name = f"{prefix}{i}.example.net"
        expires = now + timedelta(days=days_left, minutes=i)
        rows.append(Domain(customer=orgs[0].customer, name=name, name_unicode=name, dcv_status="VALIDATED",
                           dcv_method="CNAME", dcv_validated_at=expires - timedelta(days=398), dcv_expires=expires))
    created = Domain.objects.bulk_create(rows)
    Delegation.objects.bulk_create([Delegation(domain=d, organization=orgs[i % len(orgs)], cert_types=["SSL"],
                                               status="ACTIVE") for i, d in enumerate(created)])
    return created


def _count(fn) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return len(captured.captured_queries), result


@pytest.fixture
def tenant(profiles, univ, physics, chemistry, rao_univ, drao_physics, customer):
    ensure_builtin_rules(customer)  # created on first use: not part of what is counted
    return {"orgs": [univ, physics, chemistry], "profile": profiles["OV SSL"]}


def test_certificate_expiry_sweep_queries_do_not_grow(tenant):
    orgs, profile, now = tenant["orgs"], tenant["profile"], timezone.now()
    counts = []
    for size in (20, 200):
        _certificates(orgs, profile, now, size, days_left=-1)
        queries, expired = _count(lambda: sweeps.expire_sweep(now=now))
        assert expired == size
        counts.append(queries)
    assert counts[0] == counts[1], counts
    assert Certificate.objects.filter(status=Status.EXPIRED).count() == 220
    assert CertificateEvent.objects.filter(action="expired", status_to=Status.EXPIRED).count() == 220
    assert AuditEvent.objects.filter(action="certificate.expired").count() == 220
    assert audit.verify().ok
    assert sweeps.expire_sweep(now=now) == 0


def test_certificate_expiring_sweep_queries_do_not_grow(tenant):
    orgs, profile, now = tenant["orgs"], tenant["profile"], timezone.now()
    counts = []
    for round_, size in enumerate((20, 200)):
        at = now
        _certificates(orgs, profile, at, size, days_left=20)
        queries, noticed = _count(lambda: sweeps.expiring_sweep(now=at))
        assert noticed == size
        counts.append(queries)
    assert counts[0] == counts[1], counts
    assert not Certificate.objects.filter(status=Status.ISSUED, expiry_notice_days__isnull=True).exists()
    # one message per organization and round, naming every certificate
    events = list(NotificationEvent.objects.filter(type="SSLExpiration").order_by("id"))
    assert len(events) == 6
    assert sum(int(e.context["certificate_count"]) for e in events) == 220
    last = events[-1]
    assert last.context["certificates"].count("\n") + 1 == int(last.context["certificate_count"])
    assert "expires_in=30" in last.context["certificate_url"]
    assert OutboxMessage.objects.filter(event__type="SSLExpiration").exists()


def test_domain_sweep_queries_do_not_grow(tenant):
    orgs, now = tenant["orgs"], timezone.now()
    counts = []
    for round_, size in enumerate((20, 200)):
        at = now
        _domains(orgs, at, size, days_left=-1, prefix=f"gone{round_}-")
        _domains(orgs, at, size, days_left=25, prefix=f"soon{round_}-")
        _domains(orgs, at, size, days_left=10, prefix=f"sooner{round_}-")
        queries, result = _count(lambda: domain_services.expire_sweep(now=at))
        assert result == {"expired": size, "notices": 2 * size, "revalidated": 0}
        counts.append(queries)
    assert counts[0] == counts[1], counts
    assert AuditEvent.objects.filter(action="dcv.expired").count() == 220
    assert audit.verify().ok
    events = NotificationEvent.objects.filter(type="DCVExpiration")
    assert sorted({e.context["days"] for e in events}) == [15, 30]
    assert domain_services.expire_sweep(now=now) == {"expired": 0, "notices": 0, "revalidated": 0}


def test_domain_sweep_notices_once_then_expires_like_the_service(make_domain, univ, validate,
                                                                   django_capture_on_commit_callbacks):
    from certdesk.domains import signals

    domain = make_domain("univ-lyon.test", univ)
    validate(domain)
    expires = Domain.objects.get(pk=domain.pk).dcv_expires
    seen = []

    def on_expiring(sender, **kwargs):
        seen.append(("expiring", kwargs["days"], kwargs["domain_ids"]))

    def on_expired(sender, **kwargs):
        seen.append(("expired", kwargs["domain_id"]))

    signals.dcv_expiring.connect(on_expiring)
    signals.dcv_expired.connect(on_expired)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert domain_services.expire_sweep(now=expires - timedelta(days=40))["notices"] == 0
            assert domain_services.expire_sweep(now=expires - timedelta(days=29))["notices"] == 1
            assert domain_services.expire_sweep(now=expires - timedelta(days=28))["notices"] == 0  # once
            assert domain_services.expire_sweep(now=expires - timedelta(days=14))["notices"] == 1
            counts = domain_services.expire_sweep(now=expires + timedelta(minutes=1))
    finally:
        signals.dcv_expiring.disconnect(on_expiring)
        signals.dcv_expired.disconnect(on_expired)
    assert counts["expired"] == 1
    assert seen == [("expiring", 30, [domain.pk]), ("expiring", 15, [domain.pk]), ("expired", domain.pk)]
    assert Domain.objects.get(pk=domain.pk).dcv_status == "EXPIRED"
    assert AuditEvent.objects.filter(action="dcv.expired", object_id=str(domain.pk)).count() == 1
    assert NotificationEvent.objects.filter(type="DCVExpiration").count() == 2
    assert audit.verify().ok
