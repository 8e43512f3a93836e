"""`certdesk demo --large`: a network of institutions, domains and real signed certificates in every
status, idempotent; its certificates download, verify against the CA, and its revoked ones are on
the CRL and revoked for OCSP; the portal lists render for the MRAO, RAO and DRAO it made."""
from __future__ import annotations

from collections import Counter

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as pyocsp
from django.core.management import call_command
from django.utils import timezone

from certdesk.accounts import services as accounts
from certdesk.accounts.models import Admin
from certdesk.ca import ocsp
from certdesk.certificates import profiles as profile_data
from certdesk.certificates import queries
from certdesk.certificates.models import Certificate, CertificateEvent, Profile
from certdesk.certificates.states import REVOKED_STATUSES, SIGNED_STATUSES
from certdesk.core import audit
from certdesk.core.actor import Interface
from certdesk.domains.models import DcvOrder, Delegation, Domain
from certdesk.tenancy.models import Organization

from ..conftest import actor_for

PASSWORD = "Demo-Password-For-All-1"
BACKEND = "certdesk.accounts.backends.AdminBackend"
SMALL = ["--large", "--organizations", "3", "--certificates", "60"]


@pytest.fixture
def demo(customer, authorities, monkeypatch, capsys, settings):
    """The small large demo in the `renater` customer, with the CAs of `certdesk init`."""
    settings.CRL_SHARDS = 16
    for position, spec in enumerate(profile_data.SEEDED_PROFILES, start=1):
        values = profile_data.profile_defaults(spec)
        name = values.pop("name")
        Profile.objects.get_or_create(customer=None, kind=values["kind"], name=name,
                                      defaults={**values, "position": position})
    monkeypatch.setenv("CERTDESK_BOOTSTRAP_CUSTOMER", "renater")
    monkeypatch.setenv("CERTDESK_DEMO_PASSWORD", PASSWORD)
    call_command("demo", *SMALL)
    out = capsys.readouterr().out
    return {"customer": customer, "authorities": authorities, "out": out}


def counts(customer) -> dict:
    return {
        "organizations": Organization.objects.filter(customer=customer).count(),
        "admins": Admin.objects.filter(customer=customer).count(),
        "domains": Domain.objects.filter(customer=customer).count(),
        "delegations": Delegation.objects.filter(domain__customer=customer).count(),
        "orders": DcvOrder.objects.filter(domain__customer=customer).count(),
        "certificates": Certificate.objects.filter(customer=customer).count(),
        "events": CertificateEvent.objects.filter(certificate__customer=customer).count(),
    }


def test_a_small_large_demo_creates_what_it_says_and_a_second_run_adds_nothing(demo, capsys):
    customer = demo["customer"]
    assert "3 organizations" in demo["out"] and "60 certificates added" in demo["out"]
    assert f"password: {PASSWORD}" in demo["out"]
    orgs = Organization.objects.filter(customer=customer, parent=None)
    assert orgs.count() == 3
    for org in orgs:
        assert org.is_validated() and org.country in ("FR", "GB") and org.city and org.address1
        assert 2 <= org.departments.count() <= 4
    # Admins made through the accounts services: their logins work with the demo password.
    logins = set(Admin.objects.filter(customer=customer).values_list("login", flat=True))
    assert {"mrao", "mrao-demo", "rao-univ-rennes", "drao-univ-rennes-dnum"} <= logins
    for login, level in (("mrao-demo", "MRAO"), ("rao-univ-rennes", "RAO"), ("drao-univ-rennes-dnum", "DRAO")):
        admin = accounts.authenticate("renater", login, PASSWORD)
        assert admin.level_label == level and not admin.must_change_password
    # 75 domains per organization, delegated, with every DCV state (pending = an open order).
    domains = Domain.objects.filter(customer=customer)
    assert domains.count() == 225
    assert set(domains.values_list("dcv_status", flat=True)) == {"VALIDATED", "EXPIRED", "NOT_VALIDATED"}
    assert DcvOrder.objects.filter(domain__customer=customer, status="AWAITING_SUBMISSION").exists()
    assert not domains.filter(delegations__isnull=True).exists()
    assert all(d.name_unicode == d.name for d in domains)
    # 60 certificates in every status, by every channel, with their history.
    certs = Certificate.objects.filter(customer=customer)
    assert certs.count() == 60
    statuses = Counter(certs.values_list("status", flat=True))
    assert {"ISSUED", "EXPIRED", "REVOKED", "REPLACED", "REQUESTED", "DECLINED", "INVALID"} <= set(statuses)
    assert {"Client Admin", "ACME", "Web API", "Enrollment Form"} == set(certs.values_list("requested_via",
                                                                                       flat=True))
    assert len(set(certs.values_list("profile__name", flat=True))) >= 4
    now = timezone.now()
    for cert in certs.select_related("ca"):
        assert cert.names_index == "," + ",".join(cert.names) + "," and cert.common_name == cert.names[0]
        assert cert.events.exists() and cert.events.first().action.endswith("requested")
        assert cert.events.order_by("at", "id").last().status_to == cert.status or cert.status == "REQUESTED"
        if cert.status in SIGNED_STATUSES:
            parsed = cert.certificate()
            assert parsed.serial_number == cert.serial_number and cert.crl_shard == cert.serial_number % 16
            assert parsed.not_valid_after_utc == cert.not_after
            parsed.verify_directly_issued_by(cert.ca.certificate())
            dns = parsed.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            assert dns.get_values_for_type(x509.DNSName) == cert.names
        else:
            assert cert.der is None and not cert.serial_hex
        if cert.status == "ISSUED":
            assert cert.not_after > now
        if cert.status == "EXPIRED":
            assert cert.not_after <= now
        if cert.status in REVOKED_STATUSES:
            assert cert.revoked_at and cert.revocation_reason is not None
    replaced = certs.filter(status="REPLACED", replaced_by__isnull=False).first()
    if replaced is not None:
        assert replaced.replaced_by.replaces_id == replaced.pk
    assert audit.verify().ok

    before = counts(customer)
    call_command("demo", *SMALL)
    assert "nothing changed" in capsys.readouterr().out
    assert counts(customer) == before


def test_sizes_out_of_range_are_refused_without_writing(demo):
    from django.core.management.base import CommandError

    before = counts(demo["customer"])
    with pytest.raises(CommandError, match="--certificates must be between"):
        call_command("demo", "--large", "--certificates", "-1")
    with pytest.raises(CommandError, match="--organizations must be between"):
        call_command("demo", "--large", "--organizations", "0")
    assert counts(demo["customer"]) == before


def test_an_issued_demo_certificate_downloads_as_pem_and_verifies_against_the_ca(demo, client):
    mrao = Admin.objects.get(customer=demo["customer"], login="mrao")
    client.force_login(mrao, backend=BACKEND)
    cert = Certificate.objects.filter(customer=demo["customer"], status="ISSUED").select_related("ca").first()
    response = client.get(f"/certificates/{cert.pk}/download/x509CO/")
    assert response.status_code == 200
    leaf = x509.load_pem_x509_certificate(response.content)
    assert leaf.public_bytes(serialization.Encoding.DER) == bytes(cert.der)
    leaf.verify_directly_issued_by(cert.ca.certificate())
    # The full chain too: leaf, issuing CA, root.
    chain = x509.load_pem_x509_certificates(client.get(f"/certificates/{cert.pk}/download/pem/").content)
    assert chain[0] == leaf and chain[1] == cert.ca.certificate()
    chain[1].verify_directly_issued_by(chain[2])


def test_a_revoked_demo_certificate_is_on_the_crl_and_revoked_for_ocsp(demo, client):
    now = timezone.now()
    cert = (Certificate.objects.filter(customer=demo["customer"], status__in=REVOKED_STATUSES, not_after__gt=now)
            .select_related("ca").first())
    assert cert is not None
    ca = cert.ca
    for url in (f"/ca/{ca.slug}/{cert.crl_shard}.crl", f"/ca/{ca.slug}.crl"):
        response = client.get(url)
        assert response.status_code == 200
        crl = x509.load_der_x509_crl(response.content)
        assert crl.is_signature_valid(ca.certificate().public_key())
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        assert entry is not None
        assert entry.revocation_date_utc == cert.revoked_at.replace(microsecond=0)
    good = Certificate.objects.filter(customer=demo["customer"], status="ISSUED", ca=ca).first()
    assert client.get(f"/ca/{ca.slug}.crl").status_code == 200
    ocsp.clear_caches()
    for subject, expected in ((cert, pyocsp.OCSPCertStatus.REVOKED), (good, pyocsp.OCSPCertStatus.GOOD)):
        request = (pyocsp.OCSPRequestBuilder().add_certificate(subject.certificate(), ca.certificate(), hashes.SHA1())
                   .build().public_bytes(serialization.Encoding.DER))
        response = client.post("/ocsp", data=request, content_type="application/ocsp-request")
        assert response.status_code == 200
        answer = pyocsp.load_der_ocsp_response(response.content)
        assert answer.response_status == pyocsp.OCSPResponseStatus.SUCCESSFUL
        assert answer.certificate_status == expected
    ocsp.clear_caches()


@pytest.mark.parametrize("login", ["mrao", "mrao-demo", "rao-univ-rennes", "drao-univ-rennes-dnum"])
def test_the_portal_pages_render_for_the_admins_it_made(demo, client, login):
    admin = Admin.objects.get(customer=demo["customer"], login=login)
    client.force_login(admin, backend=BACKEND)
    visible = queries.visible_certificates(actor_for(admin, Interface.PORTAL))
    assert visible.exists()
    if login.startswith("drao"):
        assert set(visible.values_list("organization_id", flat=True)) == {admin.credentials.get().organization_id}
    newest = visible.order_by("-id").first()
    for url in ("/dashboard/", "/certificates/", "/certificates/?status=REVOKED", "/domains/", "/organizations/",
                f"/certificates/{newest.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
    html = client.get("/certificates/").content.decode()
    assert newest.common_name in html
    if admin.language == "fr":
        assert 'lang="fr"' in html


def test_without_the_cas_of_certdesk_init_nothing_is_written(customer, monkeypatch):
    from django.core.management.base import CommandError

    from certdesk.ca.models import CertificateAuthority

    assert not CertificateAuthority.objects.exists()
    monkeypatch.setenv("CERTDESK_BOOTSTRAP_CUSTOMER", "renater")
    with pytest.raises(CommandError, match="certdesk init"):
        call_command("demo", "--large", "--organizations", "1", "--certificates", "5")
    assert not Organization.objects.filter(customer=customer).exists()
    with pytest.raises(CommandError, match="only go with --large"):
        call_command("demo", "--certificates", "5")
