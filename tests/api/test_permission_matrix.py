"""The permissions matrix of the REST API (issue 6), generated from ONE table.

Every endpoint of the API (enumerated from the URL resolver: a new endpoint without a row fails
`test_every_endpoint_has_a_row`) × nine actors, each case in a fresh database:

    mrao            MRAO of the customer
    rao             RAO of the object's organization (Universite de Lyon)
    drao            DRAO of the object's department (Physics)
    drao_other      DRAO of another department of the same organization (Chemistry)
    rao_other       RAO of another organization (Universite de Nantes)
    other_customer  MRAO of another customer (jisc)
    disabled        a disabled MRAO                                      → 401 everywhere
    api_only_portal the "Web API Use Only" robot with a portal session   → 401 everywhere
    wrong_ip        the MRAO from outside the customer's IP ACL          → 401 everywhere

Adding an endpoint is one line in ROWS:

    row("GET", "url-name", "path/{placeholder}", "mrao rao drao drao_other rao_other other_customer")

with the six expected HTTP statuses in that order (the last three actors are always refused);
`+` after a 200 means "the object is in the answer", `-` means "not in it" (lists filtered to the
scope), the object being `shows=` (a placeholder name). Placeholders: {univ} {physics}
{chemistry} {biology} (no admins) {nantes} {jisc_org} {target} (a DRAO of Physics) {validation}
(pending, of Lyon) {domain} (delegated to Physics, and REQUESTED for Lyon) {domain_name}
{token} (the drao's own API token) {notification} (Physics') {person} {person_email} (a person of
Physics); with `pki_row` (certificates and
ACME, built only for the rows that need them): {cert} (issued, of Physics) {request} (awaiting
approval, of Physics) {serial} {renew_id} {csr} {multi} (the OV Multi-Domain profile) {acme}
(Physics' ACME account) {acme_client} {imported} (a certificate of Physics signed elsewhere, imported)
{foreign} (the PEM of another, not imported).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import get_resolver

from certdesk.accounts import services as accounts
from certdesk.accounts.models import AccessControlEntry, ApiToken
from certdesk.api import urls as api_urls
from certdesk.domains.models import Delegation, Domain
from certdesk.domains.states import DelegationStatus
from certdesk.tenancy import services as tenancy
from certdesk.tenancy.models import Organization
from certdesk.tenancy.models import OrganizationValidation
from certdesk.tenancy.states import ValidationStatus
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
from tests.conftest import PASSWORD, actor_for

ACTORS = ("mrao", "rao", "drao", "drao_other", "rao_other", "other_customer", "disabled", "api_only_portal",
          "wrong_ip")
ALWAYS_REFUSED = {"disabled": 401, "api_only_portal": 401, "wrong_ip": 401}
PUBLIC = {"schema", "docs", "not-found"}  # no authentication: not in the matrix
ALLOWED_IP, WRONG_IP = "192.0.2.10", "203.0.113.66"


@dataclass(frozen=True)
class Row:
    method: str
    name: str
    path: str
    expected: dict[str, tuple[int, str]]
    body: Any = None
    shows: str | None = None
    query: dict = field(default_factory=dict)
    pki: bool = False


def row(method: str, name: str, path: str, expected: str, body: Any = None, *, shows: str | None = None,
        query: dict | None = None, pki: bool = False) -> Row:
    codes = expected.split()
    assert len(codes) == 6, f"{method} {name}: six statuses expected, got {expected!r}"
    parsed = {}
    for actor, code in zip(ACTORS, codes):
        mark = code[-1] if code[-1] in "+-" else ""
        parsed[actor] = (int(code.rstrip("+-")), mark)
    for actor, code in ALWAYS_REFUSED.items():
        parsed[actor] = (code, "")
    return Row(method, name, path, parsed, body, shows, query or {}, pki)


def pki_row(*args, **kwargs) -> Row:
    """A row whose objects are certificates or ACME accounts (the `pki` world: CAs, profiles, DCV)."""
    return row(*args, pki=True, **kwargs)


NEW_ORG = {"name": "Matrix Org", "address1": "1 rue", "city": "Lyon", "country": "FR"}
NEW_DEPT = {"name": "Matrix Dept", "parentOrgId": "{univ}"}
NEW_ADMIN = {"login": "matrix_new", "email": "new@univ-lyon.example", "forename": "New", "surname": "Admin",
             "password": "Matrix-Initial-Passw0rd", "credentials": [{"role": "DRAO_SSL", "orgId": "{physics}"}]}
NEW_RULE = {"type": "DCVValidated", "orgData": {"selectedOrgType": "SELECTED", "orgDelegations": ["{physics}"]},
            "recipientData": {"notifyRoles": ["DRAO"]}}

#                                                                              mrao rao drao d_oth r_oth other_cust
ROWS = [
    # Organizations and departments
    row("GET", "organization-list", "organization/v1", "200+ 200+ 200+ 200- 200- 200-", shows="physics"),
    row("POST", "organization-list", "organization/v1", "201 403 403 403 403 201", NEW_ORG),
    row("POST", "organization-list", "organization/v1", "201 201 400 400 400 400", NEW_DEPT),
    row("GET", "organization-managed-by", "organization/v1/managedBy/DRAO_SSL", "200+ 200+ 200+ 200- 200- 200-",
        shows="physics"),
    row("GET", "organization-managed-by-openapi", "organization/v1/managed-by/RAO_SSL",
        "200+ 200+ 200- 200- 200- 200-", shows="univ"),
    row("GET", "organization-report-type", "organization/v1/report-type/SSL", "200 200 200 200 200 200"),
    row("GET", "organization-detail", "organization/v1/{physics}", "200 200 200 404 404 404"),
    row("PUT", "organization-detail", "organization/v1/{physics}", "200 200 403 404 404 404", {"alias": "PHY"}),
    row("PUT", "organization-detail", "organization/v1/{physics}", "200 200 403 404 404 404",
        {"ipAcl": ["192.0.2.0/24"]}),
    row("PUT", "organization-detail", "organization/v1/{univ}", "200 403 404 404 404 404",
        {"ipAcl": ["192.0.2.0/24"]}),
    row("DELETE", "organization-detail", "organization/v1/{biology}", "204 403 404 404 404 404"),
    row("GET", "organization-validation-list", "organization/v2/{univ}/validations", "200 200 404 404 404 404"),
    row("POST", "organization-validation-submit", "organization/v2/{nantes}/validations/submit",
        "201 404 404 404 403 404"),
    row("GET", "organization-validation-detail", "organization/v2/{univ}/validations/{validation}",
        "200 200 404 404 404 404"),
    row("POST", "organization-validation-approve", "organization/v2/{univ}/validations/{validation}/approve",
        "204 403 404 404 404 404"),
    row("POST", "organization-validation-reject", "organization/v2/{univ}/validations/{validation}/reject",
        "204 403 404 404 404 404", {"reason": "Matrix"}),
    # Administrators
    row("GET", "admin-list", "admin/v1", "200+ 200+ 200+ 200- 200- 200-", shows="target"),
    row("POST", "admin-list", "admin/v1", "201 201 403 403 400 400", NEW_ADMIN),
    row("GET", "admin-roles", "admin/v1/roles", "200 200 200 200 200 200"),
    row("GET", "admin-privileges", "admin/v1/privileges", "200 200 200 200 200 200", query={"role": "DRAO_SSL"}),
    row("GET", "admin-password", "admin/v1/password", "200 200 200 200 200 200"),
    row("POST", "admin-changepassword", "admin/v1/changepassword", "204 204 204 204 204 204",
        {"newPassword": "Matrix-Chosen-Passw0rd"}),
    row("GET", "admin-idp", "admin/v1/idp", "200 200 200 200 200 200"),
    row("GET", "admin-detail", "admin/v1/{target}", "200 200 200 404 404 404"),
    row("PUT", "admin-detail", "admin/v1/{target}", "200 200 200 404 404 404", {"forename": "Matrix"}),
    row("DELETE", "admin-detail", "admin/v1/{target}", "204 204 403 404 404 404"),
    # API tokens: each admin sees only its own ({token} is the drao's)
    row("GET", "admin-token-list", "admin/v1/tokens", "200- 200- 200+ 200- 200- 200-", shows="token"),
    row("POST", "admin-token-list", "admin/v1/tokens", "201 201 201 201 201 201", {"name": "matrix"}),
    row("GET", "admin-token-detail", "admin/v1/tokens/{token}", "404 404 200 404 404 404"),
    row("DELETE", "admin-token-detail", "admin/v1/tokens/{token}", "404 404 204 404 404 404"),
    # Domains
    row("GET", "domain-list", "domain/v1", "200+ 200+ 200+ 200- 200- 200-", shows="domain"),
    row("POST", "domain-list", "domain/v1", "201 201 403 400 400 400",
        {"name": "new.univ-lyon.test", "delegations": [{"orgId": "{physics}", "certTypes": ["SSL"]}]}),
    row("GET", "domain-count", "domain/v1/count", "200 200 200 200 200 200"),
    row("POST", "domain-bulk-delegation", "domain/v1/delegation", "200 200 400 404 404 404",
        {"domainIds": ["{domain}"], "orgId": "{chemistry}", "certTypes": ["SSL"]}),
    row("GET", "domain-detail", "domain/v1/{domain}", "200 200 200 404 404 404"),
    row("DELETE", "domain-detail", "domain/v1/{domain}", "204 403 403 404 404 404"),
    row("PUT", "domain-activate", "domain/v1/{domain}/activate", "200 403 403 404 404 404"),
    row("PUT", "domain-suspend", "domain/v1/{domain}/suspend", "200 403 403 404 404 404"),
    row("POST", "domain-delegation", "domain/v1/{domain}/delegation", "200 200 400 404 404 404",
        {"orgId": "{chemistry}", "certTypes": ["SSL"]}),
    row("DELETE", "domain-delegation", "domain/v1/{domain}/delegation", "200 200 403 404 404 404",
        {"orgId": "{physics}"}),
    row("POST", "domain-delegation-approve", "domain/v1/{domain}/delegation/approve", "200 200 400 404 404 404",
        {"orgId": "{univ}"}),
    row("POST", "domain-delegation-reject", "domain/v1/{domain}/delegation/reject", "200 200 400 404 404 404",
        {"orgId": "{univ}"}),
    # Domain control validation
    row("GET", "dcv-list", "dcv/v1/validation", "200+ 200+ 200+ 200- 200- 200-", shows="domain_name"),
    row("POST", "dcv-status", "dcv/v1/validation/status", "200 200 200 404 404 404",
        {"domain": "physics.univ-lyon.test"}),
    row("POST", "dcv-sync", "dcv/v1/validation/sync", "200 200 200 404 404 404",
        {"domain": "physics.univ-lyon.test"}),
    row("POST", "dcv-clear", "dcv/v1/validation/clear", "200 200 200 404 404 404",
        {"domain": "physics.univ-lyon.test"}),
    row("POST", "dcv-delete", "dcv/v1/validation/delete", "200 200 200 404 404 404",
        {"domain": "physics.univ-lyon.test"}),
    row("POST", "dcv-start", "dcv/v1/validation/start/domain/cname", "200 200 200 404 404 404",
        {"domain": "physics.univ-lyon.test"}),
    row("POST", "dcv-submit", "dcv/v1/validation/submit/domain/email", "200 200 200 404 404 404",
        {"domain": "physics.univ-lyon.test", "email": "hostmaster@physics.univ-lyon.test"}),
    row("POST", "dcv-submit-bulk-email", "dcv/v1/validation/submit-bulk/domain/email",
        "200 200 200 404 404 404",
        {"domains": ["physics.univ-lyon.test"], "email": "admin@physics.univ-lyon.test"}),
    # Notifications
    row("GET", "notification-list", "notification/v1", "200+ 200+ 200+ 200- 200- 200-", shows="notification"),
    row("POST", "notification-list", "notification/v1", "201 201 201 404 404 404", NEW_RULE),
    row("GET", "notification-types", "notification/v1/types", "200 200 200 200 200 200"),
    row("GET", "notification-detail", "notification/v1/{notification}", "200 200 200 404 404 404"),
    row("PUT", "notification-detail", "notification/v1/{notification}", "200 200 200 404 404 404",
        {"description": "Matrix"}),
    row("DELETE", "notification-detail", "notification/v1/{notification}", "200 200 200 404 404 404"),
    row("GET", "report-notification-log", "report/v1/notification-log", "200 200 200 200 200 200"),
    row("POST", "report-notification-log", "report/v1/notification-log", "200 200 200 200 200 200", {}),
    row("POST", "report-activity", "report/v1/activity", "200 200 200 200 200 200", {}),
    row("POST", "report-domains", "report/v1/domains", "200 200 200 200 200 200"),
    # Persons: client-certificate administration (MRAO, RAO/DRAO SMIME); the RAO and DRAOs here are SSL
    # admins, so they see no person ({person}: of Physics) and may add none (403 where they cover the
    # organization, 400 "organization not found" elsewhere)
    row("GET", "person-list", "person/v1", "200+ 200- 200- 200- 200- 200-", shows="person"),
    row("POST", "person-list", "person/v2", "201 403 403 400 400 400",
        {"firstName": "Matrix", "lastName": "Person", "email": "matrix@people.univ-lyon.test",
         "organizationId": "{physics}"}),
    row("GET", "person-by-email", "person/v1/id/byEmail/{person_email}", "200 404 404 404 404 404"),
    row("GET", "person-detail", "person/v1/{person}", "200 404 404 404 404 404"),
    row("PUT", "person-detail", "person/v2/{person}", "200 404 404 404 404 404", {"phone": "+33 1 02 03"}),
    row("DELETE", "person-detail", "person/v1/{person}", "200 404 404 404 404 404"),
    # SSL certificates: Lyon, Physics and Chemistry have their Web API enabled for SSL, Nantes and
    # jisc's organization do not (so their admins are refused at once, 403). Changing details needs
    # sslManage (neither the RAO nor the DRAO here has it); approving and declining need sslApprove,
    # which MRAO and RAO SSL carry with their role and the DRAO here was not granted; revoking needs an
    # SSL role on the certificate's organization or department (certdesk has no sslRevoke).
    pki_row("GET", "ssl-types", "ssl/v1/types", "200 200 200 200 403 403"),
    pki_row("GET", "ssl-custom-fields", "ssl/v1/customFields", "200 200 200 200 403 403"),
    pki_row("GET", "ssl-list", "ssl/v1", "200+ 200+ 200+ 200- 403 403", shows="cert"),
    pki_row("PUT", "ssl-list", "ssl/v1", "200 403 403 404 403 403", {"sslId": "{cert}", "comments": "matrix"}),
    pki_row("POST", "ssl-enroll", "ssl/v1/enroll", "200 200 200 400 403 403",
            {"orgId": "{physics}", "csr": "{csr}", "certType": "{multi}", "term": 365}),
    pki_row("GET", "ssl-detail", "ssl/v1/{cert}", "200 200 200 404 403 403"),
    pki_row("GET", "ssl-collect", "ssl/v1/collect/{cert}", "200 200 200 404 403 403"),
    pki_row("GET", "ssl-collect-format", "ssl/v1/collect/{cert}/x509CO", "200 200 200 404 403 403"),
    pki_row("POST", "ssl-approve", "ssl/v1/approve/{request}", "204 204 403 404 403 403", {"message": "ok"}),
    pki_row("POST", "ssl-decline", "ssl/v1/decline/{request}", "204 204 403 404 403 403", {"message": "no"}),
    pki_row("POST", "ssl-revoke", "ssl/v1/revoke/{cert}", "204 204 204 404 403 403", {"reason": "matrix"}),
    pki_row("POST", "ssl-revoke-serial", "ssl/v1/revoke/serial/{serial}", "204 204 204 404 403 403",
            {"reason": "matrix"}),
    pki_row("POST", "ssl-renew-by-id", "ssl/v1/renewById/{cert}", "200 200 200 404 403 403"),
    pki_row("POST", "ssl-renew", "ssl/v1/renew/{renew_id}", "204 204 204 404 403 403"),
    pki_row("POST", "ssl-replace", "ssl/v1/replace/{cert}", "204 204 204 404 403 403",
            {"csr": "{csr}", "reason": "rekey", "commonName": "host.physics.example.org"}),
    # Certificates signed elsewhere ({imported}: one of Physics'; {foreign}: another, not yet imported)
    pki_row("POST", "ssl-import", "ssl/v2/import", "200 200 200 400 403 403",
            [{"orgID": "{physics}", "cert": "{foreign}"}]),
    pki_row("DELETE", "ssl-detail", "ssl/v1/{imported}", "204 204 204 404 403 403"),
    pki_row("POST", "ssl-revoke-manual", "ssl/v1/revoke/manual", "204 204 204 404 403 403",
            {"certId": "{imported}", "reasonCode": 1}),
    pki_row("POST", "report-ssl-certificates", "report/v1/ssl-certificates", "200 200 200 200 403 403", {}),
    # Client certificates: Lyon, Physics and Chemistry have their Web API enabled for client certificates.
    # The RAO and DRAOs here are SSL admins: no client-certificate role, so refused at once (403), like
    # jisc's MRAO, whose organization has no client-certificate Web API ({smime_cert}: issued, with an
    # escrowed key, for Paula of Physics; {smime_request}: awaiting approval)
    pki_row("GET", "smime-types", "smime/v1/types", "200 403 403 403 403 403"),
    pki_row("GET", "smime-custom-fields", "smime/v1/customFields", "200 403 403 403 403 403"),
    pki_row("GET", "smime-list", "smime/v2", "200+ 403 403 403 403 403", shows="smime_cert"),
    pki_row("POST", "report-client-certificates", "report/v1/client-certificates", "200 403 403 403 403 403", {}),
    pki_row("GET", "smime-by-person-id", "smime/v2/byPersonId/{person}", "200+ 403 403 403 403 403",
            shows="smime_cert"),
    pki_row("GET", "smime-by-person-email", "smime/v2/byPersonEmail/{person_email}", "200+ 403 403 403 403 403",
            shows="smime_cert"),
    pki_row("GET", "smime-detail", "smime/v1/{smime_cert}", "200 403 403 403 403 403"),
    pki_row("PUT", "smime-detail", "smime/v1/{smime_cert}", "200 403 403 403 403 403", {"comments": "matrix"}),
    pki_row("POST", "smime-enroll", "smime/v1/enroll", "200 403 403 403 403 403",
            {"orgId": "{physics}", "certType": "{personal}", "term": 365, "email": "{person_email}"}),
    pki_row("GET", "smime-collect", "smime/v1/collect/{smime_cert}", "200 403 403 403 403 403"),
    pki_row("GET", "smime-collect-format", "smime/v1/collect/{smime_cert}/x509CO", "200 403 403 403 403 403"),
    pki_row("POST", "smime-keystore", "smime/v1/keystore/{smime_cert}", "200 403 403 403 403 403",
            {"passphrase": "Matrix-Passphrase-1"}),
    pki_row("POST", "smime-approve", "smime/v1/approve/{smime_request}", "204 403 403 403 403 403", {"message": "ok"}),
    pki_row("POST", "smime-decline", "smime/v1/decline/{smime_request}", "204 403 403 403 403 403", {"message": "no"}),
    pki_row("POST", "smime-revoke-person", "smime/v1/revoke", "204 403 403 403 403 403",
            {"email": "{person_email}", "reason": "matrix"}),
    pki_row("POST", "smime-revoke-order", "smime/v1/revoke/order/{smime_cert}", "204 403 403 403 403 403",
            {"reason": "matrix"}),
    pki_row("POST", "smime-revoke-serial", "smime/v1/revoke/serial/{smime_serial}", "204 403 403 403 403 403",
            {"reason": "matrix"}),
    pki_row("POST", "smime-renew-order", "smime/v2/renew/order/{smime_cert}", "200 403 403 403 403 403"),
    pki_row("POST", "smime-renew-serial", "smime/v2/renew/serial/{smime_serial}", "200 403 403 403 403 403"),
    pki_row("POST", "smime-replace", "smime/v2/replace/order/{smime_cert}", "200 403 403 403 403 403",
            {"reason": "rekey"}),
    # Paula's own PKCS#12 (its key already in escrow: 200, the entry says so)
    pki_row("POST", "person-import-key", "person/v2/{person}/import-key", "200 403 403 403 403 403",
            {"p12": "{own_p12}", "password": "matrix-pass"}),
    # Paula's invitation to create her client certificate (the persons' scope: 404 for the SSL admins)
    pki_row("POST", "person-invitation-send", "person/v2/{person}/invitation/send", "202 404 404 404 404 404",
            {"accountId": 1, "certType": "{personal}", "term": 365}),
    # ACME accounts ({acme}: Physics', with *.physics.example.org bound and one client)
    pki_row("GET", "acme-server-list", "acme/v1/server", "200 200 200 200 200 200"),
    pki_row("GET", "acme-account-list", "acme/v2/account", "200+ 200+ 200+ 200- 200- 200-", shows="acme"),
    pki_row("POST", "acme-account-list", "acme/v2/account", "201 201 201 404 404 404",
            {"name": "matrix", "acmeServer": "OV", "organizationId": "{physics}"}),
    pki_row("GET", "acme-account-detail", "acme/v2/account/{acme}", "200 200 200 404 404 404"),
    pki_row("PUT", "acme-account-detail", "acme/v2/account/{acme}", "200 200 200 404 404 404", {"name": "renamed"}),
    pki_row("DELETE", "acme-account-detail", "acme/v2/account/{acme}", "204 204 204 404 404 404"),
    pki_row("GET", "acme-account-domain", "acme/v2/account/{acme}/domain", "200 200 200 404 404 404"),
    pki_row("POST", "acme-account-domain", "acme/v2/account/{acme}/domain", "200 200 200 404 404 404",
            {"domains": [{"name": "*.physics.example.org"}]}),
    pki_row("DELETE", "acme-account-domain", "acme/v2/account/{acme}/domain", "200 200 200 404 404 404",
            {"domains": [{"name": "*.physics.example.org"}]}),
    pki_row("GET", "acme-account-domains-v1", "acme/v1/account/{acme}/domains", "200 200 200 404 404 404"),
    pki_row("POST", "acme-account-domains-v1", "acme/v1/account/{acme}/domains", "200 200 200 404 404 404",
            {"domains": [{"name": "*.physics.example.org"}]}),
    pki_row("DELETE", "acme-account-domains-v1", "acme/v1/account/{acme}/domains", "200 200 200 404 404 404",
            {"domains": [{"name": "*.physics.example.org"}]}),
    pki_row("GET", "acme-account-client-list", "acme/v2/account/{acme}/client", "200 200 200 404 404 404"),
    pki_row("PUT", "acme-account-client-detail", "acme/v2/account/{acme}/client/{acme_client}",
            "204 204 204 404 404 404"),
]

# ---------------------------------------------------------------------------
# The world every case starts from


@pytest.fixture
def world(settings, mrao, mrao2, mrao_actor, univ, physics, chemistry, rao_univ, drao_physics, drao_chemistry,
          other_org, rao_other, other_mrao, other_customer_org):
    settings.API_RATE_LIMIT = "off"
    settings.API_RATE_LIMIT_IP = "off"
    settings.DNS_TIMEOUT = 0.2
    target = accounts.create_admin(
        mrao_actor, login="target_drao", email="target@physics.univ-lyon.example", forename="Tara", surname="Get",
        password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}], privileges=[],
        must_change_password=False)
    disabled = accounts.create_admin(
        mrao_actor, login="mrao_disabled", email="off@renater.example", forename="Dis", surname="Abled",
        password=PASSWORD, credentials=[{"role": "MRAO"}], privileges=[], must_change_password=False)
    accounts.set_admin_active(mrao_actor, disabled, False)
    robot = accounts.create_admin(
        mrao_actor, login="robot_physics", email="robot@physics.univ-lyon.example", forename="Api", surname="Robot",
        password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}], privileges=[], type="API",
        must_change_password=False)
    # A pending validation of Lyon, submitted by the second MRAO (so the first may decide it).
    validation = OrganizationValidation.objects.create(organization=univ, submitted_by=mrao2)
    type(univ).objects.filter(pk=univ.pk).update(validation_status=ValidationStatus.PENDING)
    from certdesk.domains import services as domains

    # Delegated to Physics (ACTIVE) and to Lyon itself (REQUESTED, to be approved or rejected).
    domain = domains.create_domain(mrao_actor, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])
    Delegation.objects.create(domain=domain, organization=univ, cert_types=["SSL"],
                              status=DelegationStatus.REQUESTED)
    biology = tenancy.create_department(mrao_actor, univ, name="Biology")  # nobody's: may be deleted
    from certdesk.accounts import access

    token, _raw = access.create_api_token(actor_for(drao_physics), name="drao script")
    from certdesk.notifications import services as notifications

    rule = notifications.create_rule(mrao_actor, type="DCVValidated", organization=physics, notify_roles=["DRAO"])
    from certdesk.persons.models import Person

    # A domain for persons' emails, delegated to Physics for client certificates, and a person of Physics.
    people_domain = Domain.objects.create(customer=mrao.customer, name="people.univ-lyon.test")
    Delegation.objects.create(domain=people_domain, organization=physics, cert_types=["SMIME"],
                              status=DelegationStatus.ACTIVE)
    person = Person.objects.create(customer=mrao.customer, organization=physics, email="paula@people.univ-lyon.test",
                                   first_name="Paula", last_name="Physique", common_name="Paula Physique")
    ids = {"univ": univ.pk, "physics": physics.pk, "chemistry": chemistry.pk, "nantes": other_org.pk,
           "jisc_org": other_customer_org.pk, "target": target.pk, "validation": validation.pk,
           "domain": domain.pk, "domain_name": domain.name, "token": token.pk, "notification": rule.pk,
           "biology": biology.pk, "person": person.pk, "person_email": person.email}
    people = {"mrao": (mrao, "renater"), "rao": (rao_univ, "renater"), "drao": (drao_physics, "renater"),
              "drao_other": (drao_chemistry, "renater"), "rao_other": (rao_other, "renater"),
              "other_customer": (other_mrao, "jisc"), "disabled": (disabled, "renater"),
              "api_only_portal": (robot, "renater"), "wrong_ip": (mrao, "renater")}
    return ids, people


def _fill(value, ids):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value[1:-1] in ids:
        return ids[value[1:-1]]
    if isinstance(value, str):
        return value.format(**ids)
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    return value


def _ids_in(data) -> set:
    """Ids (and domain names) an answer names: the values of its `id`, `orgId`, `sslId`, `domain` keys."""
    found: set = set()
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("id", "orgId", "domain", "sslId") and isinstance(value, (int, str)):
                found.add(value)
            found |= _ids_in(value)
    elif isinstance(data, list):
        for item in data:
            found |= _ids_in(item)
    return found


def call(client, people, actor: str, method: str, path: str, body=None, query=None):
    """One request as `actor`: SCM headers, except the robot (a portal session) and the wrong address."""
    admin, customer = people[actor]
    extra = {"REMOTE_ADDR": WRONG_IP if actor == "wrong_ip" else ALLOWED_IP}
    headers = {}
    if actor == "api_only_portal":
        client.force_login(admin, backend="certdesk.accounts.backends.AdminBackend")
    else:
        headers = {"login": admin.login, "password": PASSWORD, "customerUri": customer}
    url = f"/api/{path}"
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    data = b"" if body is None else json.dumps(body).encode()
    return client.generic(method, url, data, content_type="application/json", headers=headers, **extra)


class _Undo(Exception):
    """Raised to roll a savepoint back: every actor starts from the same world."""


def _check(client, people, ids, entry: Row, actor: str) -> str | None:
    """The request of one cell of the matrix; a description of the mismatch, or None."""
    if actor == "wrong_ip":
        customer = people["mrao"][0].customer
        AccessControlEntry.objects.create(customer=customer, organization=None, network="192.0.2.0/24")
    expected, mark = entry.expected[actor]
    response = call(client, people, actor, entry.method, _fill(entry.path, ids), _fill(entry.body, ids),
                    entry.query)
    where = f"{entry.method} /api/{entry.path} as {actor}"
    if response.status_code != expected:
        return f"{where}: expected {expected}, got {response.status_code} {response.content[:300]!r}"
    if response.status_code >= 400:
        body = response.json()
        if set(body) != {"code", "description"} or not isinstance(body["code"], int):
            return f"{where}: not an SCM error: {body!r}"
    if mark and (ids[entry.shows] in _ids_in(response.json())) != (mark == "+"):
        return f"{where}: {entry.shows} {'missing from' if mark == '+' else 'leaks into'} the answer"
    return None


@pytest.mark.parametrize("entry", [pytest.param(r, id=f"{r.method} {r.path}") for r in ROWS])
def test_matrix(request, world, entry: Row):
    """One row: its world is built once, and each actor's request runs in a savepoint rolled back
    afterwards, so all nine start from the same state (and the row costs one world, not nine)."""
    ids, people = world
    if entry.pki:
        ids = {**ids, **request.getfixturevalue("pki")}
    problems = []
    for actor in ACTORS:
        try:
            with transaction.atomic():
                problems.append(_check(Client(), people, ids, entry, actor))
                raise _Undo
        except _Undo:
            pass
    problems = [p for p in problems if p]
    assert not problems, "\n".join(problems)


@pytest.fixture
def pki(settings, monkeypatch, ca_keys, world, ssl, csr, mrao, rao_univ, drao_physics, univ, physics, chemistry):
    """Certificates and an ACME account of Physics, on the CAs, profiles and DCV-validated domains of
    tests/certificates (`*.physics.example.org` is Physics')."""
    from certdesk.acme import services as acme
    from certdesk.acme.models import AcmeClient
    from certdesk.api.ssl import renew_id
    from certdesk.certificates import services as certificates
    from certdesk.certificates.states import Status

    from certdesk.ca import keystore
    from certdesk.ca.models import CertificateAuthority

    # Speed only (the matrix checks who may do what, not the CA): no pkilint, and the session's CA
    # keys instead of decrypting a fresh RSA-4096 key file in every case.
    settings.LINT_BEFORE_SIGNING = False
    monkeypatch.setattr(keystore, "load_key",
                        lambda key_ref: ca_keys[CertificateAuthority.objects.get(key_ref=key_ref).slug])
    Organization.objects.filter(pk__in=[univ.pk, physics.pk, chemistry.pk]).update(ssl_certs_api_enabled=True)
    # The base world left Lyon's validation pending (for the validation rows); certificates need it VALIDATED.
    Organization.objects.filter(pk=univ.pk).update(validation_status=ValidationStatus.VALIDATED)
    physics.refresh_from_db()
    multi, ov = ssl["profiles"]["OV Multi-Domain"], ssl["profiles"]["OV SSL"]
    issued = certificates.request_ssl(actor_for(rao_univ), organization=physics, profile=multi,
                                      csr_pem=csr("host.physics.example.org"), term=365)
    requested = certificates.request_ssl(actor_for(drao_physics), organization=physics, profile=ov,
                                         csr_pem=csr("www.physics.example.org"), term=365)
    assert (issued.status, requested.status) == (Status.ISSUED, Status.REQUESTED)
    account = acme.create_account(actor_for(mrao), organization=physics, endpoint_name="OV", name="physics",
                                  domains=["*.physics.example.org"])
    client = AcmeClient.objects.create(account=account, jwk={"kty": "EC"}, thumbprint="matrix-thumbprint")
    from certdesk.certificates import imports
    from tests.api.test_ssl_import import foreign_certificate

    legacy = imports.import_certificate(actor_for(mrao), organization=physics,
                                        certificate_text=foreign_certificate("legacy.physics.example.org"))
    # Client certificates of Paula (the world's person of Physics)
    from certdesk.certificates import smime
    from certdesk.certificates.models import Profile
    from certdesk.persons.models import Person

    Organization.objects.filter(pk__in=[univ.pk, physics.pk, chemistry.pk]).update(client_certs_api_enabled=True)
    Organization.objects.filter(pk=univ.pk).update(ev_registration_number="19691774100013")
    physics.refresh_from_db()
    personal, _ = Profile.objects.get_or_create(
        customer=None, kind="SMIME", name="GÉANT Personal Certificate",
        defaults={"terms": [365, 730], "key_types": {"RSA": ["2048"], "EC": ["P-256"]}, "max_sans": 20})
    paula = Person.objects.get(email="paula@people.univ-lyon.test")
    smime_cert = smime.request_smime(actor_for(mrao), paula, personal, 365, key_algorithm="EC")
    smime_request = smime.request_smime(actor_for(mrao), paula, personal, 365, key_algorithm="EC", auto_approve=False)
    assert (smime_cert.status, smime_request.status) == (Status.ISSUED, Status.REQUESTED), smime_cert.reason
    import base64

    own_p12 = base64.b64encode(smime.keystore(actor_for(mrao), smime_cert, passphrase="matrix-pass")).decode()
    return {"smime_cert": smime_cert.pk, "own_p12": own_p12, "smime_request": smime_request.pk, "personal": personal.pk,
            "smime_serial": f"{int(smime_cert.serial_hex, 16):X}","cert": issued.pk, "request": requested.pk, "serial": f"{int(issued.serial_hex, 16):X}",
            "renew_id": renew_id(issued), "csr": csr("host.physics.example.org", key="rsa2048b"),
            "multi": multi.pk, "acme": account.pk, "acme_client": client.pk, "imported": legacy.pk,
            "foreign": foreign_certificate("new.physics.example.org")}


# ---------------------------------------------------------------------------
# No endpoint without a row


def api_endpoints() -> set[tuple[str, str]]:
    """(METHOD, url name) of every authenticated endpoint under /api, from the URL resolver."""
    resolver = get_resolver()
    api = next(p for p in resolver.url_patterns if getattr(p, "urlconf_name", None) is api_urls
               or getattr(getattr(p, "urlconf_module", None), "__name__", "") == "certdesk.api.urls")
    endpoints = set()
    for pattern in api.url_patterns:
        if pattern.name in PUBLIC:
            continue
        view = getattr(pattern.callback, "cls", None) or getattr(pattern.callback, "view_class", None)
        assert view is not None, f"{pattern.name}: not a class-based view"
        for method in ("get", "post", "put", "patch", "delete"):
            if hasattr(view, method):
                endpoints.add((method.upper(), pattern.name))
    return endpoints


def test_every_endpoint_has_a_row():
    covered = {(r.method, r.name) for r in ROWS}
    missing = sorted(api_endpoints() - covered)
    assert not missing, (
        "Endpoints without a row in tests/api/test_permission_matrix.py ROWS (add one line each: "
        'row(METHOD, "url-name", "path", "mrao rao drao drao_other rao_other other_customer")): '
        + ", ".join(f"{m} {n}" for m, n in missing))
    stale = sorted(covered - api_endpoints())
    assert not stale, "Rows for endpoints that no longer exist: " + ", ".join(f"{m} {n}" for m, n in stale)


def test_certificate_views_declare_their_type():
    """SSL and client-certificate views must gate on the Web API switch (ScmView.api_cert_type)."""
    undeclared = []
    resolver = get_resolver()
    api = next(p for p in resolver.url_patterns
               if getattr(getattr(p, "urlconf_module", None), "__name__", "") == "certdesk.api.urls")
    for pattern in api.url_patterns:
        regex = pattern.pattern.regex.pattern
        family = next((f for f in ("ssl/", "smime/") if regex.startswith("^" + f)), None)
        view = getattr(pattern.callback, "cls", None)
        if family and view is not None and not getattr(view, "api_cert_type", None):
            undeclared.append(pattern.name)
    assert not undeclared, f"set api_cert_type on: {', '.join(undeclared)}"


def test_tokens_are_the_drao_s_only(world):
    ids, _people = world
    assert ApiToken.objects.get(pk=ids["token"]).admin.login == "drao_physics"
