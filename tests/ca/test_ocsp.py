"""The OCSP responder (RFC 6960): POST and GET, a delegated signing certificate, nonces,
good/revoked/unknown from pre-signed responses; `openssl ocsp` against a live server."""
from __future__ import annotations

import base64
import subprocess
import urllib.parse

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp as pyocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from certdesk.ca import keystore, ocsp
from certdesk.ca.models import OcspResponder, OcspResponse
from certdesk.certificates import services
from certdesk.core import queue
from tests.certificates.conftest import (  # noqa: F401  (the certificate tests' fixtures)
    _certificate_settings,
    csr,
    domains,
    keys,
    profiles,
    rao,
    ssl,
)
from tests.domains.conftest import (  # noqa: F401
    _dns_server,
    _domain_settings,
    dns,
    make_domain,
    validate,
)


@pytest.fixture(autouse=True)
def _immediate_queue_and_fresh_caches():
    previous = queue.huey.immediate
    queue.huey.immediate = True
    ocsp.clear_caches()
    yield
    ocsp.clear_caches()
    queue.huey.immediate = previous


def issue(ssl, univ, rao, csr, name):  # noqa: F811
    return services.request_ssl(rao, organization=univ, profile=ssl["profiles"]["OV Multi-Domain"],
                                csr_pem=csr(name), term=365)


def request_for(cert: x509.Certificate, issuer: x509.Certificate, *, nonce: bytes | None = None,
                algorithm=None) -> bytes:
    builder = pyocsp.OCSPRequestBuilder().add_certificate(cert, issuer, algorithm or hashes.SHA1())
    if nonce is not None:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def post(client, der: bytes):
    response = client.post("/ocsp", data=der, content_type="application/ocsp-request")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/ocsp-response"
    return response, pyocsp.load_der_ocsp_response(response.content)


def test_good_then_revoked_at_once_with_the_delegated_responder(ssl, univ, rao, csr, client,  # noqa: F811
                                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cert = issue(ssl, univ, rao, csr, "a.example.org")
    ca = cert.ca
    # Pre-signed when issued.
    assert OcspResponse.objects.filter(ca=ca, serial_hex=cert.serial_hex, status="good").exists()
    http, response = post(client, request_for(cert.certificate(), ca.certificate()))
    assert response.response_status == pyocsp.OCSPResponseStatus.SUCCESSFUL
    assert response.certificate_status == pyocsp.OCSPCertStatus.GOOD
    assert response.serial_number == cert.serial_number
    assert "max-age=" in http["Cache-Control"] and int(http["Cache-Control"].split("max-age=")[1].split(",")[0]) <= 60
    # Signed by the delegated responder, which the CA issued for OCSP signing only.
    responder = response.certificates[0]
    assert responder.issuer == ca.certificate().subject
    ca.certificate().verify_directly_issued_by(ca.parent.certificate())
    responder.verify_directly_issued_by(ca.certificate())
    assert response.responder_key_hash == responder.extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value.digest
    assert responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value == x509.ExtendedKeyUsage(
        [ExtendedKeyUsageOID.OCSP_SIGNING])
    responder.extensions.get_extension_for_class(x509.OCSPNoCheck)
    assert (responder.not_valid_after_utc - responder.not_valid_before_utc).days <= 31
    stored = OcspResponder.objects.get(ca=ca)
    assert b"ENCRYPTED PRIVATE KEY" in keystore.key_path(stored.key_ref).read_bytes()
    assert response.next_update_utc <= responder.not_valid_after_utc

    services.revoke(rao, cert, 1)  # its on-commit job never runs here: the cached "good" is dropped anyway
    _, response = post(client, request_for(cert.certificate(), ca.certificate()))
    assert response.certificate_status == pyocsp.OCSPCertStatus.REVOKED
    assert response.revocation_reason == x509.ReasonFlags.key_compromise
    assert response.revocation_time_utc is not None


def test_unknown_serial_unknown_issuer_and_malformed(ssl, univ, rao, csr, client, authorities):  # noqa: F811
    cert = issue(ssl, univ, rao, csr, "a.example.org")
    ca = cert.ca
    # A serial this CA never issued: "unknown", not cached.
    other = pyocsp.OCSPRequestBuilder().add_certificate_by_hash(
        *ocsp.issuer_hashes(ca.certificate(), hashes.SHA1()), 0x1234, hashes.SHA1()).build()
    _, response = post(client, other.public_bytes(serialization.Encoding.DER))
    assert response.certificate_status == pyocsp.OCSPCertStatus.UNKNOWN
    assert not OcspResponse.objects.filter(serial_hex=f"{0x1234:040x}").exists()
    # An issuer we are not: unauthorized.
    foreign = pyocsp.OCSPRequestBuilder().add_certificate_by_hash(b"\x01" * 20, b"\x02" * 20, 5,
                                                                 hashes.SHA1()).build()
    _, response = post(client, foreign.public_bytes(serialization.Encoding.DER))
    assert response.response_status == pyocsp.OCSPResponseStatus.UNAUTHORIZED
    # Garbage, empty, and a GET without a request: malformedRequest.
    for body in (b"not an ocsp request", b""):
        _, response = post(client, body)
        assert response.response_status == pyocsp.OCSPResponseStatus.MALFORMED_REQUEST
    response = client.get("/ocsp/%%%")
    assert pyocsp.load_der_ocsp_response(response.content).response_status == \
        pyocsp.OCSPResponseStatus.MALFORMED_REQUEST
    # An issuing CA under its root: good (answered by the root's own delegated responder).
    _, response = post(client, request_for(ca.certificate(), ca.parent.certificate()))
    assert response.certificate_status == pyocsp.OCSPCertStatus.GOOD
    assert response.certificates[0].issuer == ca.parent.certificate().subject


def test_nonce_is_echoed_and_not_cached(ssl, univ, rao, csr, client):  # noqa: F811
    cert = issue(ssl, univ, rao, csr, "a.example.org")
    OcspResponse.objects.all().delete()
    http, response = post(client, request_for(cert.certificate(), cert.ca.certificate(), nonce=b"0123456789abcdef"))
    assert response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce == b"0123456789abcdef"
    assert "no-cache" in http["Cache-Control"]
    assert not OcspResponse.objects.exists()
    _, response = post(client, request_for(cert.certificate(), cert.ca.certificate()))
    with pytest.raises(x509.ExtensionNotFound):
        response.extensions.get_extension_for_class(x509.OCSPNonce)
    assert OcspResponse.objects.count() == 1  # the nonce-less answer is kept, pre-signed


@pytest.mark.parametrize("encode", ["standard", "urlsafe"])
def test_get_form(ssl, univ, rao, csr, client, encode):  # noqa: F811
    cert = issue(ssl, univ, rao, csr, "a.example.org")
    der = request_for(cert.certificate(), cert.ca.certificate(), algorithm=hashes.SHA256())
    if encode == "standard":  # RFC 6960 A.1: base64, then URL-encoded
        path = urllib.parse.quote(base64.b64encode(der).decode(), safe="")
    else:
        path = base64.urlsafe_b64encode(der).decode().rstrip("=")
    response = client.get(f"/ocsp/{path}")
    assert response.status_code == 200 and response["Content-Type"] == "application/ocsp-response"
    parsed = pyocsp.load_der_ocsp_response(response.content)
    assert parsed.certificate_status == pyocsp.OCSPCertStatus.GOOD
    assert isinstance(parsed.hash_algorithm, hashes.SHA256) and parsed.serial_number == cert.serial_number
    assert response["ETag"]


def test_periodic_refresh_resigns_old_responses_and_rotates_responders(ssl, univ, rao, csr, settings):  # noqa: F811
    from datetime import timedelta

    from django.utils import timezone

    cert = issue(ssl, univ, rao, csr, "a.example.org")
    row = ocsp.presign(cert.ca, cert.serial_hex)
    OcspResponse.objects.filter(pk=row.pk).update(this_update=timezone.now() - timedelta(hours=49))
    assert ocsp.refresh_due() == 1
    assert OcspResponse.objects.get(pk=row.pk).this_update > timezone.now() - timedelta(minutes=1)
    assert ocsp.refresh_due() == 0
    # A responder with fewer than OCSP_RESPONDER_ROTATE_DAYS left is replaced.
    OcspResponder.objects.filter(ca=cert.ca).update(not_after=timezone.now() + timedelta(days=3))
    ocsp.clear_caches()
    assert ocsp.rotate_responders() >= 1
    assert OcspResponder.objects.filter(ca=cert.ca, not_after__gt=timezone.now() + timedelta(days=20)).exists()


# --- openssl ocsp against a live server ----------------------------------------------------


def openssl_ocsp(*args) -> str:
    result = subprocess.run(["openssl", "ocsp", *args], capture_output=True, text=True, timeout=30, check=False)
    return result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("transactional_db")
def test_openssl_ocsp_good_revoked_unknown(django_db_setup, live_server, ssl, univ, rao, csr, tmp_path):  # noqa: F811
    good = issue(ssl, univ, rao, csr, "a.example.org")
    bad = issue(ssl, univ, rao, csr, "c.example.org")
    services.revoke(rao, bad, 4)
    ca = good.ca
    (tmp_path / "issuing.pem").write_text(ca.certificate_pem)
    (tmp_path / "chain.pem").write_text(ca.certificate_pem + ca.parent.certificate_pem)
    (tmp_path / "good.pem").write_text(good.pem)
    (tmp_path / "bad.pem").write_text(bad.pem)
    url = f"{live_server.url}/ocsp"
    common = ["-issuer", str(tmp_path / "issuing.pem"), "-CAfile", str(tmp_path / "chain.pem"), "-url", url]

    out = openssl_ocsp(*common, "-cert", str(tmp_path / "good.pem"))  # with a nonce (openssl's default)
    assert "Response verify OK" in out and f"{tmp_path / 'good.pem'}: good" in out, out
    assert "nonce" not in out.lower(), out
    out = openssl_ocsp(*common, "-no_nonce", "-cert", str(tmp_path / "good.pem"))  # the pre-signed response
    assert "Response verify OK" in out and ": good" in out, out
    out = openssl_ocsp(*common, "-no_nonce", "-cert", str(tmp_path / "bad.pem"))
    assert "Response verify OK" in out and ": revoked" in out and "Reason: superseded" in out, out
    out = openssl_ocsp(*common, "-serial", "0x1234")
    assert "Response verify OK" in out and "0x1234: unknown" in out, out
    # The issuing CA itself, asked of the root.
    (tmp_path / "root.pem").write_text(ca.parent.certificate_pem)
    out = openssl_ocsp("-issuer", str(tmp_path / "root.pem"), "-CAfile", str(tmp_path / "root.pem"), "-url", url,
                       "-cert", str(tmp_path / "issuing.pem"))
    assert "Response verify OK" in out and ": good" in out, out


def test_pkilint_accepts_the_responder_certificate_and_the_responses(ssl, univ, rao, csr, client,  # noqa: F811
                                                                      tmp_path):
    import sys
    from pathlib import Path

    cert = issue(ssl, univ, rao, csr, "a.example.org")
    revoked = issue(ssl, univ, rao, csr, "c.example.org")
    services.revoke(rao, revoked, 1)
    bin_dir = Path(sys.executable).parent
    for name, target in (("good", cert), ("revoked", revoked)):
        http, response = post(client, request_for(target.certificate(), target.ca.certificate()))
        path = tmp_path / f"{name}.der"
        path.write_bytes(http.content)
        result = subprocess.run([bin_dir / "lint_ocsp_response", "lint", "-s", "WARNING", "-f", "CSV", str(path)],
                                capture_output=True, text=True, timeout=120, check=False)
        assert [line for line in result.stdout.splitlines()[1:] if line] == [], result.stdout
        responder = tmp_path / "responder.pem"
        responder.write_bytes(response.certificates[0].public_bytes(serialization.Encoding.PEM))
        result = subprocess.run([bin_dir / "lint_cabf_serverauth_cert", "lint", "-t", "OCSP-RESPONDER", "-s", "ERROR",
                                 "-f", "CSV", str(responder)], capture_output=True, text=True, timeout=120, check=False)
        # Known, outside revocation: the CA subjects (whose O the responder repeats) have no countryName.
        findings = [line for line in result.stdout.splitlines()[1:] if line and "country_attribute_absent" not in line]
        assert findings == [], result.stdout
