"""Issuance by the built-in CA: X.509 per the CA/B BRs, checked by tools we did not write
(pkilint's CA/B serverauth linter, `openssl verify`), and lint-before-signing."""
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pkilint.bin import lint_cabf_serverauth_cert, lint_pkix_signer_signee_cert_chain

from certdesk.ca.errors import CAKeyUnreadable
from certdesk.ca.signers.soft import SoftSigner
from certdesk.certificates import services, signals, tasks
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status

# (profile, common name, extra names, CSR key, expected pkilint type)
CASES = [
    ("OV SSL", "example.org", [], "rsa2048", "OV-FINAL-CERTIFICATE"),
    ("OV Multi-Domain", "a.example.org", ["b.example.org", "lab.example.org"], "p256", "OV-FINAL-CERTIFICATE"),
    ("Unified Communications", "mail.example.org", ["autodiscover.example.org"], "p384", "OV-FINAL-CERTIFICATE"),
    ("Wildcard SSL", "*.example.org", [], "rsa3072", "OV-FINAL-CERTIFICATE"),
    ("IGTF Multi-Domain", "grid.example.org", ["se.grid.example.org"], "rsa2048", "OV-FINAL-CERTIFICATE"),
    ("EV SSL", "example.org", [], "rsa2048", "EV-FINAL-CERTIFICATE"),
    ("EV Multi-Domain", "secure.example.org", ["www.example.org"], "p256", "EV-FINAL-CERTIFICATE"),
]


def _request(actor, org, profile, pem, **kwargs):
    kwargs.setdefault("term", 365)
    return services.request_ssl(actor, organization=org, profile=profile, csr_pem=pem, **kwargs)


@pytest.fixture
def anchor(ssl, ev_univ, rao, rao2, csr):
    pending = _request(rao, ev_univ, ssl["profiles"]["EV Anchor"], csr("example.org"),
                       subject_alt_names=["www.example.org", "secure.example.org"])
    return services.approve(rao2, pending)


@pytest.fixture
def issued_set(ssl, ev_univ, anchor, rao, rao2, csr):
    """One issued certificate of every seeded profile (EV ones approved by the second RAO)."""
    out = {}
    for name, cn, sans, key, _ in CASES:
        cert = _request(rao, ev_univ, ssl["profiles"][name], csr(cn, key=key), subject_alt_names=sans)
        if cert.status == Status.REQUESTED:
            cert = services.approve(rao2, cert)
        assert cert.status == Status.ISSUED, (name, cert.reason)
        out[name] = cert
    return out


def _pkilint(path, capsys) -> tuple[int, str, str]:
    capsys.readouterr()
    code = lint_cabf_serverauth_cert.main(["lint", "--detect", "--output", "--severity", "ERROR", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_every_seeded_profile_passes_pkilint_and_openssl_verify(issued_set, anchor, tmp_path, capsys):
    for name, _, _, _, expected_type in CASES:
        cert = issued_set[name]
        leaf = tmp_path / f"{cert.pk}.pem"
        leaf.write_text(cert.pem)
        code, out, err = _pkilint(leaf, capsys)
        assert code == 0, f"{name}: pkilint found errors:\n{out}"
        assert expected_type in err, (name, err)
        # chain: leaf → issuing CA → root, as a relying party checks it
        issuing, root = tmp_path / f"{cert.pk}-ca.pem", tmp_path / f"{cert.pk}-root.pem"
        issuing.write_text(cert.ca.certificate_pem)
        root.write_text(cert.ca.parent.certificate_pem)
        result = subprocess.run(
            ["openssl", "verify", "-x509_strict", "-purpose", "sslserver", "-verify_hostname", cert.names[-1],
             "-CAfile", str(root), "-untrusted", str(issuing), str(leaf)],
            capture_output=True, text=True, timeout=30)
        assert result.returncode == 0 and f"{leaf}: OK" in result.stdout, (name, result.stdout, result.stderr)
        # issuer/subject pair linted too (AKI/SKI, names chaining, signature algorithm)
        capsys.readouterr()
        pair = lint_pkix_signer_signee_cert_chain.main(["lint", "--severity", "ERROR", str(issuing), str(leaf)])
        assert pair == 0, (name, capsys.readouterr().out)
    # the EV anchor is validation only: nothing was signed
    assert anchor.status == Status.ISSUED and anchor.der is None and anchor.ca is None


def test_certificate_contents_follow_the_baseline_requirements(issued_set, authorities, settings):
    ov = issued_set["OV SSL"].certificate()
    ev = issued_set["EV Multi-Domain"].certificate()
    igtf = issued_set["IGTF Multi-Domain"].certificate()
    ec_cert = issued_set["OV Multi-Domain"]
    rsa_ca = authorities["rsa-ssl-ov"]

    def ext(cert, cls):
        return cert.extensions.get_extension_for_class(cls)

    assert ov.version is x509.Version.v3
    assert ov.signature_hash_algorithm.name == "sha384" and isinstance(ov.public_key(), rsa.RSAPublicKey)
    assert issued_set["OV SSL"].ca == rsa_ca and issued_set["EV SSL"].ca == authorities["rsa-ssl-ev"]
    assert ec_cert.ca == rsa_ca  # SHA-384 with RSA by default, whatever the subscriber's key (seed 000)
    assert ext(ov, x509.BasicConstraints).critical and ext(ov, x509.BasicConstraints).value.ca is False
    ku = ext(ov, x509.KeyUsage)
    assert ku.critical and ku.value.digital_signature and ku.value.key_encipherment
    ec_ku = ext(ec_cert.certificate(), x509.KeyUsage).value
    assert ec_ku.digital_signature and not ec_ku.key_encipherment
    assert list(ext(ov, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert ext(ov, x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName) == [
        "example.org", "www.example.org"]
    ca_ski = rsa_ca.certificate().extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    assert ext(ov, x509.AuthorityKeyIdentifier).value.key_identifier == ca_ski
    assert ext(ov, x509.SubjectKeyIdentifier).value.digest == x509.SubjectKeyIdentifier.from_public_key(
        ov.public_key()).digest
    # http:// URLs of the issuing CA (BR §7.1.2.7.7), although CERTDESK_BASE_URL is https
    crl = ext(ov, x509.CRLDistributionPoints).value[0].full_name[0].value
    # the CRL shard holding this certificate (issuing distribution point of that shard)
    assert crl == f"http://certdesk.example.net/ca/rsa-ssl-ov/{int(ov.serial_number) % settings.CRL_SHARDS}.crl"
    aia = {d.access_method: d.access_location.value for d in ext(ov, x509.AuthorityInformationAccess).value}
    assert aia[x509.AuthorityInformationAccessOID.OCSP] == "http://certdesk.example.net/ocsp"
    assert aia[x509.AuthorityInformationAccessOID.CA_ISSUERS] == "http://certdesk.example.net/ca/rsa-ssl-ov.crt"
    ev_aia = {d.access_method: d.access_location.value for d in ext(ev, x509.AuthorityInformationAccess).value}
    assert ev_aia[x509.AuthorityInformationAccessOID.CA_ISSUERS].endswith("/ca/rsa-ssl-ev.crt")

    def policy_oids(cert):
        return [p.policy_identifier.dotted_string for p in ext(cert, x509.CertificatePolicies).value]

    assert policy_oids(ov) == ["2.23.140.1.2.2"]
    assert policy_oids(ev) == ["2.23.140.1.1"]
    assert policy_oids(igtf) == ["2.23.140.1.2.2", "1.2.840.113612.5.2.2.1"]
    # EV subject: from the organization's EV details
    subject = {a.oid: a.value for a in ev.subject}
    assert subject[NameOID.BUSINESS_CATEGORY] == "Government Entity"
    assert subject[NameOID.SERIAL_NUMBER] == "19691774100013"
    assert subject[x509.ObjectIdentifier("1.3.6.1.4.1.311.60.2.1.3")] == "FR"
    # no OU in any seeded profile (BR §7.1.2.7.2)
    for cert in issued_set.values():
        assert not cert.certificate().subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)


def test_serials_have_entropy_and_are_stored_for_crl_and_ocsp(issued_set):
    serials = set()
    for cert in issued_set.values():
        parsed = cert.certificate()
        assert parsed.serial_number == int(cert.serial_hex, 16) == cert.serial_number
        assert len(cert.serial_hex) == 40 and cert.serial_hex == cert.serial_hex.lower()
        assert parsed.serial_number.bit_length() == 159  # 20 octets, positive, ≥ 64 random bits (BR §7.1)
        assert cert.crl_shard == parsed.serial_number % 16
        assert cert.sha1_hash == parsed.fingerprint(hashes.SHA1()).hex()
        assert cert.not_before == parsed.not_valid_before_utc and cert.not_after == parsed.not_valid_after_utc
        serials.add(cert.serial_hex)
    assert len(serials) == len(issued_set)


def test_ecdsa_signature_algorithm_profile_uses_the_ecc_ca(ssl, univ, rao, csr, authorities, tmp_path, capsys):
    profile = ssl["profiles"]["OV Multi-Domain"]
    profile.signature_algorithm = "SHA384withECDSA"
    profile.save()
    cert = _request(rao, univ, profile, csr("a.example.org", key="rsa2048"))
    assert cert.ca == authorities["ecc-ssl-ov"]
    assert isinstance(cert.ca.certificate().public_key(), ec.EllipticCurvePublicKey)
    leaf = tmp_path / "leaf.pem"
    leaf.write_text(cert.pem)
    assert _pkilint(leaf, capsys)[0] == 0


def test_lint_failure_leaves_the_request_invalid_and_signs_nothing(ssl, physics, univ, mrao_actor, csr, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    """An OU (the department's name) is forbidden by BR §7.1.2.7.2: a profile that allows it fails lint."""
    profile = ssl["profiles"]["OV Multi-Domain"]
    profile.ou_allowed = True
    profile.save()
    calls = []
    monkeypatch.setattr(SoftSigner, "sign_certificate", lambda self, *a, **k: calls.append(a))
    failed = []
    signals.issuance_failed.connect(lambda **kw: failed.append(kw), weak=False, dispatch_uid="t-failed")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            cert = _request(mrao_actor, physics, profile, csr("lab.physics.example.org"))
    finally:
        signals.issuance_failed.disconnect(dispatch_uid="t-failed")
    assert cert.status == Status.INVALID and "pkilint" in cert.reason and "organizational_unit" in cert.reason.lower()
    assert cert.der is None and not cert.serial_hex and cert.ca is None
    assert calls == []  # the CA key signed nothing
    assert failed and failed[0]["certificate_id"] == cert.pk and failed[0]["reason"] == cert.reason
    assert [e.action for e in cert.events.all()][-1] == "issuance failed"


def test_lint_before_signing_can_be_turned_off(ssl, univ, rao, csr, settings, monkeypatch):
    from certdesk.certificates import lint

    settings.LINT_BEFORE_SIGNING = False
    monkeypatch.setattr(lint, "lint_der", lambda *a, **k: pytest.fail("lint ran"))
    assert _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org")).status == Status.ISSUED


def test_issue_is_idempotent(ssl, univ, rao, csr):
    cert = _request(rao, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    again = services.issue(cert.pk)
    assert again.serial_hex == cert.serial_hex and Certificate.objects.count() == 1
    assert cert.events.filter(action="issued").count() == 1


def test_checks_run_again_at_issuance_when_stale(ssl, univ, rao2, rao, csr):
    from datetime import timedelta

    from django.utils import timezone

    from certdesk.domains.models import Domain

    cert = _request(rao2, univ, ssl["profiles"]["OV SSL"], csr("example.org"))
    Certificate.objects.filter(pk=cert.pk).update(checked_at=timezone.now() - timedelta(hours=1))
    Domain.objects.filter(name="example.org").update(dcv_expires=timezone.now() - timedelta(minutes=1))
    approved = services.approve(rao, cert)
    assert approved.status == Status.INVALID and "DCV" in approved.reason and approved.der is None


def test_signer_failure_keeps_the_request_applied_for_a_retry(ssl, univ, rao2, rao, csr, monkeypatch):
    cert = _request(rao2, univ, ssl["profiles"]["OV SSL"], csr("example.org"))

    def broken(self, *args, **kwargs):
        raise CAKeyUnreadable("CA key unreadable: wrong CERTDESK_CA_PASSPHRASE?")

    with monkeypatch.context() as patch:
        patch.setattr(SoftSigner, "sign_certificate", broken)
        with pytest.raises(CAKeyUnreadable):
            services.approve(rao, cert)
    cert.refresh_from_db()
    assert cert.status == Status.APPLIED and cert.der is None
    tasks.issue_certificate(cert.pk)
    cert.refresh_from_db()
    assert cert.status == Status.ISSUED and cert.der


def test_queries_per_auto_approved_request_stay_bounded(ssl, univ, rao, csr, django_assert_max_num_queries):
    """Everything around the signature must stay cheap (ARCHITECTURE "Performance"): a cap on the
    queries of one auto-approved two-name request, checks, audit, issuance and its two notifications
    ("approved", "issued", written in the same transaction) included."""
    pem = csr("a.example.org")
    _request(rao, univ, ssl["profiles"]["OV Multi-Domain"], pem)  # warm caches (credentials, CA key)
    with django_assert_max_num_queries(70):
        _request(rao, univ, ssl["profiles"]["OV Multi-Domain"], pem, subject_alt_names=["b.example.org"])
