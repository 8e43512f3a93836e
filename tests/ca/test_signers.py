"""The Signer interface: a CA signs a leaf certificate and a CRL its certificate verifies."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certdesk.ca.errors import SignerUnavailable
from certdesk.ca.signers import Signer, get_signer
from certdesk.ca.signers.soft import SoftSigner


def leaf_builder(ca, *, days: int = 90) -> x509.CertificateBuilder:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    key = ec.generate_private_key(ec.SECP256R1())
    issuer = ca.certificate()
    issuer_ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.univ-lyon.example")]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.univ-lyon.example")]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski), critical=False)
    )


@pytest.mark.parametrize("slug", ["rsa-ssl-ov", "ecc-ssl-ov"])
def test_soft_signer_signs_a_leaf_the_ca_certificate_verifies(authorities, slug):
    ca = authorities[slug]
    signer = get_signer(ca)
    assert isinstance(signer, SoftSigner) and isinstance(signer, Signer)
    leaf = signer.sign_certificate(leaf_builder(ca))
    leaf.verify_directly_issued_by(ca.certificate())
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA384)
    assert leaf.issuer == ca.certificate().subject


def test_caller_may_choose_the_digest(authorities):
    ca = authorities["ecc-client"]
    leaf = get_signer(ca).sign_certificate(leaf_builder(ca), hashes.SHA256())
    assert isinstance(leaf.signature_hash_algorithm, hashes.SHA256)
    leaf.verify_directly_issued_by(ca.certificate())


def test_soft_signer_signs_a_crl(authorities):
    ca = authorities["ecc-ssl-ev"]
    now = datetime.now(timezone.utc)
    revoked = (x509.RevokedCertificateBuilder().serial_number(1234).revocation_date(now).build())
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate().subject)
        .last_update(now)
        .next_update(now + timedelta(days=7))
        .add_revoked_certificate(revoked)
        .add_extension(x509.CRLNumber(1), critical=False)
    )
    crl = get_signer(ca).sign_crl(builder)
    assert crl.is_signature_valid(ca.certificate().public_key())
    assert isinstance(crl.signature_hash_algorithm, hashes.SHA384)
    assert crl.get_revoked_certificate_by_serial_number(1234) is not None


def test_public_key_is_the_certificate_key_without_decrypting(authorities, ca_settings):
    ca = authorities["rsa-client"]
    ca_settings.CA_PASSPHRASE = "wrong: not needed for the public key"
    assert get_signer(ca).public_key() == ca.certificate().public_key()


def test_unknown_backend_is_a_domain_error(authorities):
    ca = authorities["ecc-root"]
    ca.signer_backend = "pkcs11"
    with pytest.raises(SignerUnavailable, match="pkcs11"):
        get_signer(ca)


def test_signer_is_abstract():
    with pytest.raises(TypeError):
        Signer()
