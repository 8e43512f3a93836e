"""`certdesk init`: the shape and X.509 profile of the CA hierarchy, idempotence, atomicity, audit."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, SignatureAlgorithmOID
from django.core.management import call_command

from certdesk.ca import hierarchy, keystore, queries, services
from certdesk.ca.errors import CAError, InvalidAuthorityName
from certdesk.ca.models import CertificateAuthority, Purpose
from certdesk.core import audit
from certdesk.core.models import AuditEvent

ISSUING_SUFFIXES = ["ssl-ov", "ssl-ev", "client", "codesign"]
ALL_SLUGS = {f"{family}-{suffix}" for family in ("rsa", "ecc") for suffix in ["root", *ISSUING_SUFFIXES]}


def ext(cert: x509.Certificate, kind):
    return cert.extensions.get_extension_for_class(kind)


def test_init_creates_two_roots_each_with_four_issuing_cas(authorities):
    assert set(authorities) == ALL_SLUGS
    assert CertificateAuthority.objects.count() == 10
    for family in ("rsa", "ecc"):
        root = authorities[f"{family}-root"]
        assert root.is_root and root.purpose == Purpose.ROOT
        children = {ca.slug: ca.purpose for ca in root.children.all()}
        assert children == {
            f"{family}-ssl-ov": Purpose.SSL_OV, f"{family}-ssl-ev": Purpose.SSL_EV,
            f"{family}-client": Purpose.CLIENT, f"{family}-codesign": Purpose.CODESIGN,
        }
    assert authorities["rsa-root"].name == "certdesk RSA Root CA"
    assert authorities["ecc-ssl-ov"].name == "certdesk ECC OV SSL CA"
    assert authorities["rsa-codesign"].name == "certdesk RSA Code Signing CA"


@pytest.mark.parametrize("family", ["rsa", "ecc"])
def test_root_is_self_signed_ca_for_25_years(authorities, family):
    root = authorities[f"{family}-root"]
    cert = root.certificate()
    assert cert.version == x509.Version.v3
    assert cert.issuer == cert.subject
    cert.verify_directly_issued_by(cert)
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == root.name
    assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "certdesk"
    basic = ext(cert, x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length is None
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    assert not usage.value.digital_signature and not usage.value.key_encipherment
    ski = ext(cert, x509.SubjectKeyIdentifier).value
    assert ski == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == ski.digest
    with pytest.raises(x509.ExtensionNotFound):
        ext(cert, x509.ExtendedKeyUsage)
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=25 * 365) <= lifetime <= timedelta(days=25 * 366)


@pytest.mark.parametrize("slug, algorithm_oid, key_type, size", [
    ("rsa-root", SignatureAlgorithmOID.RSA_WITH_SHA384, rsa.RSAPublicKey, 4096),
    ("rsa-client", SignatureAlgorithmOID.RSA_WITH_SHA384, rsa.RSAPublicKey, 4096),
    ("ecc-root", SignatureAlgorithmOID.ECDSA_WITH_SHA384, ec.EllipticCurvePublicKey, 384),
    ("ecc-codesign", SignatureAlgorithmOID.ECDSA_WITH_SHA384, ec.EllipticCurvePublicKey, 384),
])
def test_algorithms_are_rsa4096_or_p384_with_sha384(authorities, slug, algorithm_oid, key_type, size):
    ca = authorities[slug]
    cert = ca.certificate()
    assert cert.signature_algorithm_oid == algorithm_oid
    assert isinstance(cert.public_key(), key_type) and cert.public_key().key_size == size
    if key_type is ec.EllipticCurvePublicKey:
        assert isinstance(cert.public_key().curve, ec.SECP384R1)
        assert (ca.key_algorithm, ca.key_size_or_curve) == ("EC", "P-384")
    else:
        assert (ca.key_algorithm, ca.key_size_or_curve) == ("RSA", "4096")


EXPECTED_EKU = {
    "ssl-ov": [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
    "ssl-ev": [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
    "client": [ExtendedKeyUsageOID.EMAIL_PROTECTION, ExtendedKeyUsageOID.CLIENT_AUTH],
    "codesign": [ExtendedKeyUsageOID.CODE_SIGNING],
}


@pytest.mark.parametrize("family", ["rsa", "ecc"])
@pytest.mark.parametrize("suffix", ISSUING_SUFFIXES)
def test_issuing_ca_is_signed_by_its_root_with_the_profile_of_its_purpose(authorities, settings, family, suffix):
    root, ca = authorities[f"{family}-root"], authorities[f"{family}-{suffix}"]
    assert ca.parent_id == root.pk and not ca.is_root
    cert, root_cert = ca.certificate(), root.certificate()
    cert.verify_directly_issued_by(root_cert)  # issuer name and signature with the root's public key
    basic = ext(cert, x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = ext(cert, x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign and usage.value.digital_signature
    assert list(ext(cert, x509.ExtendedKeyUsage).value) == EXPECTED_EKU[suffix]
    assert ext(cert, x509.SubjectKeyIdentifier).value == x509.SubjectKeyIdentifier.from_public_key(cert.public_key())
    root_ski = ext(root_cert, x509.SubjectKeyIdentifier).value.digest
    assert ext(cert, x509.AuthorityKeyIdentifier).value.key_identifier == root_ski
    base = settings.BASE_URL
    cdp = ext(cert, x509.CRLDistributionPoints).value
    assert [n.value for point in cdp for n in point.full_name] == [f"{base}/ca/{root.slug}.crl"]
    aia = {(d.access_method, d.access_location.value) for d in ext(cert, x509.AuthorityInformationAccess).value}
    assert aia == {
        (x509.AuthorityInformationAccessOID.OCSP, f"{base}/ocsp"),
        (x509.AuthorityInformationAccessOID.CA_ISSUERS, f"{base}/ca/{root.slug}.crt"),
    }
    policies = [p.policy_identifier.dotted_string for p in ext(cert, x509.CertificatePolicies).value]
    if suffix == "ssl-ov":
        assert policies == ["2.23.140.1.2.2"]
    if suffix == "ssl-ev":
        assert policies == ["2.23.140.1.1"]
    assert cert.not_valid_after_utc <= root_cert.not_valid_after_utc
    lifetime = cert.not_valid_after_utc - cert.not_valid_before_utc
    assert timedelta(days=10 * 365) <= lifetime <= timedelta(days=10 * 366)


def test_serials_are_positive_20_octets_and_distinct(authorities):
    serials = [ca.certificate().serial_number for ca in authorities.values()]
    assert len(set(serials)) == 10
    for ca, serial in zip(authorities.values(), serials):
        assert 0 < serial < 2 ** 159 and serial.bit_length() == 159  # 20 octets in DER, high bit clear
        assert ca.serial_hex == f"{serial:040x}"


def test_stored_fields_describe_the_certificate(authorities):
    for ca in authorities.values():
        cert = ca.certificate()
        assert ca.subject == cert.subject.rfc4514_string()
        assert ca.not_before == cert.not_valid_before_utc and ca.not_after == cert.not_valid_after_utc
        assert ca.fingerprint_sha256 == services.fingerprint(cert) and len(ca.fingerprint_sha256) == 95
        assert x509.load_der_x509_certificate(ca.der()) == cert
        assert ca.signer_backend == "soft" and keystore.key_path(ca.key_ref).is_file()


def test_public_authorities_lists_roots_first_then_by_purpose(authorities):
    assert [ca.slug for ca in queries.public_authorities()] == [
        "rsa-root", "ecc-root", "rsa-ssl-ov", "ecc-ssl-ov", "rsa-ssl-ev", "ecc-ssl-ev",
        "rsa-client", "ecc-client", "rsa-codesign", "ecc-codesign",
    ]
    assert queries.get_by_slug("ecc-client").get_purpose_display() == "Client (S/MIME)"
    assert [ca.slug for ca in queries.chain(authorities["rsa-ssl-ev"])] == ["rsa-ssl-ev", "rsa-root"]


def test_second_init_creates_nothing(authorities, ca_settings):
    def no_new_keys(spec):
        raise AssertionError(f"init asked for a key for {spec.slug}")

    before = {ca.slug: (ca.pk, ca.fingerprint_sha256) for ca in CertificateAuthority.objects.all()}
    events = AuditEvent.objects.count()
    key_files = sorted(keystore.keys_dir().iterdir())
    out = io.StringIO()
    again = services.init_authorities(stdout=out, key_factory=no_new_keys)
    assert {ca.slug: (ca.pk, ca.fingerprint_sha256) for ca in again} == before
    assert AuditEvent.objects.count() == events
    assert sorted(keystore.keys_dir().iterdir()) == key_files
    assert "0 created, 10 already there" in out.getvalue()


def test_init_command_lists_an_existing_hierarchy(authorities):
    out = io.StringIO()
    call_command("init", stdout=out)
    text = out.getvalue()
    assert text.count("exists") == 10 and "rsa-root" in text and "0 created" in text
    assert CertificateAuthority.objects.count() == 10


def test_init_creates_only_what_is_missing_signed_by_the_stored_root(authorities, ca_key_factory):
    authorities["ecc-codesign"].delete()
    created = {ca.slug: ca for ca in services.init_authorities(key_factory=ca_key_factory)}
    assert set(created) == ALL_SLUGS
    assert created["ecc-codesign"].pk != authorities["ecc-codesign"].pk
    assert created["rsa-root"].pk == authorities["rsa-root"].pk
    # The new CA was signed with the root key read back from its encrypted file.
    created["ecc-codesign"].certificate().verify_directly_issued_by(authorities["ecc-root"].certificate())


def test_init_audits_every_creation_and_the_chain_verifies(authorities):
    events = AuditEvent.objects.filter(action="ca.created")
    assert events.count() == 10
    assert set(events.values_list("actor", flat=True)) == {"certdesk init"}
    assert set(events.values_list("interface", flat=True)) == {"cli"}
    assert audit.verify().ok


def test_failure_while_generating_keys_leaves_nothing(db, ca_settings, ca_key_factory):
    calls = []

    def fail_on_fifth(spec):
        calls.append(spec.slug)
        if len(calls) == 5:
            raise RuntimeError("entropy ran out")
        return ca_key_factory(spec)

    with pytest.raises(RuntimeError):
        services.init_authorities(key_factory=fail_on_fifth)
    assert CertificateAuthority.objects.count() == 0
    assert not keystore.keys_dir().exists() or not any(keystore.keys_dir().iterdir())


def test_failure_inside_the_transaction_removes_rows_and_key_files(db, ca_settings, ca_key_factory, monkeypatch):
    real_record, calls = audit.record, []

    def record_then_fail(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 3:
            raise RuntimeError("database went away")
        return real_record(*args, **kwargs)

    monkeypatch.setattr(audit, "record", record_then_fail)
    with pytest.raises(RuntimeError):
        services.init_authorities(key_factory=ca_key_factory)
    assert CertificateAuthority.objects.count() == 0
    assert AuditEvent.objects.filter(action="ca.created").count() == 0
    assert list(keystore.keys_dir().iterdir()) == []


def test_key_factory_must_return_the_key_the_spec_asks_for(db, ca_settings, ca_keys):
    with pytest.raises(CAError, match="rsa-root"):
        services.init_authorities(key_factory=lambda spec: ca_keys["ecc-root"])
    assert CertificateAuthority.objects.count() == 0


@pytest.mark.parametrize("prefix", ["certdesk é", "x" * 50])
def test_ca_name_prefix_must_fit_in_a_subject(db, ca_settings, ca_key_factory, prefix):
    ca_settings.CA_NAME_PREFIX = prefix
    with pytest.raises(InvalidAuthorityName):
        services.init_authorities(key_factory=ca_key_factory)


def test_random_serial_is_20_positive_octets():
    for _ in range(50):
        serial = hierarchy.random_serial()
        assert len(serial.to_bytes(20, "big")) == 20 and serial >> 158 == 1


def test_ca_subjects_carry_the_configured_country(settings):
    from cryptography.x509.oid import NameOID

    from certdesk.ca import hierarchy

    spec = hierarchy.specs()[0]
    settings.CA_COUNTRY = ""
    assert not hierarchy.subject_name(spec).get_attributes_for_oid(NameOID.COUNTRY_NAME)
    settings.CA_COUNTRY = "FR"
    name = hierarchy.subject_name(spec)
    assert [a.oid for a in name] == [NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME]
    assert name.get_attributes_for_oid(NameOID.COUNTRY_NAME)[0].value == "FR"
