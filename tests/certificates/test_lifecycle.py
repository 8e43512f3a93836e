"""Life after issuance: revoke, renew, replace, expiry, expiry notices, auto-renewal, and what
the CRL and OCSP code reads; the audit chain stays whole."""
from datetime import timedelta

import pytest
from django.utils import timezone

from certdesk.certificates import queries, services, signals, sweeps, tasks
from certdesk.certificates.errors import (
    AlreadyRevoked,
    InvalidReason,
    NotRevocable,
    WeakKey,
    WrongState,
)
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
from certdesk.core import audit
from certdesk.core.errors import NotFound
from certdesk.domains.models import Domain

from ..conftest import actor_for


def _request(actor, org, profile, pem, **kwargs):
    kwargs.setdefault("term", 365)
    return services.request_ssl(actor, organization=org, profile=profile, csr_pem=pem, **kwargs)


@pytest.fixture
def issued(ssl, univ, rao, csr):
    return _request(rao, univ, ssl["profiles"]["OV Multi-Domain"], csr("a.example.org"),
                    subject_alt_names=["b.example.org"])


class Recorder:
    """Certificate signals received on commit: `with capture(): ...` then capture.received["revoked"]."""

    NAMES = ["awaiting_approval", "approved", "declined", "issued", "issuance_failed", "auto_renewal_failed",
             "revoked", "replaced", "expiring", "expired"]

    def __init__(self, on_commit):
        self.received: dict[str, list] = {}
        self._on_commit = on_commit

    def __call__(self):
        return self._on_commit(execute=True)

    def __getitem__(self, name):
        return self.received.get(name, [])


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    recorder = Recorder(django_capture_on_commit_callbacks)
    for name in Recorder.NAMES:
        getattr(signals, name).connect(
            lambda name=name, **kw: recorder.received.setdefault(name, []).append(kw), weak=False,
            dispatch_uid=f"cap-{name}")
    yield recorder
    for name in Recorder.NAMES:
        getattr(signals, name).disconnect(dispatch_uid=f"cap-{name}")


# ---------------------------------------------------------------------------
# Revocation


def test_revoke_with_an_rfc5280_reason(issued, rao, capture):
    with capture():
        revoked = services.revoke(rao, issued, 1, reason="key leaked on a laptop")
    assert revoked.status == Status.REVOKED and revoked.revocation_reason == 1 and revoked.revoked_at
    assert capture["revoked"][0]["serial_hex"] == issued.serial_hex
    assert capture["revoked"][0]["crl_shard"] == issued.crl_shard and capture["revoked"][0]["reason_code"] == 1


def test_revoking_twice_is_refused(issued, rao):
    services.revoke(rao, issued, 4)
    with pytest.raises(AlreadyRevoked) as info:
        services.revoke(rao, issued, 0)
    assert info.value.code == -159
    issued.refresh_from_db()
    assert issued.revocation_reason == 4


def test_only_issued_certificates_are_revocable(ssl, univ, rao2, csr):
    pending = _request(rao2, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    with pytest.raises(NotRevocable) as info:
        services.revoke(rao2, pending, 0)
    assert info.value.code == -102
    pending.refresh_from_db()
    assert pending.status == Status.REQUESTED


@pytest.mark.parametrize("code", [2, 6, 8, 9, 10, -1, "x", True])
def test_reason_codes_outside_the_allowed_set_are_refused(issued, rao, code):
    with pytest.raises(InvalidReason):
        services.revoke(rao, issued, code)
    issued.refresh_from_db()
    assert issued.status == Status.ISSUED


def test_revocation_needs_scope(issued, rao_other, drao):
    for outsider in (actor_for(rao_other), drao):
        with pytest.raises(NotFound):
            services.revoke(outsider, issued, 0)


def test_key_revoked_for_compromise_is_never_certified_again(issued, ssl, univ, rao, csr):
    services.revoke(rao, issued, 1)
    with pytest.raises(WeakKey) as info:
        _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    assert "key compromise" in info.value.message


def test_revocation_readers_for_crl_and_ocsp(ssl, univ, rao, csr, authorities):
    certs = [_request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org")) for _ in range(3)]
    services.revoke(rao, certs[0], 5)
    services.revoke(rao, certs[2], 3)
    ca = authorities["rsa-ssl-ov"]
    entries = queries.revoked_entries(ca)
    assert [e.serial_hex for e in entries] == sorted([certs[0].serial_hex, certs[2].serial_hex])
    assert {e.reason_code for e in entries} == {5, 3}
    assert queries.revoked_entries(ca, shard=certs[0].crl_shard)[0].serial_hex in {
        c.serial_hex for c in certs if c.crl_shard == certs[0].crl_shard}
    assert len(queries.revoked_entries(ca, limit=1)) == 1
    assert queries.revoked_entries(ca, after_serial=entries[0].serial_hex) == entries[1:]
    assert queries.revoked_entries(authorities["rsa-ssl-ev"]) == []
    assert queries.status_by_serial(ca, certs[0].serial_number).status == "revoked"
    assert queries.status_by_serial(ca, certs[1].serial_hex).status == "good"
    assert queries.status_by_serial(ca, 12345).status == "unknown"
    assert queries.status_by_serial(authorities["ecc-ssl-ov"], certs[1].serial_number).status == "unknown"


# ---------------------------------------------------------------------------
# Renew and replace


def test_renew_with_the_same_or_a_new_csr(issued, rao, csr, keys):
    same = services.renew(rao, issued)
    assert same.status == Status.ISSUED and same.renewal_of == issued and same.names == issued.names
    assert same.spki_sha256 == issued.spki_sha256 and same.serial_hex != issued.serial_hex
    new = services.renew(rao, issued, csr_pem=csr("a.example.org", key="p256"))
    assert new.key_algorithm == "EC" and new.names == issued.names
    issued.refresh_from_db()
    assert issued.status == Status.ISSUED  # the renewed one stays valid until it expires
    assert set(issued.renewals.all()) == {same, new}


def test_renew_keeps_the_automatic_name_out_of_the_san_count(ssl, univ, rao, csr):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    assert services.renew(rao, cert).names == ["example.org", "www.example.org"]


def test_renew_goes_through_the_checks_again(issued, rao):
    Domain.objects.filter(name="example.org").update(dcv_expires=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Exception) as info:
        services.renew(rao, issued)
    assert getattr(info.value, "code", None) == -737
    assert Certificate.objects.count() == 1


def test_renew_refused_for_pending_or_revoked(ssl, univ, rao2, rao, issued, csr):
    pending = _request(rao2, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    with pytest.raises(WrongState):
        services.renew(rao, pending)
    services.revoke(rao, issued, 0)
    with pytest.raises(WrongState):
        services.renew(rao, issued)


def test_replace_revokes_the_old_once_the_new_is_issued(issued, rao2, rao, csr, capture):
    successor = services.replace(rao2, issued, csr_pem=csr("a.example.org", key="p384"),
                                 subject_alt_names=["b.example.org", "c.example.org"], reason="new key")
    assert successor.status == Status.REQUESTED and successor.replaces == issued
    issued.refresh_from_db()
    assert issued.status == Status.ISSUED  # not before the new one is issued
    with capture():
        successor = services.approve(rao, successor)
    assert successor.status == Status.ISSUED and successor.names == ["a.example.org", "b.example.org",
                                                                      "c.example.org"]
    issued.refresh_from_db()
    assert issued.status == Status.REPLACED and issued.replaced_by == successor
    assert issued.revoked_at and issued.revocation_reason == 4
    assert capture["replaced"][0]["certificate_id"] == issued.pk
    assert [e.serial_hex for e in queries.revoked_entries(issued.ca)] == [issued.serial_hex]
    with pytest.raises(AlreadyRevoked):
        services.revoke(rao, issued, 0)
    with pytest.raises(WrongState):
        services.replace(rao, issued, csr_pem=csr("a.example.org"))


def test_declined_replacement_leaves_the_old_certificate(issued, rao2, rao, csr):
    successor = services.replace(rao2, issued, csr_pem=csr("a.example.org"))
    services.decline(rao, successor, "no")
    issued.refresh_from_db()
    assert issued.status == Status.ISSUED and issued.revoked_at is None


# ---------------------------------------------------------------------------
# Expiry, notices, auto-renewal


def test_expire_sweep(ssl, univ, rao, csr, capture):
    certs = [_request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org")) for _ in range(3)]
    later = max(c.not_after for c in certs[:2]) + timedelta(seconds=1)  # issuance takes time on a loaded machine
    Certificate.objects.filter(pk=certs[2].pk).update(not_after=later + timedelta(days=1))
    with capture():
        assert sweeps.expire_sweep(now=later, batch=1) == 2
    statuses = dict(Certificate.objects.values_list("pk", "status"))
    assert [statuses[c.pk] for c in certs] == [Status.EXPIRED, Status.EXPIRED, Status.ISSUED]
    assert len(capture["expired"]) == 2
    assert sweeps.expire_sweep(now=later) == 0
    with pytest.raises(NotRevocable):
        services.revoke(rao, Certificate.objects.get(pk=certs[0].pk), 0)
    assert services.renew(rao, Certificate.objects.get(pk=certs[0].pk)).status == Status.ISSUED


def test_expiring_notice_is_sent_once(issued, capture):
    at = issued.not_after - timedelta(days=29)
    with capture():
        assert sweeps.expiring_sweep(now=at) == 1
    assert sweeps.expiring_sweep(now=at + timedelta(days=1)) == 0
    assert capture["expiring"][0]["days"] == 30
    assert sweeps.expiring_sweep(now=issued.not_after - timedelta(days=40)) == 0


def test_auto_renewal_when_due(ssl, univ, rao, csr, capture):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"), auto_renew=True, days_before=20)
    assert cert.auto_renew_at == cert.not_after - timedelta(days=20)
    assert sweeps.auto_renew_due(now=cert.auto_renew_at - timedelta(seconds=1)) == {"renewed": 0, "failed": 0}
    assert sweeps.auto_renew_due(now=cert.auto_renew_at) == {"renewed": 1, "failed": 0}
    renewal = cert.renewals.get()
    assert renewal.status == Status.ISSUED and renewal.auto_renew and renewal.requested_via == cert.requested_via
    sweeps.auto_renew_due(now=cert.auto_renew_at + timedelta(seconds=1))
    assert cert.renewals.count() == 1  # tried once only (the renewal itself may come due in this frozen clock)


def test_auto_renewal_failure_emits_its_event(ssl, univ, rao, csr, capture):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"), auto_renew=True)
    Domain.objects.filter(name="example.org").update(dcv_expires=timezone.now() - timedelta(minutes=1))
    assert tasks.auto_renew_certificates() == {"renewed": 0, "failed": 0}  # not due yet
    with capture():
        assert sweeps.auto_renew_due(now=cert.not_after) == {"renewed": 0, "failed": 1}
    cert.refresh_from_db()
    assert "DCV" in cert.auto_renew_error and cert.auto_renewed_at
    assert capture["auto_renewal_failed"][0]["certificate_id"] == cert.pk
    assert cert.events.last().action == "auto-renewal failed"


def test_long_days_before_never_renews_in_the_first_half(ssl, univ, rao, csr):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"), term=47, auto_renew=True,
                    days_before=365)
    assert cert.auto_renew_at == cert.not_before + (cert.not_after - cert.not_before) / 2


# ---------------------------------------------------------------------------
# Audit


def test_every_change_is_audited_and_the_chain_verifies(issued, rao, rao2, csr):
    services.renew(rao, issued)
    services.revoke(rao, issued, 0)
    from certdesk.core.models import AuditEvent

    actions = set(AuditEvent.objects.filter(object_type="certificates.certificate").values_list("action", flat=True))
    assert {"certificate.requested", "certificate.issued", "certificate.renewal_requested",
            "certificate.revoked"} <= actions
    result = audit.verify()
    assert result.ok, result.problems


# ---------------------------------------------------------------------------
# A domain that live certificates use cannot be deleted (SCM -740)


def test_a_domain_with_live_certificates_cannot_be_deleted(issued, rao, mrao_actor, customer):
    from certdesk.domains.errors import CertificatesExist
    from certdesk.domains.services import delete_domain

    domain = Domain.objects.get(customer=customer, name="example.org")
    with pytest.raises(CertificatesExist) as refused:
        delete_domain(mrao_actor, domain)
    assert refused.value.code == -740 and "example.org" in str(refused.value)
    assert Domain.objects.filter(pk=domain.pk).exists()
    services.revoke(rao, issued, 4)
    delete_domain(mrao_actor, domain)  # nothing live any more
    assert not Domain.objects.filter(pk=domain.pk).exists()
