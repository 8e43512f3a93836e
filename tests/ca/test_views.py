"""Public CA downloads under /ca/: index, PEM, DER, chain; 404 for an unknown slug."""
from __future__ import annotations

import pytest
from cryptography import x509
from django.urls import reverse


def test_url_names_and_paths():
    assert reverse("ca:index") == "/ca/"
    assert reverse("ca:download-pem", kwargs={"slug": "rsa-root"}) == "/ca/rsa-root.pem"
    assert reverse("ca:download-der", kwargs={"slug": "rsa-root"}) == "/ca/rsa-root.crt"
    assert reverse("ca:download-chain", kwargs={"slug": "rsa-root"}) == "/ca/rsa-root-chain.pem"


def test_index_lists_every_ca_with_links_without_login(client, authorities, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get("/ca/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    for ca in authorities.values():
        assert ca.name in page and ca.fingerprint_sha256 in page
        assert reverse("ca:download-pem", kwargs={"slug": ca.slug}) in page
        assert reverse("ca:download-der", kwargs={"slug": ca.slug}) in page


def test_index_without_authorities_says_how_to_create_them(client, db):
    response = client.get("/ca/")
    assert response.status_code == 200 and b"certdesk init" in response.content


def test_pem_download(client, authorities):
    ca = authorities["rsa-ssl-ov"]
    response = client.get(f"/ca/{ca.slug}.pem")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    assert response.content.decode() == ca.certificate_pem
    assert x509.load_pem_x509_certificate(response.content) == ca.certificate()
    assert 'filename="rsa-ssl-ov.pem"' in response["Content-Disposition"]


def test_der_download_is_what_aia_ca_issuers_points_to(client, authorities):
    root = authorities["ecc-root"]
    aia = authorities["ecc-client"].certificate().extensions.get_extension_for_class(
        x509.AuthorityInformationAccess).value
    ca_issuers = next(d.access_location.value for d in aia
                      if d.access_method == x509.AuthorityInformationAccessOID.CA_ISSUERS)
    assert ca_issuers.endswith("/ca/ecc-root.crt")
    response = client.get("/ca/ecc-root.crt")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pkix-cert"
    assert response.content == root.der()
    assert x509.load_der_x509_certificate(response.content) == root.certificate()


def test_chain_download_is_the_ca_then_its_root(client, authorities):
    response = client.get("/ca/ecc-ssl-ev-chain.pem")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/x-pem-file"
    certs = x509.load_pem_x509_certificates(response.content)
    assert certs == [authorities["ecc-ssl-ev"].certificate(), authorities["ecc-root"].certificate()]
    certs[0].verify_directly_issued_by(certs[1])


def test_chain_of_a_root_is_the_root(client, authorities):
    response = client.get("/ca/rsa-root-chain.pem")
    assert x509.load_pem_x509_certificates(response.content) == [authorities["rsa-root"].certificate()]


@pytest.mark.parametrize("path", ["/ca/nope.pem", "/ca/nope.crt", "/ca/nope-chain.pem", "/ca/rsa-root.der"])
def test_unknown_slug_is_404(client, authorities, path):
    assert client.get(path).status_code == 404


def test_downloads_are_read_only(client, authorities):
    assert client.post("/ca/rsa-root.pem").status_code == 405
    assert client.head("/ca/rsa-root.pem").status_code == 200
