"""Certificate events → notifications (certdesk.notifications.certificate_receivers): each event
writes the right type, context and recipients, once; and the certificate periodic jobs exist."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from certdesk.certificates import services, sweeps
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
from certdesk.core import queue
from certdesk.domains.models import Domain
from certdesk.notifications.models import NotificationEvent, OutboxMessage
from tests.certificates.conftest import (  # noqa: F401 - fixtures: CAs, profiles, DCV-validated domains, CSRs
    _certificate_settings,
    _dns_server,
    _domain_settings,
    csr,
    dns,
    domains,
    drao,
    ev_univ,
    keys,
    make_domain,
    profiles,
    rao,
    rao2,
    ssl,
    validate,
)


def events(type_: str) -> list[NotificationEvent]:
    return list(NotificationEvent.objects.filter(type=type_).order_by("id"))


def one(type_: str) -> NotificationEvent:
    found = events(type_)
    assert len(found) == 1, [e.key for e in found]
    return found[0]


def emails(event) -> dict[str, OutboxMessage]:
    return {m.recipient: m for m in OutboxMessage.objects.filter(event=event, channel="EMAIL")}


def _request(actor, org, profile, pem, **kwargs):
    kwargs.setdefault("term", 365)
    return services.request_ssl(actor, organization=org, profile=profile, csr_pem=pem, **kwargs)


@pytest.fixture
def admins(mrao, mrao2, rao_univ, drao_physics, drao_chemistry):
    return {"mrao": mrao.email, "mrao2": mrao2.email, "rao": rao_univ.email, "drao": drao_physics.email,
            "drao_chem": drao_chemistry.email}


def test_awaiting_approval_goes_to_the_admins_of_the_department(ssl, physics, drao, admins, csr):
    cert = _request(drao, physics, ssl["profiles"]["OV SSL"], csr("www.physics.example.org"))
    assert cert.status == Status.REQUESTED
    event = one("SSLAwaitingApproval")
    assert event.organization_id == physics.pk and event.key == f"SSL:{cert.pk}:awaiting_approval"
    assert event.context["common_name"] == "www.physics.example.org"
    assert event.context["certificate_id"] == str(cert.pk)
    sent = emails(event)
    assert {admins["drao"], admins["rao"], admins["mrao2"]} <= set(sent)
    assert admins["drao_chem"] not in sent
    assert "www.physics.example.org" in sent[admins["rao"]].body
    assert not events("EVAnchorAwaitingApproval")


def test_ev_anchor_awaiting_approval_has_its_own_type(ssl, ev_univ, rao, admins, csr):
    cert = _request(rao, ev_univ, ssl["profiles"]["EV Anchor"], csr("example.org"))
    assert cert.status == Status.REQUESTED
    event = one("EVAnchorAwaitingApproval")
    assert event.context["requested_by"].endswith("(rao_univ)")
    assert admins["rao"] in emails(event)
    assert not events("SSLAwaitingApproval")


def test_approved_then_issued_with_download_links_to_the_requester(ssl, physics, drao, rao, admins, csr, settings):
    cert = _request(drao, physics, ssl["profiles"]["OV SSL"], csr("www.physics.example.org"))
    services.approve(rao, cert, message="fine")
    approved = one("SSLApproved")
    assert approved.context["approver"] == "Rachel Orga (rao_univ)"
    assert {admins["drao"], admins["rao"]} <= set(emails(approved))
    issued = one("SSLIssued")
    cert.refresh_from_db()
    links = issued.context["download_links"]
    assert f"{settings.BASE_URL}/api/ssl/v1/collect/{cert.pk}/x509CO" in links
    assert f"{settings.BASE_URL}/api/ssl/v1/collect/{cert.pk}/base64" in links
    assert issued.context["serial_number"].replace(":", "").lower() == cert.serial_hex.lstrip("0")
    assert list(emails(issued)) == [admins["drao"]]  # the requester only
    assert f"/api/ssl/v1/collect/{cert.pk}/x509CO" in emails(issued)[admins["drao"]].body


def test_auto_approved_request_sends_approved_and_issued_not_awaiting(ssl, univ, rao, admins, csr):
    _request(rao, univ, ssl["profiles"]["OV SSL"], csr("www.example.org"), external_requester="ops@example.org")
    assert not events("SSLAwaitingApproval")
    assert len(events("SSLApproved")) == 1
    assert list(emails(one("SSLIssued"))) == [admins["rao"]]


def test_issued_without_admin_requester_goes_to_the_external_requester(ssl, univ, customer, csr):
    actor = services.system_actor(customer, "self-enrollment")
    _request(actor, univ, ssl["profiles"]["OV SSL"], csr("www.example.org"), external_requester="ops@example.org",
             auto_approve=True)
    assert list(emails(one("SSLIssued"))) == ["ops@example.org"]


def test_declined_tells_the_admins_with_the_reason(ssl, physics, drao, rao, admins, csr):
    cert = _request(drao, physics, ssl["profiles"]["OV SSL"], csr("www.physics.example.org"))
    services.decline(rao, cert, "host retired")
    event = one("SSLDeclined")
    assert event.context["reason"] == "host retired" and event.context["approver"] == "Rachel Orga (rao_univ)"
    assert "host retired" in emails(event)[admins["drao"]].body


def test_issuance_failure_goes_to_everyone(ssl, physics, mrao_actor, admins, csr, drao_physics):
    profile = ssl["profiles"]["OV Multi-Domain"]
    profile.ou_allowed = True  # lint-before-signing refuses the OU
    profile.save()
    cert = _request(mrao_actor, physics, profile, csr("lab.physics.example.org"),
                    external_requester="lab@example.org")
    assert cert.status == Status.INVALID
    event = one("SSLIssuanceFailed")
    assert "pkilint" in event.context["error"]
    sent = emails(event)
    assert {admins["drao"], admins["rao"], admins["mrao2"]} <= set(sent)
    assert admins["mrao"] in sent  # mrao requested it (the requester recipient)
    assert not events("SSLIssued")


def test_auto_renewal_failure(ssl, univ, rao, admins, csr):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("www.example.org"), auto_renew=True)
    Domain.objects.filter(name="example.org").update(dcv_expires=timezone.now() - timedelta(minutes=1))
    assert sweeps.auto_renew_due(now=cert.not_after) == {"renewed": 0, "failed": 1}
    event = one("SSLAutoRenewalFailed")
    assert "DCV" in event.context["error"] and event.context["certificate_id"] == str(cert.pk)
    assert {admins["rao"], admins["mrao2"]} <= set(emails(event))


def test_revoked_names_the_reason(ssl, univ, rao, admins, csr):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("www.example.org"))
    services.revoke(rao, cert, 1, reason="laptop stolen")
    event = one("SSLRevoked")
    assert event.context["reason"] == "keyCompromise: laptop stolen"
    assert event.context["serial_number"]
    assert admins["rao"] in emails(event) and admins["drao"] not in emails(event)


def test_expiring_notice_once_with_days(ssl, physics, mrao_actor, admins, csr):
    cert = _request(mrao_actor, physics, ssl["profiles"]["OV SSL"], csr("www.physics.example.org"))
    at = cert.not_after - timedelta(days=20)
    assert sweeps.expiring_sweep(now=at) == 1
    assert sweeps.expiring_sweep(now=at + timedelta(hours=1)) == 0
    event = one("SSLExpiration")
    assert event.context["days"] == 30
    assert {admins["drao"], admins["rao"]} <= set(emails(event))


def test_expiry_sweep_sends_no_certificate_notification(ssl, univ, rao, csr):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("www.example.org"))
    before = NotificationEvent.objects.count()
    assert sweeps.expire_sweep(now=cert.not_after + timedelta(seconds=1)) == 1
    assert Certificate.objects.get(pk=cert.pk).status == Status.EXPIRED
    assert NotificationEvent.objects.count() == before


def test_certificate_periodic_jobs_are_declared():
    from certdesk.certificates import tasks

    assert queue.PERIODIC["certificates.expiry"].every == timedelta(days=1)
    assert queue.PERIODIC["certificates.auto_renew"].every == timedelta(hours=1)
    assert tasks.daily_expiry is queue.PERIODIC["certificates.expiry"].func


def test_daily_job_expires_and_sends_notices(ssl, univ, rao, csr):
    from certdesk.certificates import tasks

    _request(rao, univ, ssl["profiles"]["OV SSL"], csr("www.example.org"))
    assert tasks.daily_expiry() == {"expired": 0, "expiring_notices": 0}
    assert tasks.hourly_auto_renew() == {"renewed": 0, "failed": 0}
