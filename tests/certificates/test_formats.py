"""Downloads in every SCM collect format (spec §6, seed 003 §7.6, certdesk-decisions "SSL")."""
import re
import subprocess

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from certdesk.certificates import formats, services
from certdesk.certificates.errors import (
    CertificateRevoked,
    NotCollectable,
    UnknownFormat,
    WrongState,
)
from certdesk.core.errors import NotFound

from ..conftest import actor_for


@pytest.fixture
def issued(ssl, univ, rao, csr):
    return services.request_ssl(rao, organization=univ, profile=ssl["profiles"]["OV SSL"], csr_pem=csr("example.org"),
                                term=365)


def _pems(data: bytes) -> list[x509.Certificate]:
    assert data.count(b"-----BEGIN CERTIFICATE-----") == data.count(b"-----END CERTIFICATE-----")
    return x509.load_pem_x509_certificates(data)


def _serials(certs) -> list[int]:
    return [c.serial_number for c in certs]


def test_every_format_in_order(issued, rao, authorities):
    leaf = issued.certificate()
    issuing = authorities["rsa-ssl-ov"].certificate()
    root = authorities["rsa-root"].certificate()
    expect = {
        "x509CO": [leaf], "pemco": [leaf],
        "pemia": [leaf, issuing],
        "x509R": [leaf, issuing, root], "pem": [leaf, issuing, root],
        "x509": [root, issuing, leaf],
        "x509IO": [root, issuing],
        "x509IOR": [issuing, root],
    }
    for fmt, certs in expect.items():
        download = formats.collect(rao, issued, fmt)
        assert _serials(_pems(download.content)) == _serials(certs), fmt
        assert download.content_type == "application/octet-stream" and download.filename.startswith("example.org")
    io = _pems(formats.collect(rao, issued, "x509IO").content)
    assert _serials(_pems(formats.collect(rao, issued, "x509IOR").content)) == list(reversed(_serials(io)))

    p7_pem = formats.collect(rao, issued, "base64").content
    assert p7_pem.startswith(b"-----BEGIN PKCS7-----")
    assert sorted(_serials(pkcs7.load_pem_pkcs7_certificates(p7_pem))) == sorted(_serials([leaf, issuing, root]))
    p7_der = formats.collect(rao, issued, "bin")
    assert p7_der.filename.endswith(".p7b") and p7_der.content[0] == 0x30
    assert sorted(_serials(pkcs7.load_der_pkcs7_certificates(p7_der.content))) == sorted(
        _serials([leaf, issuing, root]))
    # the default is base64, and names match case-insensitively (clients send "X509CO" too)
    assert formats.collect(rao, issued).content == p7_pem
    assert formats.collect(rao, issued, "X509co").content == formats.collect(rao, issued, "x509CO").content


def test_openssl_reads_the_pkcs7(issued, rao, tmp_path):
    path = tmp_path / "chain.p7b"
    path.write_bytes(formats.collect(rao, issued, "bin").content)
    result = subprocess.run(["openssl", "pkcs7", "-inform", "DER", "-in", str(path), "-print_certs", "-noout"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and len(re.findall(r"^subject=", result.stdout, re.M)) == 3


def test_unknown_format(issued, rao):
    with pytest.raises(UnknownFormat) as info:
        formats.collect(rao, issued, "p12")
    assert info.value.code == -1450 and "p12" in info.value.message


def test_not_yet_issued_is_being_processed(ssl, univ, rao2, csr):
    pending = services.request_ssl(rao2, organization=univ, profile=ssl["profiles"]["OV SSL"],
                                   csr_pem=csr("example.org"), term=365)
    with pytest.raises(NotCollectable) as info:
        formats.collect(rao2, pending, "x509CO")
    # exactly what SCM answers and what clients poll for
    assert info.value.code == 0 and info.value.message == "Being processed by Sectigo" and info.value.status == 400


def test_revoked_declined_and_anchor_are_not_collectable(issued, ssl, ev_univ, rao, rao2, csr):
    revoked = services.revoke(rao, issued, 0)
    with pytest.raises(CertificateRevoked) as info:
        formats.collect(rao, revoked, "pem")
    assert info.value.code == -192
    assert formats.render(revoked, "pemco").content  # the bytes stay available to the portal
    declined = services.decline(rao, services.request_ssl(rao2, organization=ev_univ,
                                                          profile=ssl["profiles"]["OV SSL"],
                                                          csr_pem=csr("example.org"), term=365), "no")
    with pytest.raises(WrongState):
        formats.collect(rao, declined, "pem")
    anchor = services.approve(rao2, services.request_ssl(rao, organization=ev_univ,
                                                         profile=ssl["profiles"]["EV Anchor"],
                                                         csr_pem=csr("example.org"), term=365))
    with pytest.raises(WrongState):
        formats.collect(rao, anchor, "pem")


def test_out_of_scope_collect_is_not_found(issued, rao_other):
    with pytest.raises(NotFound):
        formats.collect(actor_for(rao_other), issued, "pem")


def test_ecc_chain(ssl, univ, rao, csr, authorities):
    profile = ssl["profiles"]["OV Multi-Domain"]
    profile.signature_algorithm = "SHA384withECDSA"
    profile.save()
    cert = services.request_ssl(rao, organization=univ, profile=profile, csr_pem=csr("a.example.org", key="p256"),
                                term=365)
    chain = _pems(formats.collect(rao, cert, "x509").content)
    assert _serials(chain) == _serials([authorities["ecc-root"].certificate(), authorities["ecc-ssl-ov"].certificate(),
                                        cert.certificate()])
    assert chain[-1].public_bytes(serialization.Encoding.DER) == bytes(cert.der)
