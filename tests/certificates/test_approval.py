"""Approval and decline: second-admin rule, duplicates, scope, and two admins at the same moment."""
import threading
import time

import pytest
from django.db import OperationalError, connection

from certdesk.certificates import queries, services, signals
from certdesk.certificates.errors import (
    CertificateNotFound,
    SecondApprovalRequired,
    WrongState,
)
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
from certdesk.core.errors import DomainError, NotFound, PermissionDenied

from ..conftest import actor_for


def _request(actor, org, profile, pem, **kwargs):
    kwargs.setdefault("term", 365)
    return services.request_ssl(actor, organization=org, profile=profile, csr_pem=pem, **kwargs)


def test_approve_issues_and_records_who(ssl, univ, rao2, rao, csr, django_capture_on_commit_callbacks):
    cert = _request(rao2, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    seen = []
    for name in ("approved", "issued"):
        getattr(signals, name).connect(lambda name=name, **kw: seen.append((name, kw["certificate_id"])),
                                       weak=False, dispatch_uid=f"t-{name}")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            done = services.approve(rao, cert, message="ok for the lab")
    finally:
        for name in ("approved", "issued"):
            getattr(signals, name).disconnect(dispatch_uid=f"t-{name}")
    assert done.status == Status.ISSUED and done.approver.login == "rao_univ" and done.approved_at
    assert seen == [("approved", cert.pk), ("issued", cert.pk)]
    assert [(e.action, e.status_from, e.status_to) for e in done.events.all()] == [
        ("requested", "", "REQUESTED"), ("approved", "REQUESTED", "APPLIED"), ("issued", "APPLIED", "ISSUED")]


def test_duplicate_approval_is_refused(ssl, univ, rao2, rao, csr):
    cert = _request(rao2, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    services.approve(rao, cert)
    with pytest.raises(WrongState) as info:
        services.approve(rao, cert)
    assert info.value.code == -1113 and "already been approved" in info.value.message
    cert.refresh_from_db()
    assert cert.status == Status.ISSUED and Certificate.objects.count() == 1


def test_decline_with_reason(ssl, univ, rao2, rao, csr):
    cert = _request(rao2, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    with pytest.raises(DomainError):
        services.decline(rao, cert, "")
    declined = services.decline(rao, cert, "Not our server")
    assert declined.status == Status.DECLINED and declined.reason == "Not our server" and declined.declined_at
    with pytest.raises(WrongState):
        services.decline(rao, cert, "again")
    with pytest.raises(WrongState):
        services.approve(rao, cert)
    cert.refresh_from_db()
    assert cert.status == Status.DECLINED and cert.der is None


def test_requester_cannot_approve_own_ev(ssl, ev_univ, rao, rao2, csr):
    anchor = _request(rao, ev_univ, ssl["profiles"]["EV Anchor"], csr("example.org"))
    with pytest.raises(SecondApprovalRequired) as info:
        services.approve(rao, anchor)
    assert info.value.status == 403 and "second admin" in info.value.message
    anchor.refresh_from_db()
    assert anchor.status == Status.REQUESTED
    assert services.approve(rao2, anchor).status == Status.ISSUED
    ev = _request(rao2, ev_univ, ssl["profiles"]["EV SSL"], csr("example.org"))
    with pytest.raises(SecondApprovalRequired):
        services.approve(rao2, ev)
    assert services.approve(rao, ev).status == Status.ISSUED


def test_system_actor_cannot_approve_ev(ssl, ev_univ, rao, csr, customer):
    anchor = _request(rao, ev_univ, ssl["profiles"]["EV Anchor"], csr("example.org"))
    with pytest.raises(SecondApprovalRequired):
        services.approve(services.system_actor(customer), anchor)


def test_scope_of_approval(ssl, univ, physics, drao, drao_chemistry, rao, rao_other, csr):
    cert = _request(drao, physics, ssl["profiles"]["OV SSL"], csr("lab.physics.example.org"))
    for outsider in (actor_for(drao_chemistry), actor_for(rao_other)):
        with pytest.raises(NotFound) as info:
            services.approve(outsider, cert)
        assert info.value.code == -124 and info.value.status == 404
        with pytest.raises(CertificateNotFound):
            queries.get_certificate(outsider, cert.pk)
    assert queries.get_certificate(drao, cert.pk) == cert
    assert list(queries.visible_certificates(rao)) == [cert]  # the RAO sees its departments' certificates
    assert not queries.visible_certificates(actor_for(drao_chemistry)).exists()
    assert services.approve(rao, cert).status == Status.ISSUED


def test_edit_details_needs_ssl_manage(ssl, univ, rao2, rao, mrao_actor, csr):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    with pytest.raises(PermissionDenied):
        services.update_certificate(rao2, cert, comments="x")
    updated = services.update_certificate(mrao_actor, cert, comments="web farm", auto_renew=True, days_before=20)
    assert updated.comments == "web farm" and updated.auto_renew and updated.auto_renew_at is not None
    assert updated.events.last().action == "edited"


@pytest.mark.django_db(transaction=True)
def test_two_admins_approving_at_once_make_one_certificate(ssl, univ, rao2, rao, mrao_actor, csr):
    cert = _request(rao2, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    barrier = threading.Barrier(2)
    outcomes: list = []

    def run(actor):
        current = Certificate.objects.get(pk=cert.pk)
        if current.status == Status.APPLIED and current.approver_id == actor.admin.pk:
            return services.issue(cert.pk).status  # our approval committed; its issuance met the lock below
        return services.approve(actor, current).status

    def approve(actor):
        barrier.wait(timeout=60)
        try:
            deadline = time.monotonic() + 60  # retries bounded by time, not by a count a busy machine exhausts
            while time.monotonic() < deadline:
                try:
                    outcomes.append(("ok", run(actor)))
                except DomainError as exc:
                    outcomes.append(("refused", exc.code))
                except OperationalError as exc:
                    # The SQLite test database is in memory with a shared cache, where a writer that
                    # meets another gets "table is locked" at once instead of waiting the busy timeout
                    # a database file honours: wait and try again, as the file would. PostgreSQL (CI)
                    # blocks on the row lock itself and never gets here.
                    if connection.vendor != "sqlite" or "locked" not in str(exc):
                        raise
                    connection.close()
                    time.sleep(0.01)
                    continue
                return
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a,)) for a in (rao, mrao_actor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=150)
    assert sorted(outcomes) == [("ok", Status.ISSUED), ("refused", -1113)], outcomes
    cert.refresh_from_db()
    assert cert.status == Status.ISSUED and cert.der
    assert Certificate.objects.exclude(serial_hex="").count() == 1
    assert cert.events.filter(action="issued").count() == 1 and cert.events.filter(action="approved").count() == 1


# ---------------------------------------------------------------------------
# The approval privilege (sslApprove, issue 6): MRAO and RAO SSL carry it with their role, a DRAO
# SSL needs it granted; "SSL auto approve" alone approves nothing but the admin's own new requests.


def _drao(mrao_actor, physics, login, privileges):
    from certdesk.accounts import services as accounts

    from ..conftest import PASSWORD

    return actor_for(accounts.create_admin(
        mrao_actor, login=login, email=f"{login}@physics.univ-lyon.example", forename="D", surname="Rao",
        password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}], privileges=privileges,
        must_change_password=False))


def test_drao_without_ssl_approve_cannot_approve_nor_decline(ssl, physics, drao, mrao_actor, csr):
    robot = _drao(mrao_actor, physics, "robot_auto", ["autoApproveCertificates"])
    cert = _request(drao, physics, ssl["profiles"]["OV SSL"], csr("lab.physics.example.org"))
    for who in (drao, robot):  # the requester itself, and a robot with SSL auto approve
        with pytest.raises(PermissionDenied) as info:
            services.approve(who, cert)
        assert info.value.status == 403 and "sslApprove" in info.value.message
        with pytest.raises(PermissionDenied):
            services.decline(who, cert, "no")
    cert.refresh_from_db()
    assert cert.status == Status.REQUESTED and cert.approver is None
    # Its own requests are still auto-approved (autoApproveCertificates), EV never.
    own = _request(robot, physics, ssl["profiles"]["OV SSL"], csr("www.physics.example.org"))
    assert own.status == Status.ISSUED


def test_drao_granted_ssl_approve_approves_in_its_department(ssl, physics, chemistry, drao, mrao_actor, csr):
    approver = _drao(mrao_actor, physics, "drao_approver", ["sslApprove"])
    cert = _request(drao, physics, ssl["profiles"]["OV SSL"], csr("lab.physics.example.org"))
    assert services.approve(approver, cert).status == Status.ISSUED
    other = _request(mrao_actor, chemistry, ssl["profiles"]["OV SSL"], csr("lab.chemistry.example.org"),
                     auto_approve=False)
    with pytest.raises(NotFound):  # out of its department: like missing
        services.approve(approver, other)


def test_rao_ssl_and_mrao_approve_by_role(ssl, univ, physics, drao, rao2, mrao_actor, csr):
    from certdesk.accounts import policy
    from certdesk.accounts.models import Admin

    assert "sslApprove" not in Admin.objects.get(pk=rao2.admin.pk).privileges
    first = _request(drao, physics, ssl["profiles"]["OV SSL"], csr("a.physics.example.org"))
    second = _request(drao, physics, ssl["profiles"]["OV SSL"], csr("b.physics.example.org"))
    assert policy.can(rao2, policy.Perm.APPROVE_SSL, first)
    assert services.approve(rao2, first).status == Status.ISSUED
    assert services.decline(mrao_actor, second, "duplicate").status == Status.DECLINED


def test_rao_grants_ssl_approve_to_a_drao(univ, physics, rao):
    from certdesk.accounts import services as accounts
    from certdesk.accounts.errors import PrivilegeRefused
    from certdesk.accounts.roles import PRIVILEGES_BY_ROLE, Privilege, Role

    from ..conftest import PASSWORD

    assert Privilege.SSL_APPROVE in PRIVILEGES_BY_ROLE[Role.DRAO_SSL]
    assert Privilege.SSL_APPROVE not in PRIVILEGES_BY_ROLE[Role.DRAO_SMIME]
    granted = accounts.create_admin(
        rao, login="drao_granted", email="granted@physics.univ-lyon.example", forename="G", surname="Ranted",
        password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}], privileges=["sslApprove"])
    assert granted.privileges == ["sslApprove"]
    # ... but not a privilege its role does not carry and it does not hold.
    with pytest.raises(PrivilegeRefused):
        accounts.create_admin(
            rao, login="drao_auto", email="auto@physics.univ-lyon.example", forename="A", surname="Uto",
            password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}],
            privileges=["sslManage"])
