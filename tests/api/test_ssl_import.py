"""Certificates certdesk did not sign, through the SCM API (issue 6, spec §7.1): `POST /api/ssl/v2/import`,
`POST /api/ssl/v1/revoke/manual`, `DELETE /api/ssl/v1/{id}`, and their collect."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from certdesk.certificates import services
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
from certdesk.core.models import AuditEvent
from certdesk.tenancy.models import Organization
from tests.api.conftest import error_of
from tests.certificates.conftest import (  # noqa: F401 - fixtures: CAs, profiles, DCV-validated domains, CSRs
    _certificate_settings,
    _dns_server,
    _domain_settings,
    csr,
    dns,
    domains,
    keys,
    make_domain,
    profiles,
    ssl,
    validate,
)
from tests.conftest import actor_for

IMPORT = "/api/ssl/v2/import"
MANUAL = "/api/ssl/v1/revoke/manual"
_FOREIGN_CA_KEY = ec.generate_private_key(ec.SECP256R1())
FOREIGN_CA_NAME = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "NL"),
                             x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Other CA B.V."),
                             x509.NameAttribute(NameOID.COMMON_NAME, "Other RSA OV TLS CA")])


def foreign_certificate(*names: str, days: int = 90, start: datetime | None = None, ca: bool = False,
                        eku=ExtendedKeyUsageOID.SERVER_AUTH, key=None, serial: int | None = None) -> str:
    """A certificate signed by another CA (not certdesk's), PEM."""
    key = key or ec.generate_private_key(ec.SECP256R1())
    start = start or datetime.now(UTC) - timedelta(days=1)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]) if names else x509.Name([])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(FOREIGN_CA_NAME)
               .public_key(key.public_key()).serial_number(serial or x509.random_serial_number())
               .not_valid_before(start).not_valid_after(start + timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    if eku is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
    return builder.sign(_FOREIGN_CA_KEY, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def api_on(settings, univ, physics, chemistry):
    settings.API_RATE_LIMIT = settings.API_RATE_LIMIT_IP = "off"
    Organization.objects.filter(pk__in=[univ.pk, physics.pk, chemistry.pk]).update(ssl_certs_api_enabled=True)


@pytest.fixture
def imported(api_on, mrao, physics, ssl):
    from certdesk.certificates import imports

    return imports.import_certificate(actor_for(mrao), organization=physics,
                                      certificate_text=foreign_certificate("legacy.physics.example.org"))


# ---------------------------------------------------------------------------
# Import


def test_import_files_the_certificate_as_issued_and_imported(api_on, ssl, drao_api, physics, scm, mrao):
    pem = foreign_certificate("idp.physics.example.org", "sso.physics.example.org")
    leaf = x509.load_pem_x509_certificate(pem.encode())
    response = drao_api.post(IMPORT, [{"orgID": physics.pk, "cert": pem, "backendCertId": "42", "owner": "x",
                                       "comments": "from the old CA", "cf": []}])
    assert response.status_code == 200, response.content
    [result] = response.json()
    assert result["created"] is True and result["cert"]["subject"] == "CN=idp.physics.example.org"
    assert int(result["cert"]["serialNumber"], 16) == leaf.serial_number
    detail = drao_api.get(f"/api/ssl/v1/{result['cert']['id']}", {"dateFormat": "ISO"}).json()
    assert (detail["status"], detail["requestedVia"], detail["orgId"]) == ("Issued", "Imported", physics.pk)
    assert detail["subjectAlternativeNames"] == ["sso.physics.example.org"]
    assert detail["certType"]["name"] == "OV Multi-Domain" and detail["comments"] == "from the old CA"
    assert detail["expires"] == leaf.not_valid_after_utc.date().isoformat()
    assert detail["certificateDetails"]["issuer"] == FOREIGN_CA_NAME.rfc4514_string()
    assert [c["sslId"] for c in drao_api.get("/api/ssl/v1", {"requestedVia": "IMPORTED"}).json()] == [
        result["cert"]["id"]]
    cert = Certificate.objects.get(pk=result["cert"]["id"])
    assert cert.ca_id is None and cert.requester.login == "drao_physics" and cert.events.get().action == "imported"
    assert AuditEvent.objects.filter(action="certificate.imported").count() == 1
    # Collect: the certificate alone (certdesk does not know the other CA's chain).
    assert drao_api.get(f"/api/ssl/v1/collect/{cert.pk}/x509CO").content.decode() == pem
    assert drao_api.get(f"/api/ssl/v1/collect/{cert.pk}/pem").content.decode() == pem
    assert b"BEGIN PKCS7" in drao_api.get(f"/api/ssl/v1/collect/{cert.pk}", {"format": "base64"}).content
    assert error_of(drao_api.get(f"/api/ssl/v1/collect/{cert.pk}/x509IO"))[:2] == (400, -1113)


def test_import_a_batch_answers_each_certificate(api_on, ssl, rao_api, physics, chemistry, other_org, csr, keys):
    good = foreign_certificate("www.physics.example.org")
    key = ec.generate_private_key(ec.SECP256R1())
    with_csr = foreign_certificate("api.chemistry.example.org", key=key)
    from tests.certificates.conftest import make_csr

    items = [
        {"orgID": physics.pk, "cert": good},
        {"orgID": physics.pk, "cert": good},  # the same again
        {"orgID": physics.pk, "cert": foreign_certificate("Other Sub CA", ca=True)},
        {"orgID": physics.pk, "cert": foreign_certificate("client.example.org", eku=ExtendedKeyUsageOID.CLIENT_AUTH)},
        {"orgID": physics.pk, "cert": "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----"},
        {"orgID": other_org.pk, "cert": foreign_certificate("www.univ-nantes.example")},
        {"orgId": chemistry.pk, "cert": with_csr, "csr": make_csr(key, "api.chemistry.example.org")},
        {"orgID": chemistry.pk, "cert": foreign_certificate("x.chemistry.example.org"), "csr": csr("x.example.org")},
    ]
    results = rao_api.post(IMPORT, items).json()
    assert [("cert" in r) for r in results] == [True, False, False, False, False, False, True, False]
    assert "already in the inventory" in results[1]["errorMessage"]
    assert "CA certificate" in results[2]["errorMessage"]
    assert "serverAuth" in results[3]["errorMessage"]
    assert "cannot be decoded" in results[4]["errorMessage"] or "PEM" in results[4]["errorMessage"]
    assert results[5]["errorMessage"] == f"Organization {other_org.pk} not found."
    assert "another key" in results[7]["errorMessage"]
    assert Certificate.objects.get(pk=results[6]["cert"]["id"]).csr_pem.startswith("-----BEGIN CERTIFICATE REQUEST")
    assert Certificate.objects.filter(requested_via="Imported").count() == 2


def test_import_refused_as_a_whole_writes_nothing(api_on, ssl, drao_api, physics, chemistry, mrao, csr):
    ours = services.request_ssl(actor_for(mrao), organization=physics, profile=ssl["profiles"]["OV SSL"],
                                csr_pem=csr("ours.physics.example.org"), term=365)
    assert ours.status == Status.ISSUED
    before = (Certificate.objects.count(), AuditEvent.objects.count())
    cases = [
        ({"orgID": physics.pk, "cert": "x"}, 400, -1601),  # not an array
        ([], 400, -7),
        ([{"orgID": physics.pk, "cert": "x"}] * 129, 400, -1601),
        (["text"], 400, -1601),
        ([{"cert": foreign_certificate("a.physics.example.org")}], 400, -7),
        ([{"orgID": physics.pk}], 400, -7),
        ([{"orgID": "abc", "cert": "x"}], 400, -1601),
        ([{"orgID": physics.pk, "cert": 7}], 400, -1601),
        ([{"orgID": physics.pk, "cert": ours.pem}], 400, -1601),  # certdesk issued it
        ([{"orgID": chemistry.pk, "cert": foreign_certificate("a.chemistry.example.org")}], 400, -1023),  # not its
        ([{"orgID": physics.pk, "cert": foreign_certificate()}], 400, -1601),  # no DNS name
        ([{"orgID": physics.pk, "cert": foreign_certificate("a.physics.example.org"), "csr": "garbage"}], 400, -9),
    ]
    for body, status, code in cases:
        assert error_of(drao_api.post(IMPORT, body))[:2] == (status, code), body if len(str(body)) < 300 else code
    assert (Certificate.objects.count(), AuditEvent.objects.count()) == before


def test_import_needs_the_web_api_enabled(ssl, settings, scm, rao_univ, univ, physics):
    Organization.objects.filter(pk=univ.pk).update(ssl_certs_api_enabled=True)
    response = scm(rao_univ).post(IMPORT, [{"orgID": physics.pk, "cert": foreign_certificate("a.physics.example.org")}])
    assert error_of(response)[:2] == (403, -3) and "sslCertsApiEnabled" in error_of(response)[2]
    assert not Certificate.objects.exists()


def test_expired_certificate_is_imported_as_expired(api_on, ssl, mrao_api, univ):
    old = foreign_certificate("old.example.org", start=datetime.now(UTC) - timedelta(days=400), days=365)
    [result] = mrao_api.post(IMPORT, [{"orgID": univ.pk, "cert": old}]).json()
    assert mrao_api.get(f"/api/ssl/v1/{result['cert']['id']}").json()["status"] == "Expired"


def test_an_imported_certificate_renews_through_the_request_pipeline(imported, rao_api, csr):
    renewed = rao_api.post(f"/api/ssl/v1/renewById/{imported.pk}", {"csr": csr("legacy.physics.example.org")})
    assert renewed.status_code == 200, renewed.content
    new = Certificate.objects.get(pk=renewed.json()["sslId"])
    assert new.status == Status.ISSUED and new.ca_id is not None and new.renewal_of_id == imported.pk
    # Without a CSR there is no key to certify: a clear refusal.
    assert error_of(rao_api.post(f"/api/ssl/v1/renewById/{imported.pk}"))[:2] == (400, -9)


# ---------------------------------------------------------------------------
# Delete


def test_delete_imported_only(imported, drao_api, mrao_api, scm, drao_chemistry, ssl, physics, mrao, csr):
    ours = services.request_ssl(actor_for(mrao), organization=physics, profile=ssl["profiles"]["OV SSL"],
                                csr_pem=csr("ours.physics.example.org"), term=365)
    assert error_of(drao_api.delete(f"/api/ssl/v1/{ours.pk}"))[:2] == (400, -1113)
    assert error_of(scm(drao_chemistry).delete(f"/api/ssl/v1/{imported.pk}"))[:2] == (404, -124)
    assert drao_api.delete(f"/api/ssl/v1/{imported.pk}").status_code == 204
    assert not Certificate.objects.filter(pk=imported.pk).exists()
    assert AuditEvent.objects.filter(action="certificate.deleted").count() == 1
    assert error_of(drao_api.delete(f"/api/ssl/v1/{imported.pk}"))[:2] == (404, -124)
    assert Certificate.objects.filter(pk=ours.pk, status=Status.ISSUED).exists()


# ---------------------------------------------------------------------------
# Manual revocation


def test_manual_revocation_marks_an_imported_certificate(imported, drao_api):
    response = drao_api.post(MANUAL, {"certId": imported.pk, "revokeDate": "2026-01-15T10:00:00Z", "reasonCode": 1,
                                      "reason": "key leaked on the old server"})
    imported.refresh_from_db()
    if imported.not_before > datetime(2026, 1, 15, 10, tzinfo=UTC):  # the clock of the test run is later
        assert error_of(response)[:2] == (400, -1601)
        response = drao_api.post(MANUAL, {"certId": imported.pk, "reasonCode": 1})
    assert response.status_code == 204, response.content
    imported.refresh_from_db()
    assert (imported.status, imported.revocation_reason) == (Status.REVOKED, 1)
    assert imported.events.last().action == "revoked (manual)"
    assert drao_api.get(f"/api/ssl/v1/{imported.pk}").json()["status"] == "Revoked"
    assert error_of(drao_api.post(MANUAL, {"certId": imported.pk}))[:2] == (400, -159)


def test_manual_revocation_by_serial_and_issuer(imported, drao_api):
    serial = f"{int(imported.serial_hex, 16):X}"
    assert error_of(drao_api.post(MANUAL, {"serialNumber": serial, "issuer": "CN=Someone Else"}))[:2] == (404, -124)
    issuer = "/C=NL/O=Other CA B.V./CN=Other RSA OV TLS CA"  # OpenSSL's order and spelling
    assert drao_api.post(MANUAL, {"serialNumber": serial.lower(), "issuer": issuer, "revokeDate": "01/02/2020"}
                         ).status_code in (204, 400)
    imported.refresh_from_db()
    if imported.status != Status.REVOKED:  # 01/02/2020 is before its notBefore: refused, then now
        assert drao_api.post(MANUAL, {"serialNumber": serial, "issuer": issuer}).status_code == 204
        imported.refresh_from_db()
    assert imported.status == Status.REVOKED


def test_manual_revocation_of_a_certificate_certdesk_issued_revokes_it(api_on, ssl, physics, mrao, drao_api, csr):
    from certdesk.certificates import queries

    ours = services.request_ssl(actor_for(mrao), organization=physics, profile=ssl["profiles"]["OV SSL"],
                                csr_pem=csr("ours.physics.example.org"), term=365)
    assert drao_api.post(MANUAL, {"certId": ours.pk, "reasonCode": 5, "revokeDate": "2020-01-01"}).status_code == 204
    ours.refresh_from_db()
    assert ours.status == Status.REVOKED and ours.revoked_at > datetime.now(UTC) - timedelta(minutes=5)
    assert queries.status_by_serial(ours.ca, ours.serial_hex).status == "revoked"


def test_manual_revocation_refusals(imported, drao_api, scm, drao_chemistry):
    before = AuditEvent.objects.count()
    cases = [
        ({}, 400, -951),
        ({"reason": "x"}, 400, -951),
        ({"certId": imported.pk, "revokeDate": "yesterday"}, 400, -1601),
        ({"certId": imported.pk, "revokeDate": "2999-01-01"}, 400, -1601),
        ({"certId": imported.pk, "reasonCode": 2}, 400, -1601),
        ({"certId": imported.pk, "reasonCode": True}, 400, -1601),
        ({"certId": 999999}, 404, -124),
        ({"serialNumber": "zz"}, 400, -1601),
    ]
    for body, status, code in cases:
        assert error_of(drao_api.post(MANUAL, body))[:2] == (status, code), body
    assert error_of(scm(drao_chemistry).post(MANUAL, {"certId": imported.pk}))[:2] == (404, -124)
    assert error_of(drao_api.post(MANUAL, raw="[1", content_type="application/json"))[:2] == (400, -1601)
    imported.refresh_from_db()
    assert imported.status == Status.ISSUED and AuditEvent.objects.count() == before


def test_new_endpoints_are_documented_with_their_errors(client):
    schema = client.get("/api/schema/", {"format": "json"}).json()
    for path, method, codes in ((IMPORT.replace("v2", "v{version}"), "post", {"200", "400", "403"}),
                                ("/api/ssl/v{version}/revoke/manual", "post", {"204", "400", "404"}),
                                ("/api/ssl/v{version}/{ssl_id}", "delete", {"204", "400", "404"})):
        operation = schema["paths"][path][method]
        assert codes <= set(operation["responses"]), (path, operation["responses"].keys())
        assert "description" in operation or "summary" in operation
