"""Client-certificate services: request with a CSR or a server-generated key, the checks, escrow,
PKCS #12, renew/replace/revoke, and the persons deletion guard."""
from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certdesk.certificates import escrow, lint, services, smime
from certdesk.certificates.models import Certificate, CertificateEvent, EscrowedKey
from certdesk.certificates.states import Status
from certdesk.core.errors import DomainError, NotFound, PermissionDenied
from certdesk.persons import services as persons
from certdesk.persons.models import Person
from certdesk.tenancy.models import Organization

from .conftest import actor_for

pytestmark = pytest.mark.django_db


def test_server_side_key_is_issued_linted_and_escrowed(pki, alice, rao_smime, personal):
    cert = smime.request_smime(actor_for(rao_smime), alice, personal, 365, key_algorithm="EC", key_size="P-256")
    assert cert.status == Status.ISSUED, cert.reason
    leaf = cert.certificate()
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.RFC822Name) == ["alice@people.example.org", "a.martin@people.example.org"]
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Alice Martin"
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Universite de Lyon"
    eku = list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert eku == [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH]
    ku = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert ku.digital_signature and ku.key_agreement and not ku.key_encipherment
    assert cert.ca.purpose == "CLIENT"
    findings = lint.lint_smime(cert.der)
    assert not lint.errors(findings), findings
    row = EscrowedKey.objects.get(certificate=cert)
    key = escrow.unseal(cert)
    plain = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption())
    assert plain not in bytes(row.ciphertext) and len(bytes(row.ciphertext)) >= len(plain)
    data = smime.keystore(actor_for(rao_smime), cert, passphrase="Secret-Passphrase-1")
    p12_key, p12_cert, chain = pkcs12.load_key_and_certificates(data, b"Secret-Passphrase-1")
    assert p12_cert == leaf and isinstance(p12_key, ec.EllipticCurvePrivateKey)
    assert p12_key.public_key().public_numbers() == leaf.public_key().public_numbers()
    assert len(chain) == 2


def test_every_seeded_profile_and_key_type_is_lint_clean(pki, alice, rao_smime, smime_profiles):
    """pkilint's S/MIME BR linter (sponsor-validated, multipurpose) finds no warning or error."""
    assert set(smime_profiles) == {"GÉANT Personal Certificate", "GÉANT IGTF-MICS-Personal",
                                   "GÉANT IGTF-MICS-Robot Personal", "GÉANT IGTF-Classic-Robot Email"}
    for profile in smime_profiles.values():
        for algorithm, size in (("RSA", "2048"), ("EC", "P-256")):
            cert = smime.request_smime(actor_for(rao_smime), alice, profile, 730, key_algorithm=algorithm,
                                       key_size=size)
            assert cert.status == Status.ISSUED, (profile.name, cert.reason)
            findings = [f for f in lint.lint_smime(cert.der) if f.severity not in ("INFO", "NOTICE")]
            assert findings == [], (profile.name, algorithm, findings)
            assert isinstance(cert.certificate().public_key(), rsa.RSAPublicKey if algorithm == "RSA"
                              else ec.EllipticCurvePublicKey)


def test_organization_without_registration_number_is_refused_before_anything_is_stored(pki, alice, rao_smime,
                                                                                      personal, univ):
    Organization.objects.filter(pk=univ.pk).update(ev_registration_number="")
    with pytest.raises(DomainError) as refused:
        smime.request_smime(actor_for(rao_smime), alice, personal, 365)
    assert refused.value.code == -843 and "registration number" in refused.value.message
    assert not Certificate.objects.exists() and not EscrowedKey.objects.exists()
    # A government entity without one is named GOV<country> (S/MIME BR Appendix A).
    Organization.objects.filter(pk=univ.pk).update(ev_business_category="Government Entity")
    cert = smime.request_smime(actor_for(rao_smime), Person.objects.get(pk=alice.pk), personal, 365)
    assert cert.status == Status.ISSUED, cert.reason
    assert cert.certificate().subject.get_attributes_for_oid(x509.NameOID.ORGANIZATION_IDENTIFIER)[0].value == "GOVFR"


def test_scope_and_roles(pki, alice, claire, personal, rao_smime, drao_smime, drao_smime_chemistry, rao_univ):
    with pytest.raises(NotFound):  # an SSL admin does not see persons at all
        smime.request_smime(actor_for(rao_univ), alice, personal, 365)
    with pytest.raises(NotFound):  # another department's DRAO of client certificates
        smime.request_smime(actor_for(drao_smime_chemistry), alice, personal, 365)
    mine = smime.request_smime(actor_for(drao_smime), alice, personal, 365, auto_approve=False)
    with pytest.raises(NotFound):
        services.approve(actor_for(drao_smime_chemistry), mine)
    with pytest.raises(NotFound):
        services.revoke(actor_for(rao_univ), mine, 0)
    approved = services.approve(actor_for(rao_smime), mine)
    assert approved.status == Status.ISSUED
    # The keystore: the requester, not another DRAO without key recovery.
    assert smime.keystore(actor_for(drao_smime), approved, passphrase="Passphrase-123")
    with pytest.raises(PermissionDenied):
        smime.keystore(actor_for(rao_smime), approved, passphrase="Passphrase-123")


def test_events_and_audit_like_ssl(pki, alice, personal, rao_smime):
    from certdesk.core.models import AuditEvent

    cert = smime.request_smime(actor_for(rao_smime), alice, personal, 365)
    services.revoke(actor_for(rao_smime), cert, 5, reason="left the lab")
    actions = list(CertificateEvent.objects.filter(certificate=cert).values_list("action", flat=True))
    assert actions == ["requested", "auto-approved", "issued", "revoked"]
    audited = set(AuditEvent.objects.filter(object_id=str(cert.pk)).values_list("action", flat=True))
    assert {"certificate.requested", "certificate.issued", "certificate.revoked"} <= audited


def test_person_with_certificates_cannot_be_deleted(pki, alice, personal, rao_smime, mrao_actor):
    smime.request_smime(actor_for(rao_smime), alice, personal, 365)
    with pytest.raises(DomainError) as refused:
        persons.delete_person(mrao_actor, alice)
    assert "client certificate" in refused.value.message
    assert Person.objects.filter(pk=alice.pk).exists()
