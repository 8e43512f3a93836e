"""/api/ssl/v1 (and v2): types, custom fields, list/HEAD with filters, details, enroll, collect,
approve/decline, revoke (id and serial), renewById/renew, replace, PUT; refusals in SCM's shape
with nothing issued; scope (department, other customer); the sslCertsApiEnabled gate."""
from __future__ import annotations

import re

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs7

from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
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

SSL = "ssl/v1"


@pytest.fixture(autouse=True)
def _ssl_api_enabled(univ, physics, chemistry):
    Organization.objects.filter(pk__in=[univ.pk, physics.pk, chemistry.pk]).update(ssl_certs_api_enabled=True)


@pytest.fixture
def ov(ssl):
    return ssl["profiles"]["OV SSL"]


@pytest.fixture
def multi(ssl):
    return ssl["profiles"]["OV Multi-Domain"]


@pytest.fixture
def enroll(csr, univ):
    """enroll(api, cn, profile, org=univ, **body) -> response."""

    def send(api, cn, profile, org=None, *, key="rsa2048", sans=None, **body):
        data = {"orgId": (org or univ).pk, "csr": csr(cn, key=key), "certType": profile.pk, "term": 365,
                "numberServers": 1, "serverType": -1, "commonName": "legacy-ignored", **body}
        if sans is not None:
            data["subjAltNames"] = sans
        data.pop("commonName")  # sent by old clients; certdesk would take it only without a CSR CN
        return api.post(f"{SSL}/enroll", data)

    return send


def _ok_id(response) -> int:
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"sslId", "renewId"}
    return body["sslId"]


def nothing_issued(before: int) -> None:
    assert Certificate.objects.count() == before


# ---------------------------------------------------------------------------
# Types and custom fields


def test_types_list_the_profiles_with_terms_and_key_types(rao_api, univ, ssl):
    response = rao_api.get(f"{SSL}/types", {"organizationId": univ.pk})
    assert response.status_code == 200
    types = {t["name"]: t for t in response.json()}
    assert {"OV SSL", "OV Multi-Domain", "EV SSL", "EV Anchor", "Wildcard SSL"} <= set(types)
    ov = types["OV SSL"]
    assert set(ov) == {"id", "name", "description", "terms", "keyTypes", "useSecondaryOrgName"}
    assert ov["keyTypes"] == {"RSA": ["2048", "3072", "4096"], "EC": ["P-256", "P-384"]}
    assert ov["terms"] and all(isinstance(t, int) for t in ov["terms"])
    assert ov["useSecondaryOrgName"] is False
    assert rao_api.get("ssl/v2/types").json() == rao_api.get(f"{SSL}/types").json()


def test_types_of_an_organization_out_of_scope_is_refused(drao_api, univ, ssl):
    status, code, _ = error_of(drao_api.get(f"{SSL}/types", {"organizationId": univ.pk}))
    assert status == 400 and code == -1023


def test_custom_fields_are_empty(rao_api):
    response = rao_api.get(f"{SSL}/customFields")
    assert response.status_code == 200 and response.json() == []


# ---------------------------------------------------------------------------
# Enroll → issued (auto-approve) → details, list, collect


def test_enroll_with_auto_approve_issues_and_details_follow_scm(rao_api, enroll, ov, univ):
    ssl_id = _ok_id(enroll(rao_api, "www.example.org", ov, comments="web front", externalRequester="ops@example.org",
                           dcvMode="CNAME", customFields=[]))
    cert = Certificate.objects.get(pk=ssl_id)
    assert cert.status == Status.ISSUED and cert.requested_via == "Web API"
    detail = rao_api.get(f"{SSL}/{ssl_id}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["id"] == body["sslId"] == ssl_id
    assert body["status"] == "Issued" and body["commonName"] == "www.example.org" and body["orgId"] == univ.pk
    assert body["subjectAlternativeNames"] == ["example.org"]  # the automatic name of OV SSL
    assert body["certType"]["name"] == "OV SSL" and body["term"] == 365
    assert body["requester"] == "rao_univ" and body["requestedVia"] == "Web API"
    assert body["externalRequester"] == "ops@example.org" and body["comments"] == "web front"
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", body["requested"]) and re.fullmatch(r"\d{2}/\d{2}/\d{4}",
                                                                                    body["expires"])
    assert body["serialNumber"] == f"{int(cert.serial_hex, 16):X}".rjust(len(body["serialNumber"]), "0")
    assert re.fullmatch(r"[0-9A-F]+", body["serialNumber"]) and len(body["serialNumber"]) % 2 == 0
    assert (body["keyAlgorithm"], body["keySize"], body["keyType"]) == ("RSA", 2048, "RSA - 2048")
    assert "CN=www.example.org" in body["certificateDetails"]["subject"]
    assert body["certificateDetails"]["sha1Hash"] == cert.sha1_hash.upper()
    assert body["autoRenewDetails"] == {"state": "Not scheduled", "daysBeforeExpiration": 30}
    assert "serverAuth" in body["extendedKeyUsages"]
    for unset in ("declined", "revoked", "reasonCode", "replaced"):
        assert unset not in body
    iso = rao_api.get(f"{SSL}/{ssl_id}", {"dateFormat": "iso"}).json()
    assert iso["expires"] == cert.not_after.date().isoformat()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}",
                        rao_api.get(f"{SSL}/{ssl_id}", {"dateFormat": "ISO_HMS"}).json()["issued"])
    assert rao_api.get(f"{SSL}/{ssl_id}", {"dateFormat": "yyyy/MM/dd"}).json()["expires"] == \
        cert.not_after.strftime("%Y/%m/%d")
    status, code, _ = error_of(rao_api.get(f"{SSL}/{ssl_id}", {"dateFormat": "%Y"}))
    assert status == 400


def test_list_filters_paging_and_head(rao_api, enroll, ov, multi, physics):
    first = _ok_id(enroll(rao_api, "www.example.org", ov))
    second = _ok_id(enroll(rao_api, "api.example.org", multi, sans="mail.example.org, ftp.example.org"))
    third = _ok_id(enroll(rao_api, "host.physics.example.org", multi, org=physics, key="p256"))
    response = rao_api.get(SSL)
    assert response.status_code == 200 and response["X-Total-Count"] == "3"
    items = {i["sslId"]: i for i in response.json()}
    assert set(items) == {first, second, third}
    assert items[second]["subjectAlternativeNames"] == ["mail.example.org", "ftp.example.org"]
    assert set(items[second]) == {"sslId", "commonName", "subjectAlternativeNames", "serialNumber"}

    def ids(**params):
        return sorted(i["sslId"] for i in rao_api.get(SSL, params).json())

    assert ids(commonName="api.example") == [second]
    assert ids(subjectAlternativeName="ftp.example.org") == [second]
    assert ids(orgId=physics.pk) == [third]
    assert ids(sslTypeId=multi.pk) == sorted([second, third])
    assert ids(status="Issued") == sorted([first, second, third])
    assert ids(status="revoked") == []
    assert ids(keyAlgorithm="EC") == [third]
    assert ids(requester="rao_univ") == sorted([first, second, third])
    assert ids(requestedVia="API") == sorted([first, second, third])
    serial = items[first]["serialNumber"]
    assert ids(serialNumber=serial.lower()) == [first]
    assert ids(serialNumber=":".join(serial[i:i + 2] for i in range(0, len(serial), 2))) == [first]
    page = rao_api.get(SSL, {"size": 2, "position": 0})
    assert len(page.json()) == 2 and page["X-Total-Count"] == "3"
    assert len(rao_api.get(SSL, {"size": 2, "position": 2}).json()) == 1
    head = rao_api.head(SSL, {"orgId": physics.pk})
    assert head.status_code == 200 and head["X-Total-Count"] == "1" and head.content == b""
    assert error_of(rao_api.get(SSL, {"size": 201}))[0] == 400
    assert error_of(rao_api.get(SSL, {"status": "Bogus"}))[0] == 400
    assert error_of(rao_api.get(SSL, {"serialNumber": "xyz"}))[0] == 400


def test_collect_every_format_in_query_and_path_form(rao_api, enroll, ov):
    ssl_id = _ok_id(enroll(rao_api, "www.example.org", ov))
    leaf = rao_api.get(f"{SSL}/collect/{ssl_id}/x509CO")
    assert leaf.status_code == 200 and leaf["Content-Type"] == "application/octet-stream"
    assert leaf["Content-Disposition"].startswith("attachment; filename=")
    certs = x509.load_pem_x509_certificates(leaf.content)
    assert len(certs) == 1 and certs[0].serial_number == Certificate.objects.get(pk=ssl_id).serial_number
    assert rao_api.get(f"{SSL}/collect/{ssl_id}", {"format": "x509CO"}).content == leaf.content
    default = rao_api.get(f"{SSL}/collect/{ssl_id}")
    assert default.content.startswith(b"-----BEGIN PKCS7-----")
    assert len(pkcs7.load_der_pkcs7_certificates(rao_api.get(f"{SSL}/collect/{ssl_id}/bin").content)) >= 2
    chain = x509.load_pem_x509_certificates(rao_api.get(f"{SSL}/collect/{ssl_id}/x509R").content)
    root_first = x509.load_pem_x509_certificates(rao_api.get(f"{SSL}/collect/{ssl_id}/x509").content)
    assert chain[0] == certs[0] and list(reversed(root_first)) == chain
    for fmt in ("pemco", "pemia", "pem", "x509IO", "x509IOR", "base64"):
        assert rao_api.get(f"{SSL}/collect/{ssl_id}/{fmt}").status_code == 200, fmt
    status, code, _ = error_of(rao_api.get(f"{SSL}/collect/{ssl_id}/pkcs12"))
    assert (status, code) == (400, -1450)
    status, code, _ = error_of(rao_api.get(f"{SSL}/collect/{ssl_id}", {"format": "nope"}))
    assert (status, code) == (400, -1450)


# ---------------------------------------------------------------------------
# Approval


def test_request_awaits_approval_collect_says_being_processed_then_approve(drao_api, rao_api, enroll, ov, physics):
    ssl_id = _ok_id(enroll(drao_api, "www.physics.example.org", ov, org=physics))
    assert Certificate.objects.get(pk=ssl_id).status == Status.REQUESTED
    assert drao_api.get(f"{SSL}/{ssl_id}").json()["status"] == "Requested"
    pending = drao_api.get(f"{SSL}/collect/{ssl_id}/x509CO")
    assert pending.status_code == 400 and pending.json() == {"code": 0, "description": "Being processed by Sectigo"}
    approved = rao_api.post(f"{SSL}/approve/{ssl_id}", {"message": "ok"})
    assert approved.status_code == 204, approved.content
    assert Certificate.objects.get(pk=ssl_id).status == Status.ISSUED
    assert drao_api.get(f"{SSL}/collect/{ssl_id}/x509CO").status_code == 200
    status, code, _ = error_of(rao_api.post(f"{SSL}/approve/{ssl_id}", {"message": "again"}))
    assert (status, code) == (400, -1113)


def test_decline_then_approve_refused(drao_api, rao_api, enroll, ov, physics):
    ssl_id = _ok_id(enroll(drao_api, "www.physics.example.org", ov, org=physics))
    assert rao_api.post(f"{SSL}/decline/{ssl_id}", {"message": "not needed"}).status_code == 204
    body = rao_api.get(f"{SSL}/{ssl_id}").json()
    assert body["status"] == "Declined" and "declined" in body
    assert error_of(rao_api.post(f"{SSL}/approve/{ssl_id}"))[1] == -1113
    assert error_of(rao_api.post(f"{SSL}/decline/{ssl_id}", {"message": "again"}))[1] == -1113
    assert error_of(rao_api.get(f"{SSL}/collect/{ssl_id}/x509CO"))[0] == 400


def test_decline_needs_a_message(drao_api, rao_api, enroll, ov, physics):
    ssl_id = _ok_id(enroll(drao_api, "www.physics.example.org", ov, org=physics))
    status, code, _ = error_of(rao_api.post(f"{SSL}/decline/{ssl_id}", raw='""'))
    assert status == 400
    assert Certificate.objects.get(pk=ssl_id).status == Status.REQUESTED


# ---------------------------------------------------------------------------
# Revoke, renew, replace, update


def test_revoke_by_id_then_twice_refused(rao_api, enroll, ov):
    ssl_id = _ok_id(enroll(rao_api, "www.example.org", ov))
    response = rao_api.post(f"{SSL}/revoke/{ssl_id}", {"reason": "key lost", "reasonCode": 1})
    assert response.status_code == 204, response.content
    body = rao_api.get(f"{SSL}/{ssl_id}").json()
    assert body["status"] == "Revoked" and body["reasonCode"] == 1 and "revoked" in body
    status, code, _ = error_of(rao_api.post(f"{SSL}/revoke/{ssl_id}", {"reason": "again"}))
    assert (status, code) == (400, -159)
    assert error_of(rao_api.get(f"{SSL}/collect/{ssl_id}/x509CO"))[1] == -192


def test_revoke_by_serial_and_bad_reason_code(rao_api, enroll, ov, multi):
    ssl_id = _ok_id(enroll(rao_api, "www.example.org", ov))
    serial = rao_api.get(f"{SSL}/{ssl_id}").json()["serialNumber"]
    status, code, _ = error_of(rao_api.post(f"{SSL}/revoke/serial/{serial}", {"reason": "x", "reasonCode": 2}))
    assert status == 400
    assert Certificate.objects.get(pk=ssl_id).status == Status.ISSUED
    assert rao_api.post(f"{SSL}/revoke/serial/{serial.lower()}", {"reason": "retired", "reasonCode": 5}).status_code \
        == 204
    assert Certificate.objects.get(pk=ssl_id).revocation_reason == 5
    assert error_of(rao_api.post(f"{SSL}/revoke/serial/ABCDEF", {"reason": "x"}))[:2] == (404, -124)


def test_revoke_a_request_is_refused(drao_api, rao_api, enroll, ov, physics):
    ssl_id = _ok_id(enroll(drao_api, "www.physics.example.org", ov, org=physics))
    assert error_of(rao_api.post(f"{SSL}/revoke/{ssl_id}", {"reason": "x"}))[1] == -102


def test_renew_by_id_with_empty_string_body_and_with_a_new_csr(rao_api, enroll, ov, csr):
    ssl_id = _ok_id(enroll(rao_api, "www.example.org", ov))
    response = rao_api.post(f"{SSL}/renewById/{ssl_id}", raw='""')
    assert response.status_code == 200, response.content
    new_id = response.json()["sslId"]
    assert new_id != ssl_id
    new = Certificate.objects.get(pk=new_id)
    assert new.renewal_of_id == ssl_id and new.status == Status.ISSUED
    assert new.spki_sha256 == Certificate.objects.get(pk=ssl_id).spki_sha256
    other = rao_api.post(f"{SSL}/renewById/{ssl_id}", {"csr": csr("www.example.org", key="p256")})
    assert Certificate.objects.get(pk=other.json()["sslId"]).key_algorithm == "EC"
    assert rao_api.post(f"{SSL}/renewById/{ssl_id}", raw="").status_code == 200
    assert rao_api.post(f"{SSL}/renewById/{ssl_id}", {}).status_code == 200


def test_renew_by_renew_id(rao_api, enroll, ov):
    response = enroll(rao_api, "www.example.org", ov)
    ssl_id, renew_id = response.json()["sslId"], response.json()["renewId"]
    before = Certificate.objects.count()
    assert rao_api.post(f"{SSL}/renew/{renew_id}").status_code == 204
    assert Certificate.objects.count() == before + 1
    assert Certificate.objects.order_by("-id").first().renewal_of_id == ssl_id
    assert error_of(rao_api.post(f"{SSL}/renew/{ssl_id}x0000"))[:2] == (404, -124)
    assert error_of(rao_api.post(f"{SSL}/renew/{renew_id[:-1]}"))[:2] == (404, -124)


def test_renew_of_a_request_is_refused(drao_api, enroll, ov, physics):
    ssl_id = _ok_id(enroll(drao_api, "www.physics.example.org", ov, org=physics))
    assert error_of(drao_api.post(f"{SSL}/renewById/{ssl_id}"))[1] == -1113


def test_replace_issues_a_successor_and_the_old_one_is_replaced(rao_api, enroll, multi, csr):
    ssl_id = _ok_id(enroll(rao_api, "api.example.org", multi, sans="mail.example.org"))
    response = rao_api.post(f"{SSL}/replace/{ssl_id}", {"csr": csr("api.example.org", key="rsa2048b"),
                                                         "reason": "rekey", "commonName": "api.example.org",
                                                         "subjectAlternativeNames": ["smtp.example.org"]})
    assert response.status_code == 204, response.content
    old = rao_api.get(f"{SSL}/{ssl_id}").json()
    assert old["status"] == "Replaced" and "replaced" in old
    new = Certificate.objects.get(replaces_id=ssl_id)
    assert new.status == Status.ISSUED and new.names == ["api.example.org", "smtp.example.org"]
    assert error_of(rao_api.post(f"{SSL}/replace/{ssl_id}", {"csr": csr("api.example.org")}))[1] == -1113
    assert error_of(rao_api.post(f"{SSL}/replace/{new.pk}", {}))[0] == 400


def test_put_updates_comments_requester_and_auto_renewal(rao_api, mrao_api, enroll, ov):
    ssl_id = _ok_id(enroll(rao_api, "www.example.org", ov))
    assert error_of(rao_api.put(SSL, {"sslId": ssl_id, "comments": "x"}))[:2] == (403, -3)  # no sslManage
    rao_api = mrao_api
    response = rao_api.put(SSL, {"sslId": ssl_id, "comments": "moved", "externalRequester": "a@example.org,b@example.org",
                                 "autoRenewDetails": {"state": "Scheduled", "daysBeforeExpiration": 20},
                                 "term": 365, "suspendNotifications": False})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["comments"] == "moved" and body["externalRequester"] == "a@example.org,b@example.org"
    assert body["autoRenewDetails"] == {"state": "Scheduled", "daysBeforeExpiration": 20}
    cert = Certificate.objects.get(pk=ssl_id)
    assert cert.auto_renew and cert.auto_renew_at is not None
    assert error_of(rao_api.put(SSL, {"sslId": ssl_id, "term": 47}))[:2] == (400, -1601)
    assert error_of(rao_api.put(SSL, {"sslId": ssl_id, "autoRenewDetails": {"state": "maybe"}}))[0] == 400
    assert error_of(rao_api.put(SSL, {"comments": "x"}))[:2] == (400, -7)
    assert error_of(rao_api.put(SSL, {"sslId": ssl_id, "externalRequester": "not-an-email"}))[0] == 400


# ---------------------------------------------------------------------------
# Refusals: SCM errors, nothing issued


def test_garbage_pem_is_refused(rao_api, ov, univ):
    before = Certificate.objects.count()
    for garbage, codes in (("hello", {-9, -10}), ("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
                                                  "-----END CERTIFICATE REQUEST-----", {-9, -10, -138})):
        status, code, _ = error_of(rao_api.post(f"{SSL}/enroll", {"orgId": univ.pk, "csr": garbage,
                                                                 "certType": ov.pk, "term": 365}))
        assert status == 400 and code in codes, code
    nothing_issued(before)


def test_weak_key_is_refused(rao_api, enroll, ov):
    before = Certificate.objects.count()
    status, code, _ = error_of(enroll(rao_api, "www.example.org", ov, key="rsa1024"))
    assert (status, code) == (400, -13)
    nothing_issued(before)


def test_undelegated_name_is_refused_naming_the_domain(rao_api, enroll, multi):
    before = Certificate.objects.count()
    status, code, description = error_of(enroll(rao_api, "www.example.com", multi))
    assert status == 400 and code in (-107, -737)
    assert "www.example.com" in description
    nothing_issued(before)


def test_other_departments_name_is_refused(drao_api, enroll, multi, physics):
    before = Certificate.objects.count()
    status, code, _ = error_of(enroll(drao_api, "host.chemistry.example.org", multi, org=physics))
    assert status == 400 and code in (-107, -737)
    nothing_issued(before)


def test_bad_enroll_bodies(rao_api, enroll, ov, univ, chemistry, csr):
    before = Certificate.objects.count()
    assert error_of(rao_api.post(f"{SSL}/enroll", {"csr": csr("www.example.org"), "certType": ov.pk,
                                                   "term": 365}))[:2] == (400, -7)
    assert error_of(enroll(rao_api, "www.example.org", ov, certType=999999))[:2] == (400, -39)
    assert error_of(enroll(rao_api, "www.example.org", ov, term=12))[:2] == (400, -36)
    assert error_of(enroll(rao_api, "www.example.org", ov, orgId=999999))[:2] == (400, -1023)
    assert error_of(rao_api.post(f"{SSL}/enroll", raw="[1, 2]"))[0] == 400
    assert error_of(rao_api.post(f"{SSL}/enroll", raw="{not json"))[0] == 400
    assert error_of(enroll(rao_api, "www.example.org", ov, subjAltNames={"a": 1}))[0] == 400
    nothing_issued(before)


def test_unknown_certificate_answers_404(rao_api):
    assert error_of(rao_api.get(f"{SSL}/999999"))[:2] == (404, -124)
    assert error_of(rao_api.post(f"{SSL}/approve/999999"))[:2] == (404, -124)
    assert error_of(rao_api.get(f"{SSL}/collect/999999/x509CO"))[:2] == (404, -124)


# ---------------------------------------------------------------------------
# Scope and the Web API switch


def test_drao_sees_only_its_department(drao_api, rao_api, enroll, ov, multi, physics):
    univ_id = _ok_id(enroll(rao_api, "www.example.org", ov))
    phys_id = _ok_id(enroll(rao_api, "host.physics.example.org", multi, org=physics))
    assert [i["sslId"] for i in drao_api.get(SSL).json()] == [phys_id]
    assert drao_api.head(SSL)["X-Total-Count"] == "1"
    assert drao_api.get(f"{SSL}/{phys_id}").status_code == 200
    for response in (drao_api.get(f"{SSL}/{univ_id}"), drao_api.get(f"{SSL}/collect/{univ_id}/x509CO"),
                     drao_api.post(f"{SSL}/revoke/{univ_id}", {"reason": "x"}),
                     drao_api.post(f"{SSL}/renewById/{univ_id}")):
        assert error_of(response)[:2] == (404, -124)
    assert Certificate.objects.get(pk=univ_id).status == Status.ISSUED


def test_other_customer_gets_404(jisc_api, rao_api, enroll, ov, other_customer_org):
    Organization.objects.filter(pk=other_customer_org.pk).update(ssl_certs_api_enabled=True)
    ssl_id = _ok_id(enroll(rao_api, "www.example.org", ov))
    assert jisc_api.get(SSL).json() == []
    for response in (jisc_api.get(f"{SSL}/{ssl_id}"), jisc_api.get(f"{SSL}/collect/{ssl_id}/x509CO"),
                     jisc_api.post(f"{SSL}/revoke/{ssl_id}", {"reason": "x"}),
                     jisc_api.post(f"{SSL}/approve/{ssl_id}"), jisc_api.put(SSL, {"sslId": ssl_id, "comments": "x"})):
        assert error_of(response)[:2] == (404, -124)
    assert Certificate.objects.get(pk=ssl_id).status == Status.ISSUED


def test_web_api_switch_gates_ssl(rao_api, enroll, ov, multi, univ, physics):
    phys_id = _ok_id(enroll(rao_api, "host.physics.example.org", multi, org=physics))
    Organization.objects.filter(pk=physics.pk).update(ssl_certs_api_enabled=False)
    assert error_of(enroll(rao_api, "www.physics.example.org", ov, org=physics))[0] == 403
    assert error_of(rao_api.post(f"{SSL}/revoke/{phys_id}", {"reason": "x"}))[0] == 403
    assert error_of(rao_api.post(f"{SSL}/renewById/{phys_id}"))[0] == 403
    assert rao_api.get(SSL).json() == []
    Organization.objects.update(ssl_certs_api_enabled=False)
    assert error_of(rao_api.get(f"{SSL}/types"))[0] == 403


# ---------------------------------------------------------------------------
# POST /api/report/v1/ssl-certificates (spec §7.13)


def test_ssl_certificates_report(rao_api, drao_api, enroll, ov, multi, physics, univ, rao_univ):
    issued = _ok_id(enroll(rao_api, "www.example.org", ov, externalRequester="ops@example.org"))
    phys = _ok_id(enroll(drao_api, "www.physics.example.org", ov, org=physics))  # awaits approval
    revoked = _ok_id(enroll(rao_api, "api.example.org", multi, sans="mail.example.org"))
    assert rao_api.post(f"{SSL}/revoke/{revoked}", {"reason": "gone"}).status_code == 204

    def report(api=rao_api, **body):
        response = api.post("report/v1/ssl-certificates?output_type=buffered", body)
        assert response.status_code == 200, response.content
        assert response.json()["statusCode"] == 0
        return {r["id"]: r for r in response.json()["reports"]}

    everything = report()
    assert set(everything) == {issued, phys, revoked}
    row = everything[issued]
    assert row["commonName"] == "www.example.org" and row["orgId"] == univ.pk
    assert row["organizationName"] == "Universite de Lyon" and row["status"] == "Issued"
    assert row["type"] == "OV SSL" and row["typeId"] == ov.pk and row["requestedVia"] == "Web API"
    assert row["approver"] == "rao_univ" and row["requester"] == "rao_univ"
    assert row["subjAltNames"] == "example.org" and row["customFields"] == []
    assert row["requested"].endswith("Z") and "T" in row["expires"]
    assert everything[phys]["organizationName"] == "Universite de Lyon / Physics"
    assert "serialNumber" not in everything[phys]
    assert set(report(certificateStatus=1)) == {phys}
    assert set(report(certificateStatus=2)) == {issued}
    assert set(report(certificateStatus=3)) == {revoked}
    assert set(report(organizationIds=[physics.pk])) == {phys}
    assert set(report(organizationIds=[univ.pk])) == {issued, phys, revoked}
    assert set(report(commonName="api.")) == {revoked}
    assert set(report(externalRequester="ops@")) == {issued}
    assert set(report(certificateRequestSource=2)) == {issued, phys, revoked}
    assert set(report(certificateRequestSource=10)) == set()
    today = everything[issued]["requested"][:10]
    assert set(report(**{"from": today, "to": today})) == {issued, phys, revoked}
    assert set(report(**{"from": "2000-01-01", "to": "2000-01-02", "certificateDateAttribute": 3})) == set()
    assert set(report(**{"from": today, "certificateDateAttribute": 2})) == {revoked}
    decimal = report(serialNumberFormat="DECIMAL")[issued]["serialNumber"]
    assert int(decimal) == int(row["serialNumber"], 16)
    assert set(report(api=drao_api)) == {phys}
    assert error_of(rao_api.post("report/v1/ssl-certificates", {"certificateStatus": 7}))[0] == 400
    assert error_of(rao_api.post("report/v1/ssl-certificates", {"from": "yesterday"}))[0] == 400
    assert error_of(drao_api.post("report/v1/ssl-certificates", {"organizationIds": [univ.pk]}))[:2] == (400, -1023)
    assert error_of(rao_api.post("report/v1/ssl-certificates", {"serialNumberFormat": "b64"}))[0] == 400
