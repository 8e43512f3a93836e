"""Seed 001 end to end (RENATER: "delegating SSL requests to a third party through the REST API"),
step by step against a live certdesk, the third party driving the unmodified python-cert_manager
client.

0. The organization (Universite de Lyon) has validated domains; its RAO does the set-up.
1. The RAO creates a department "SSI RENATER" with its Web API enabled for SSL, sets its secret key
   (portal), and delegates to it only the names of the service (`idp.example.org`, SSL only).
2. The RAO creates a DRAO SSL of that department with a temporary password; the third party takes
   the account into use by changing the password through the API (certdesk-decisions); the RAO then
   ticks "Web API Use Only".
3. The RAO fences the department with an IP ACL: the live server is on 127.0.0.1, so a CIDR that
   excludes it (127.0.0.2/32) plays "a forbidden address" and 127.0.0.1/32 "RENATER's address".

Then the robot enrolls, collects, renews and revokes certificates for its delegated name; it is
refused for names not delegated to it, for another department, by the portal, and from outside the
ACL. Every refusal is checked against the SCM codes of `../shared/spec/scm-rest-api.md` §5.
"""
from __future__ import annotations

import re

import pytest
import requests
from cert_manager import SSL, Organization
from cert_manager._helpers import PendingError
from cryptography import x509
from requests.exceptions import HTTPError

from certdesk.accounts.models import Admin
from certdesk.certificates.models import Certificate
from certdesk.tenancy.models import Organization as Org
from tests.api.test_e2e_cert_manager import connect  # noqa: F401 - fixture: live server + cert_manager client
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
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("transactional_db")]

ROBOT = "draoUNIVrenater"  # seed 001's naming: drao + organization + third party
TEMPORARY, CHOSEN = "Temporary-Passw0rd-001", "Renater-Chosen-Passw0rd-001"
FORBIDDEN_CIDR, ALLOWED_CIDR = "127.0.0.2/32", "127.0.0.1/32"


def scm_error(exc: BaseException) -> tuple[int, int, str]:
    """(HTTP status, SCM code, description) of a refusal cert_manager raised (maybe wrapped)."""
    while not isinstance(exc, HTTPError) and exc.__cause__ is not None:
        exc = exc.__cause__
    assert isinstance(exc, HTTPError), exc
    body = exc.response.json()
    assert set(body) == {"code", "description"}, body
    return exc.response.status_code, body["code"], body["description"]


class Portal:
    """A browser-like session on the portal (CSRF token from the form, cookies kept)."""

    def __init__(self, base_url: str):
        self.base = base_url
        self.session = requests.Session()

    def _form_fields(self, html: str) -> dict[str, str]:
        return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))

    def login(self, login: str, password: str) -> requests.Response:
        page = self.session.get(f"{self.base}/customer/renater/")
        assert page.status_code == 200
        data = {**self._form_fields(page.text), "username": login, "password": password}
        data.setdefault("customer", "renater")
        return self.session.post(f"{self.base}/customer/renater/", data=data, headers={"Referer": page.url})

    def post(self, path: str, data: dict | None = None) -> requests.Response:
        token = self.session.cookies.get("csrftoken")
        return self.session.post(f"{self.base}{path}", data={"csrfmiddlewaretoken": token, **(data or {})},
                                 headers={"Referer": f"{self.base}/"})

    def close(self):
        self.session.close()


@pytest.fixture
def portal(live_server):
    sessions = []

    def make():
        sessions.append(Portal(live_server.url))
        return sessions[-1]

    yield make
    for session in sessions:
        session.close()


def test_seed_001_delegating_ssl_requests_to_a_third_party(connect, portal, live_server, settings, ssl, univ,
                                                          chemistry, rao_univ, csr):  # noqa: F811
    settings.API_RATE_LIMIT = settings.API_RATE_LIMIT_IP = "off"
    api = live_server.url + "/api"
    rao = connect("rao_univ")
    Org.objects.filter(pk=chemistry.pk).update(ssl_certs_api_enabled=True)

    # 1. The department, its Web API for SSL, its secret key (portal: shown once), its domains.
    created = rao.post(f"{api}/organization/v1", data={"name": "SSI RENATER", "parentOrgId": univ.pk,
                                                       "sslCertsApiEnabled": True})
    assert created.status_code == 201
    dept_id = int(created.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    browser = portal()
    assert browser.login("rao_univ", PASSWORD).status_code == 200
    shown = browser.post(f"/settings/access-control/web-api/{dept_id}/secret/")
    assert shown.status_code == 200 and shown.headers["Cache-Control"].startswith("no-store")
    secret = re.search(r'<p class="secret"[^>]*>([^<]+)</p>', shown.text).group(1).strip()
    assert len(secret) >= 24 and secret not in Org.objects.get(pk=dept_id).web_api_secret  # stored hashed
    domain = rao.post(f"{api}/domain/v1", data={"name": "idp.example.org",
                                                "delegations": [{"orgId": dept_id, "certTypes": ["SSL"]}]})
    assert domain.status_code == 201
    detail = rao.get(f"{api}/organization/v1/{dept_id}").json()
    assert detail["sslCertsApiEnabled"] is True and detail["webApiSecretKeySet"] is True

    # 2. The DRAO SSL of the department only, with "SSL auto approve" so its requests are issued at once.
    made = rao.post(f"{api}/admin/v1", data={
        "login": ROBOT, "email": "equipe-securite-reseau@listes.renater.example", "forename": "SSI RENATER",
        "surname": "API", "password": TEMPORARY, "credentials": [{"role": "DRAO_SSL", "orgId": dept_id}],
        "privileges": ["autoApproveCertificates"]})
    assert made.status_code == 201
    robot_id = int(made.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    # The third party's first call: everything but the password change is refused (-213) ...
    with pytest.raises(HTTPError) as refused:
        Organization(connect(ROBOT, TEMPORARY))
    assert scm_error(refused.value)[:2] == (401, -213)
    first = connect(ROBOT, TEMPORARY)
    assert first.post(f"{api}/admin/v1/changepassword", data={"newPassword": CHOSEN}).status_code == 204
    # ... then the RAO ticks "Web API Use Only".
    assert rao.put(f"{api}/admin/v1/{robot_id}", data={"privileges": ["autoApproveCertificates", "wsApiUseOnly"]}
                   ).json()["type"] == "API"
    robot_admin = Admin.objects.get(pk=robot_id)
    assert [c.role for c in robot_admin.credential_list()] == ["DRAO_SSL"]

    # 3. The IP ACL of the department: RENATER's address (here 127.0.0.1, the live server's loopback).
    assert rao.put(f"{api}/organization/v1/{dept_id}", data={"ipAcl": [ALLOWED_CIDR]}).status_code == 200

    # --- From the allowed address, with the unmodified client --------------------------------------
    robot = SSL(connect(ROBOT, CHOSEN))
    assert [o["id"] for o in Organization(connect(ROBOT, CHOSEN)).all()] == [dept_id]
    term = robot.types["OV SSL"]["terms"][-1]
    enrolled = robot.enroll(cert_type_name="OV SSL", csr=csr("idp.example.org"), term=term, org_id=dept_id,
                            external_requester="equipe-securite-reseau@listes.renater.example")
    ssl_id = enrolled["sslId"]
    assert enrolled["renewId"]
    leaf = x509.load_pem_x509_certificate(robot.collect(ssl_id, "x509CO").encode())
    assert leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName) == ["idp.example.org"]
    issued = robot.get(ssl_id)
    assert issued["status"] == "Issued" and issued["orgId"] == dept_id and issued["requestedVia"] == "Web API"
    assert int(issued["serialNumber"], 16) == leaf.serial_number
    assert len(x509.load_pem_x509_certificates(robot.collect(ssl_id, "x509").encode())) >= 2
    assert [c["sslId"] for c in robot.list()] == [ssl_id] and robot.count() == 1

    # The yearly renewal the seed automates: a new certificate, issued at once, the old one untouched.
    renewed = robot.renew(ssl_id)
    assert renewed["sslId"] != ssl_id and robot.get(renewed["sslId"])["status"] == "Issued"
    assert "BEGIN CERTIFICATE" in robot.collect(renewed["sslId"], "pemco")
    assert robot.revoke(ssl_id, reason="superseded by the renewal") == {}
    assert robot.get(ssl_id)["status"] == "Revoked"
    with pytest.raises(HTTPError) as refused:  # revoking twice: -159 already revoked
        robot.revoke(ssl_id, reason="again")
    assert scm_error(refused.value)[:2] == (400, -159)

    # A name not delegated to it (delegated and validated, but to the organization): -107 (not delegated), naming it.
    with pytest.raises(HTTPError) as refused:
        robot.enroll(cert_type_name="OV SSL", csr=csr("www.example.org"), term=term, org_id=dept_id)
    status, code, text = scm_error(refused.value)
    assert (status, code) == (400, -107) and "www.example.org" in text
    # A SAN not delegated to it, beside its own name: the whole request is refused.
    with pytest.raises(HTTPError) as refused:
        robot.enroll(cert_type_name="OV Multi-Domain", csr=csr("idp.example.org"), term=term, org_id=dept_id,
                     subject_alt_names=["lab.chemistry.example.org"])
    assert scm_error(refused.value)[:2] == (400, -107)
    # Another department: its orgId answers like a missing one (-1023), its names like undelegated ones.
    with pytest.raises(HTTPError) as refused:
        robot.enroll(cert_type_name="OV SSL", csr=csr("lab.chemistry.example.org"), term=term,
                     org_id=chemistry.pk)
    assert scm_error(refused.value)[:2] == (400, -1023)  # a body field: 400, as for any unknown orgId
    with pytest.raises(HTTPError) as refused:
        robot.enroll(cert_type_name="OV SSL", csr=csr("lab.chemistry.example.org"), term=term, org_id=dept_id)
    assert scm_error(refused.value)[:2] == (400, -107)
    # Certificates of others are invisible: collect, details, revoke answer -124 (not found).
    rao_ssl = SSL(rao)
    theirs = rao_ssl.enroll(cert_type_name="OV SSL", csr=csr("lab.chemistry.example.org"), term=term,
                            org_id=chemistry.pk)["sslId"]
    with pytest.raises(PendingError) as refused:
        robot.collect(theirs, "x509CO")
    assert scm_error(refused.value)[:2] == (404, -124)
    with pytest.raises(HTTPError) as refused:
        robot.revoke(theirs, reason="not mine")
    assert scm_error(refused.value)[:2] == (404, -124)
    assert rao_ssl.get(theirs)["status"] == "Issued"
    assert [c["sslId"] for c in robot.list()] == [renewed["sslId"], ssl_id]
    # Nothing around the certificates: no admins, no organization changes, no secret key.
    robot_client = connect(ROBOT, CHOSEN)
    with pytest.raises(HTTPError) as refused:
        robot_client.put(f"{api}/organization/v1/{dept_id}", data={"ipAcl": []})
    assert scm_error(refused.value)[0] == 403
    with pytest.raises(HTTPError) as refused:
        robot_client.post(f"{api}/admin/v1", data={"login": "sneaky", "credentials": [
            {"role": "DRAO_SSL", "orgId": dept_id}]})
    assert scm_error(refused.value)[0] == 403

    # "Web API Use Only": the portal refuses the account, with the right password.
    refused_login = portal().login(ROBOT, CHOSEN)
    assert refused_login.status_code == 200 and "This account may only use the REST API" in refused_login.text
    assert "sessionid" not in refused_login.cookies

    # --- From a forbidden address: the RAO moves the ACL off the robot's address -------------------
    assert rao.put(f"{api}/organization/v1/{dept_id}", data={"ipAcl": [FORBIDDEN_CIDR]}).status_code == 200
    outside = SSL(connect(ROBOT, CHOSEN))
    calls = [
        lambda: outside.types,
        lambda: list(outside.list()),
        lambda: outside.get(renewed["sslId"]),
        lambda: outside.collect(renewed["sslId"], "x509CO"),
        lambda: outside.enroll(cert_type_name="OV SSL", csr=csr("idp.example.org"), term=term, org_id=dept_id),
        lambda: outside.renew(renewed["sslId"]),
        lambda: outside.revoke(renewed["sslId"], reason="from outside"),
        lambda: Organization(connect(ROBOT, CHOSEN)),
        lambda: connect(ROBOT, CHOSEN).post(f"{api}/admin/v1/changepassword", data={"newPassword": "Other-Pass-01"}),
    ]
    before = Certificate.objects.count()
    for call in calls:
        with pytest.raises((HTTPError, PendingError)) as refused:
            call()
        assert scm_error(refused.value)[:2] == (401, -3), call
    assert Certificate.objects.count() == before
    assert rao_ssl.get(renewed["sslId"])["status"] == "Issued"  # the revoke from outside did nothing
    assert Admin.objects.get(pk=robot_id).check_password(CHOSEN)  # the password change from outside: refused
    # The wrong password from outside proves nothing either (-16, not -3: the ACL is not revealed).
    with pytest.raises(HTTPError) as refused:
        Organization(connect(ROBOT, "Wrong-Passw0rd-001"))
    assert scm_error(refused.value)[:2] == (401, -16)

    # Back to the allowed address: the same client works again at once.
    assert rao.put(f"{api}/organization/v1/{dept_id}", data={"ipAcl": [ALLOWED_CIDR]}).status_code == 200
    assert robot.get(renewed["sslId"])["status"] == "Issued"
    assert robot.revoke(renewed["sslId"], reason="service closed") == {}
    assert robot.get(renewed["sslId"])["status"] == "Revoked"
