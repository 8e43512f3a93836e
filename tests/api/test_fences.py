"""The fences of the REST API (issue 6): IP access-control lists, the Web API switch and secret key,
API tokens, client certificates, rate limits; seed 001's lock-down end to end; bad input on every
write endpoint."""
from __future__ import annotations

import ipaddress
import json
from datetime import UTC, datetime, timedelta
from unittest import mock
from urllib.parse import quote

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.exceptions import ImproperlyConfigured
from django.urls import get_resolver
from django.utils import timezone as djtz

from certdesk.accounts import access, policy, ratelimit
from certdesk.accounts import services as accounts
from certdesk.accounts.models import (
    AccessControlEntry,
    Admin,
    ApiToken,
    LoginFailure,
    RateCounter,
)
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from certdesk.core.models import AuditEvent
from certdesk.tenancy.models import Organization
from tests.api.conftest import error_of
from tests.conftest import PASSWORD, actor_for

ORGS = "/api/organization/v1"
ALLOWED, OTHER = "192.0.2.10", "203.0.113.7"
PROXY = "10.0.0.1"


def send(client, method="get", path=ORGS, *, who=None, password=PASSWORD, customer="renater", ip=ALLOWED,
         body=None, headers=None, **environ):
    """One API request from address `ip` (REMOTE_ADDR), as `who` with the SCM headers (if given)."""
    all_headers = {}
    if who is not None:
        all_headers.update({"login": getattr(who, "login", who), "customerUri": customer})
        if password is not None:
            all_headers["password"] = password
    all_headers.update(headers or {})
    data = b"" if body is None else (body if isinstance(body, (bytes, str)) else json.dumps(body))
    return client.generic(method.upper(), path, data, content_type="application/json", headers=all_headers,
                          REMOTE_ADDR=ip, **environ)


def api_actor(admin, ip=ALLOWED) -> Actor:
    return Actor.for_admin(admin, Interface.API, ip=ip)


@pytest.fixture
def no_rate_limits(settings):
    settings.API_RATE_LIMIT = "off"
    settings.API_RATE_LIMIT_IP = "off"


@pytest.fixture
def proxy(settings):
    settings.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network(f"{PROXY}/32")]
    return PROXY


def acl(customer, organization, *networks):
    for network in networks:
        AccessControlEntry.objects.create(customer=customer, organization=organization,
                                          network=access.parse_network(network))


# ---------------------------------------------------------------------------
# IP access-control lists: the networks


@pytest.mark.parametrize(("given", "stored"), [
    ("195.98.237.2", "195.98.237.2/32"),
    ("195.98.237.2/32", "195.98.237.2/32"),
    (" 10.1.2.3/16 ", "10.1.0.0/16"),
    ("2001:db8::1/48", "2001:db8::/48"),
    ("2001:DB8::1", "2001:db8::1/128"),
    ("::ffff:192.0.2.0/120", "192.0.2.0/24"),
    ("0.0.0.0/0", "0.0.0.0/0"),
])
def test_networks_are_normalized(given, stored):
    assert access.parse_network(given) == stored


@pytest.mark.parametrize("bad", ["", "   ", None, 5, ["10.0.0.0/8"], "nope", "300.1.1.1/8", "1.2.3.4/33",
                                 "10.0.0.0/8; DROP TABLE accounts_admin", "{{7*7}}", "1.2.3.4\x00", "a" * 100,
                                 "fe80::/10%eth0/"])
def test_bad_networks_are_refused(bad):
    with pytest.raises(InvalidInput):
        access.parse_network(bad)


# ---------------------------------------------------------------------------
# IP access-control lists: who is bound, on the API


def test_department_acl_binds_its_drao_only(client, customer, physics, drao_physics, rao_univ, mrao,
                                            drao_chemistry):
    acl(customer, physics, "192.0.2.0/24", "2001:db8::/32")
    assert send(client, who=drao_physics, ip="192.0.2.99").status_code == 200
    assert send(client, who=drao_physics, ip="2001:db8::5").status_code == 200
    assert send(client, who=drao_physics, ip="::ffff:192.0.2.7").status_code == 200  # IPv4-mapped
    status, code, description = error_of(send(client, who=drao_physics, ip=OTHER))
    assert (status, code) == (401, -3)
    assert OTHER in description and "access control list" in description
    # Nobody else's credentials sit on Physics: the RAO of Lyon, the MRAO, the other DRAO come from anywhere.
    for admin in (rao_univ, mrao, drao_chemistry):
        assert send(client, who=admin, ip=OTHER).status_code == 200


def test_organization_acl_binds_its_rao_not_the_departments_third_party(client, customer, univ, physics,
                                                                       rao_univ, drao_physics):
    # Seed 001: the university's own network does not bind the DRAO given to a third party.
    acl(customer, univ, "192.0.2.0/24")
    assert error_of(send(client, who=rao_univ, ip=OTHER))[:2] == (401, -3)
    assert send(client, who=rao_univ, ip=ALLOWED).status_code == 200
    assert send(client, who=drao_physics, ip=OTHER).status_code == 200


def test_customer_acl_binds_mraos_only(client, customer, mrao, rao_univ):
    acl(customer, None, "192.0.2.0/24")
    assert error_of(send(client, who=mrao, ip=OTHER))[:2] == (401, -3)
    assert send(client, who=mrao, ip=ALLOWED).status_code == 200
    assert send(client, who=rao_univ, ip=OTHER).status_code == 200


def test_an_admin_must_match_every_acl_that_binds_it(client, customer, mrao_actor, univ, physics, other_org):
    both = accounts.create_admin(
        mrao_actor, login="two_hats", email="two@univ.example", forename="Two", surname="Hats", password=PASSWORD,
        credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}, {"role": "RAO_SSL", "orgId": other_org.pk}],
        must_change_password=False)
    acl(customer, physics, "192.0.2.0/24")
    acl(customer, other_org, "192.0.2.0/28", "198.51.100.0/24")
    assert send(client, who=both, ip="192.0.2.5").status_code == 200  # in both
    assert send(client, who=both, ip="192.0.2.99").status_code == 401  # only in Physics'
    assert send(client, who=both, ip="198.51.100.1").status_code == 401  # only in Nantes'


def test_acl_applies_to_cached_credentials_at_once(client, customer, physics, drao_physics, no_rate_limits):
    assert send(client, who=drao_physics, ip=OTHER).status_code == 200  # verified and cached
    acl(customer, physics, "192.0.2.0/24")
    assert send(client, who=drao_physics, ip=OTHER).status_code == 401  # the cache hit is fenced too
    AccessControlEntry.objects.all().delete()
    assert send(client, who=drao_physics, ip=OTHER).status_code == 200


def test_refused_address_still_proves_nothing_without_the_password(client, customer, physics, drao_physics):
    acl(customer, physics, "192.0.2.0/24")
    status, code, description = error_of(send(client, who=drao_physics, password="wrong-password-1", ip=OTHER))
    assert (status, code) == (401, -16) and OTHER not in description


def test_forwarded_for_is_believed_only_from_trusted_proxies(client, customer, physics, drao_physics, proxy):
    acl(customer, physics, "192.0.2.0/24")
    via_proxy = {"HTTP_X_FORWARDED_FOR": ALLOWED}
    assert send(client, who=drao_physics, ip=PROXY, **via_proxy).status_code == 200
    assert send(client, who=drao_physics, ip=PROXY, HTTP_X_FORWARDED_FOR=OTHER).status_code == 401
    # From anyone else the header is ignored: the peer's own address counts.
    assert send(client, who=drao_physics, ip="198.51.100.9", **via_proxy).status_code == 401
    # A client cannot prepend an allowed address: the hop the proxy saw (the last one) counts.
    spoofed = {"HTTP_X_FORWARDED_FOR": f"{ALLOWED}, {OTHER}"}
    assert send(client, who=drao_physics, ip=PROXY, **spoofed).status_code == 401


def test_acl_check_costs_no_query_for_unfenced_admins(client, mrao, univ, no_rate_limits,
                                                      django_assert_max_num_queries, settings):
    settings.API_AUTH_CACHE_SECONDS = 3600  # the warmed credential stays cached however slow the machine
    send(client, who=mrao)  # warm the credential cache
    # cache read, admin (+ ACL flag), credentials, organizations
    with django_assert_max_num_queries(4):
        assert send(client, who=mrao).status_code == 200


# ---------------------------------------------------------------------------
# IP access-control lists: who edits them (accounts.access, audited)


def test_who_edits_which_acl(customer, mrao_actor, univ, physics, other_org, rao_univ, drao_physics, rao_other):
    rao, drao = actor_for(rao_univ), actor_for(drao_physics)
    access.add_acl_entry(mrao_actor, None, "127.0.0.0/8")  # the MRAO acts from 127.0.0.1
    access.add_acl_entry(mrao_actor, univ, "192.0.2.0/24")
    access.add_acl_entry(rao, physics, "195.98.237.2/32", description="RENATER")  # seed 001, step 3
    with pytest.raises(PermissionDenied):
        access.add_acl_entry(rao, univ, "10.0.0.0/8")  # its own fence: from above only
    with pytest.raises(PermissionDenied):
        access.add_acl_entry(rao, None, "10.0.0.0/8")
    with pytest.raises(NotFound):
        access.add_acl_entry(actor_for(rao_other), physics, "10.0.0.0/8")
    with pytest.raises(PermissionDenied):
        access.add_acl_entry(drao, physics, "10.0.0.0/8")
    entry = AccessControlEntry.objects.get(organization=physics)
    with pytest.raises(PermissionDenied):
        access.remove_acl_entry(drao, entry)
    assert entry.description == "RENATER" and entry.created_by == rao_univ
    actions = list(AuditEvent.objects.filter(action__startswith="access_control.").values_list("action", flat=True))
    assert actions == ["access_control.added"] * 3


def test_duplicates_and_size_are_bounded(customer, mrao_actor, physics):
    access.add_acl_entry(mrao_actor, physics, "192.0.2.0/24")
    with pytest.raises(InvalidInput, match="already"):
        access.add_acl_entry(mrao_actor, physics, "192.0.2.1/24")
    for i in range(access.MAX_ENTRIES_PER_ACL - 1):
        access.add_acl_entry(mrao_actor, physics, f"10.{i}.0.0/16")
    with pytest.raises(InvalidInput, match="at most"):
        access.add_acl_entry(mrao_actor, physics, "172.16.0.0/12")


def test_an_mrao_cannot_lock_itself_out(customer, mrao):
    actor = Actor.for_admin(mrao, Interface.PORTAL, ip=OTHER)
    with pytest.raises(InvalidInput, match="lock you out"):
        access.add_acl_entry(actor, None, "192.0.2.0/24")
    entry = access.add_acl_entry(actor, None, "203.0.113.0/24")
    access.add_acl_entry(actor, None, "192.0.2.0/24")
    with pytest.raises(InvalidInput, match="lock you out"):
        access.remove_acl_entry(actor, entry)
    with pytest.raises(InvalidInput, match="lock you out"):
        access.set_acl(actor, None, ["192.0.2.0/24"])
    assert access.set_acl(actor, None, []) == []  # no list: nobody is fenced


# ---------------------------------------------------------------------------
# ipAcl in /api/organization/v1/{id}


def test_ip_acl_in_organization_details(client, customer, mrao, rao_univ, drao_physics, univ, physics,
                                        no_rate_limits):
    detail = send(client, path=f"{ORGS}/{physics.pk}", who=mrao).json()
    assert detail["ipAcl"] == [] and detail["webApiSecretKeySet"] is False
    response = send(client, "put", f"{ORGS}/{physics.pk}", who=rao_univ,
                    body={"ipAcl": ["195.98.237.2", "2001:db8::/32"]})
    assert response.status_code == 200, response.content
    assert response.json()["ipAcl"] == ["195.98.237.2/32", "2001:db8::/32"]
    assert send(client, path=f"{ORGS}/{physics.pk}", who=mrao).json()["ipAcl"] == ["195.98.237.2/32",
                                                                                      "2001:db8::/32"]
    # The fenced DRAO sees its list (from inside it) but cannot change it.
    inside = send(client, path=f"{ORGS}/{physics.pk}", who=drao_physics, ip="195.98.237.2")
    assert inside.json()["ipAcl"] == ["195.98.237.2/32", "2001:db8::/32"]
    assert error_of(send(client, "put", f"{ORGS}/{physics.pk}", who=drao_physics, ip="195.98.237.2",
                         body={"ipAcl": []}))[0] == 403
    # A RAO does not fence its own organization; an MRAO does.
    assert error_of(send(client, "put", f"{ORGS}/{univ.pk}", who=rao_univ, body={"ipAcl": [ALLOWED]}))[0] == 403
    assert send(client, "put", f"{ORGS}/{univ.pk}", who=mrao, body={"ipAcl": [ALLOWED]}).status_code == 200
    assert send(client, "put", f"{ORGS}/{physics.pk}", who=mrao, body={"ipAcl": []}).json()["ipAcl"] == []


@pytest.mark.parametrize("bad", [["not-a-network"], "192.0.2.0/24", [7], [None], [["10.0.0.0/8"]],
                                 ["10.0.0.0/8", "x"], {"cidr": "10.0.0.0/8"}])
def test_bad_ip_acl_writes_nothing(client, customer, mrao, physics, bad):
    before = (AuditEvent.objects.count(), AccessControlEntry.objects.count())
    response = send(client, "put", f"{ORGS}/{physics.pk}", who=mrao, body={"alias": "CHANGED", "ipAcl": bad})
    assert error_of(response)[0] == 400
    physics.refresh_from_db()
    assert physics.alias == "" and (AuditEvent.objects.count(), AccessControlEntry.objects.count()) == before


def test_new_department_with_its_acl(client, customer, mrao, univ):
    response = send(client, "post", ORGS, who=mrao, body={"name": "SSI", "parentOrgId": univ.pk,
                                                            "sslCertsApiEnabled": True, "ipAcl": ["195.98.237.2"]})
    assert response.status_code == 201, response.content
    dept = Organization.objects.get(name="SSI")
    assert access.acl_networks(dept) == ["195.98.237.2/32"] and dept.ssl_certs_api_enabled
    refused = send(client, "post", ORGS, who=mrao, body={"name": "SSI2", "parentOrgId": univ.pk, "ipAcl": ["x"]})
    assert error_of(refused)[0] == 400
    assert not Organization.objects.filter(name="SSI2").exists()


# ---------------------------------------------------------------------------
# Web API switch and secret key (sslCertsApiEnabled / clientCertsApiEnabled)


def test_require_api_enabled(customer, mrao, physics, chemistry, drao_physics):
    type(physics).objects.filter(pk=physics.pk).update(ssl_certs_api_enabled=True)
    physics.refresh_from_db()
    robot = api_actor(drao_physics)
    policy.require_api_enabled(robot, physics, "SSL")
    with pytest.raises(PermissionDenied, match="sslCertsApiEnabled"):
        policy.require_api_enabled(robot, chemistry, "SSL")
    with pytest.raises(PermissionDenied, match="clientCertsApiEnabled"):
        policy.require_api_enabled(robot, physics, "SMIME")
    policy.require_api_enabled(robot, chemistry, "CodeSign")  # no switch for this type
    # The portal, the worker and the MRAO's system tasks are not concerned.
    policy.require_api_enabled(actor_for(drao_physics), chemistry, "SSL")
    policy.require_api_enabled(Actor.system(customer), chemistry, "SSL")
    # Everyone through the API is, the MRAO too.
    with pytest.raises(PermissionDenied):
        policy.require_api_enabled(api_actor(mrao), chemistry, "SSL")


def test_secret_key_is_shown_once_stored_hashed_and_checked(customer, mrao_actor, rao_univ, drao_physics, physics):
    secret = access.generate_web_api_secret(actor_for(rao_univ), physics)  # a RAO with editDepartments
    physics.refresh_from_db()
    assert len(secret) >= 30 and secret not in physics.web_api_secret and physics.web_api_secret_created
    type(physics).objects.filter(pk=physics.pk).update(ssl_certs_api_enabled=True)
    physics.refresh_from_db()
    robot = api_actor(drao_physics)
    policy.require_api_enabled(robot, physics, "SSL", secret_key=secret)
    policy.require_api_enabled(robot, physics, "SSL", secret_key=None)  # REST clients need not send it
    with pytest.raises(PermissionDenied, match="secret key"):
        policy.require_api_enabled(robot, physics, "SSL", secret_key="guess")
    again = access.generate_web_api_secret(mrao_actor, physics)
    physics.refresh_from_db()
    assert not access.web_api_secret_matches(physics, secret) and access.web_api_secret_matches(physics, again)
    with pytest.raises(PermissionDenied):
        access.generate_web_api_secret(actor_for(drao_physics), physics)
    access.clear_web_api_secret(mrao_actor, physics)
    physics.refresh_from_db()
    assert physics.web_api_secret == "" and not access.web_api_secret_matches(physics, again)
    assert AuditEvent.objects.filter(action="organization.web_api_secret_generated").count() == 2
    assert secret not in "".join(AuditEvent.objects.values_list("changes", flat=True))


def test_api_enabled_scope_and_early_refusal(customer, mrao, univ, physics, chemistry, drao_physics,
                                             drao_chemistry):
    from certdesk.api.permissions import IsAdminActor

    type(physics).objects.filter(pk=physics.pk).update(ssl_certs_api_enabled=True)
    assert policy.api_enabled_anywhere(api_actor(drao_physics), "SSL")
    assert not policy.api_enabled_anywhere(api_actor(drao_chemistry), "SSL")
    assert not policy.api_enabled_anywhere(api_actor(drao_physics), "SMIME")
    assert policy.api_enabled_anywhere(actor_for(drao_chemistry), "SSL")  # the portal is not fenced
    listed = policy.scope_api_enabled(api_actor(mrao), Organization.objects.all(), "SSL", field="")
    assert list(listed) == [Organization.objects.get(pk=physics.pk)]

    class SslView:
        api_cert_type = "SSL"

    class Request:
        method = "GET"
        _request = None

        def __init__(self, actor):
            self.auth = actor

    assert IsAdminActor().has_permission(Request(api_actor(drao_physics)), SslView())
    with pytest.raises(PermissionDenied, match="sslCertsApiEnabled"):
        IsAdminActor().has_permission(Request(api_actor(drao_chemistry)), SslView())


# ---------------------------------------------------------------------------
# API tokens


def _new_token(client, who, **body):
    response = send(client, "post", "/api/admin/v1/tokens", who=who, body={"name": "renewal script", **body})
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Location"].endswith(f"/api/admin/v1/tokens/{response.json()['id']}")
    return response.json()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_token_lifecycle(client, customer, drao_physics, physics, no_rate_limits):
    created = _new_token(client, drao_physics, days=30)
    raw = created["token"]
    assert raw.startswith("cdk_") and created["status"] == "ACTIVE" and raw.startswith(created["prefix"])
    stored = ApiToken.objects.get(pk=created["id"])
    assert raw not in (stored.digest, stored.prefix) and len(stored.digest) == 64
    # The token alone authenticates (no login/password/customerUri), the customerUri may come along.
    response = send(client, headers=bearer(raw))
    assert response.status_code == 200 and [o["id"] for o in response.json()] == [physics.pk]
    assert send(client, headers={**bearer(raw), "customerUri": "renater"}).status_code == 200
    assert error_of(send(client, headers={**bearer(raw), "customerUri": "jisc"}))[:2] == (401, -16)
    listed = send(client, path="/api/admin/v1/tokens", headers=bearer(raw)).json()
    assert [t["id"] for t in listed] == [created["id"]] and "token" not in listed[0] and listed[0]["lastUsed"]
    assert send(client, "delete", f"/api/admin/v1/tokens/{created['id']}", headers=bearer(raw)).status_code == 204
    assert error_of(send(client, headers=bearer(raw)))[:2] == (401, -16)
    assert ApiToken.objects.get(pk=created["id"]).revoked is not None
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"admin.api_token_created", "admin.api_token_revoked"} <= actions


def test_a_token_cannot_mint_tokens_nor_change_the_password(client, drao_physics):
    raw = _new_token(client, drao_physics)["token"]
    status, code, description = error_of(send(client, "post", "/api/admin/v1/tokens", headers=bearer(raw),
                                              body={"name": "more"}))
    assert (status, code) == (403, -3) and "token" in description
    assert error_of(send(client, "post", "/api/admin/v1/changepassword", headers=bearer(raw),
                         body={"newPassword": "Stolen-Token-Passw0rd"}))[0] == 403
    assert send(client, who=drao_physics).status_code == 200  # the password is unchanged


def test_tokens_stop_with_the_account(client, mrao_actor, drao_physics, no_rate_limits):
    raw = _new_token(client, drao_physics)["token"]
    accounts.reset_password(mrao_actor, drao_physics, "A-Reset-Passw0rd-123")
    assert error_of(send(client, headers=bearer(raw)))[:2] == (401, -213)
    Admin.objects.filter(pk=drao_physics.pk).update(must_change_password=False)
    assert send(client, headers=bearer(raw)).status_code == 200
    accounts.set_admin_active(mrao_actor, drao_physics, False)
    assert error_of(send(client, headers=bearer(raw)))[:2] == (401, -16)


def test_expired_and_malformed_tokens(client, drao_physics, no_rate_limits):
    created = _new_token(client, drao_physics, days=1)
    ApiToken.objects.filter(pk=created["id"]).update(expires=djtz.now() - timedelta(seconds=1))
    assert error_of(send(client, headers=bearer(created["token"])))[:2] == (401, -16)
    for raw in ("", "x", "cdk_" + "A" * 10, "cdk_" + "A" * 43, "Bearer", "cdk_" + "é" * 40, "cdk_" + "A" * 500):
        assert error_of(send(client, headers={"Authorization": f"Bearer {raw}"}))[0] == 401


def test_tokens_are_fenced_like_passwords(client, customer, physics, drao_physics, no_rate_limits):
    raw = _new_token(client, drao_physics)["token"]
    acl(customer, physics, "192.0.2.0/24")
    assert send(client, headers=bearer(raw), ip=ALLOWED).status_code == 200
    assert error_of(send(client, headers=bearer(raw), ip=OTHER))[:2] == (401, -3)


def test_only_own_tokens(client, mrao, drao_physics, no_rate_limits):
    created = _new_token(client, drao_physics)
    assert error_of(send(client, path=f"/api/admin/v1/tokens/{created['id']}", who=mrao))[0] == 404
    assert error_of(send(client, "delete", f"/api/admin/v1/tokens/{created['id']}", who=mrao))[0] == 404
    assert ApiToken.objects.get(pk=created["id"]).revoked is None


@pytest.mark.parametrize("body", [{}, {"name": ""}, {"name": 5}, {"name": "x" * 65}, {"name": "a\x00b"},
                                  {"name": "ok", "days": 0}, {"name": "ok", "days": 99999},
                                  {"name": "ok", "days": "soon"}, {"name": "ok", "days": True}])
def test_bad_token_requests(client, drao_physics, body):
    assert error_of(send(client, "post", "/api/admin/v1/tokens", who=drao_physics, body=body))[0] == 400
    assert not ApiToken.objects.exists()


def test_at_most_twenty_live_tokens(client, drao_physics, no_rate_limits):
    for i in range(access.MAX_TOKENS_PER_ADMIN):
        access.create_api_token(actor_for(drao_physics), name=f"t{i}")
    assert error_of(send(client, "post", "/api/admin/v1/tokens", who=drao_physics, body={"name": "one more"}))[0] \
        == 400


# ---------------------------------------------------------------------------
# Client certificates on /private/api


def make_certificate(serial: int = 0x0A1B2C3D4E5F, *, days: int = 30, start_days: int = -1) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "robot_physics")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(serial).not_valid_before(now + timedelta(days=start_days))
            .not_valid_after(now + timedelta(days=days)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def presented(pem: str, verify: str = "SUCCESS", *, apache: bool = False) -> dict:
    value = pem.replace("\n", " ") if apache else quote(pem)
    return {"X-SSL-Client-Cert": value, "X-SSL-Client-Verify": verify}


PRIVATE_ORGS = "/private/api/organization/v1"


@pytest.fixture
def registered(client, mrao, drao_physics, no_rate_limits):
    """Physics' DRAO with its certificate serial registered by the MRAO through the API."""
    response = send(client, "put", f"/api/admin/v1/{drao_physics.pk}", who=mrao,
                    body={"certificateSerialNumber": "0a:1b:2c:3d:4e:5f"})
    assert response.status_code == 200 and response.json()["authCert"] == "A1B2C3D4E5F", response.content
    return drao_physics


def test_client_certificate_authenticates_on_private_api(client, registered, proxy, physics):
    pem = make_certificate()
    response = send(client, path=PRIVATE_ORGS, who=registered, password=None, ip=PROXY, headers=presented(pem))
    assert response.status_code == 200 and [o["id"] for o in response.json()] == [physics.pk]
    apache = send(client, path=PRIVATE_ORGS, who=registered, password=None, ip=PROXY,
                  headers=presented(pem, apache=True))
    assert apache.status_code == 200


def test_client_certificate_refusals(client, registered, proxy, customer, physics):
    pem = make_certificate()
    cases = [
        dict(path=PRIVATE_ORGS, ip="198.51.100.9", headers=presented(pem)),  # not from the proxy
        dict(path=ORGS, ip=PROXY, headers=presented(pem)),  # not /private/api
        dict(path=PRIVATE_ORGS, ip=PROXY, headers=presented(pem, "FAILED:unable to verify")),
        dict(path=PRIVATE_ORGS, ip=PROXY, headers=presented(pem, "NONE")),
        dict(path=PRIVATE_ORGS, ip=PROXY, headers=presented(make_certificate(0x99))),  # another serial
        dict(path=PRIVATE_ORGS, ip=PROXY, headers=presented(make_certificate(days=-1, start_days=-10))),  # expired
        dict(path=PRIVATE_ORGS, ip=PROXY, headers={"X-SSL-Client-Cert": "garbage", "X-SSL-Client-Verify": "SUCCESS"}),
        dict(path=PRIVATE_ORGS, ip=PROXY, headers={"X-SSL-Client-Cert": quote(pem.replace("M", "#")),
                                                   "X-SSL-Client-Verify": "SUCCESS"}),
    ]
    for case in cases:
        response = send(client, who=registered, password=None, **case)
        assert error_of(response)[:2] == (401, -16), case
    # Only a certificate that was read and did not match counts as a failed login (the others carry no
    # credential at all).
    assert LoginFailure.objects.filter(login=registered.login).count() == 1
    acl(customer, physics, "192.0.2.0/24")
    fenced = send(client, path=PRIVATE_ORGS, who=registered, password=None, ip=PROXY, headers=presented(pem),
                  HTTP_X_FORWARDED_FOR=OTHER)
    assert error_of(fenced)[:2] == (401, -3)


def test_admin_without_registered_certificate_is_refused(client, drao_physics, proxy):
    response = send(client, path=PRIVATE_ORGS, who=drao_physics, password=None, ip=PROXY,
                    headers=presented(make_certificate()))
    assert error_of(response)[:2] == (401, -16)


def test_password_still_works_on_private_api(client, mrao, univ):
    assert send(client, path=PRIVATE_ORGS, who=mrao).status_code == 200


@pytest.mark.parametrize(("given", "stored"), [("0A:1B:2C", "A1B2C"), ("0x00ff", "FF"), ("ab cd", "ABCD"),
                                               ("", ""), (None, ""), ("0", "0")])
def test_serials_are_normalized(given, stored):
    assert access.normalize_serial(given) == stored


@pytest.mark.parametrize("bad", ["xyz", "12-34", "1" * 41, 1234, True, ["AB"]])
def test_bad_serials_are_refused(client, mrao, drao_physics, bad):
    response = send(client, "put", f"/api/admin/v1/{drao_physics.pk}", who=mrao,
                    body={"certificateSerialNumber": bad, "forename": "Changed"})
    assert error_of(response)[0] == 400
    drao_physics.refresh_from_db()
    assert drao_physics.forename == "Denis" and drao_physics.certificate_serial_number == ""


# ---------------------------------------------------------------------------
# Rate limits


@pytest.fixture
def count_hashing():
    original = Argon2PasswordHasher.verify
    with mock.patch.object(Argon2PasswordHasher, "verify", autospec=True, side_effect=original) as spy:
        yield spy


def test_account_rate_limit(client, settings, mrao, rao_univ, univ, steady_rate_clock):
    settings.API_RATE_LIMIT, settings.API_RATE_LIMIT_IP = "3/hour", "off"
    for _ in range(3):
        assert send(client, who=mrao).status_code == 200
    response = send(client, who=mrao)
    status, code, description = error_of(response)
    assert (status, code) == (429, -429) and "this account" in description
    assert int(response["Retry-After"]) == 3600 - steady_rate_clock % 3600  # until the window ends
    assert send(client, who=rao_univ).status_code == 200  # per account
    assert send(client, who=mrao, ip=OTHER).status_code == 429  # wherever it comes from


def test_address_rate_limit_counts_refusals_before_hashing(client, settings, mrao, rao_univ, count_hashing,
                                                             steady_rate_clock):
    settings.API_RATE_LIMIT, settings.API_RATE_LIMIT_IP = "off", "3/hour"
    assert send(client, who=mrao, password="wrong-password-1").status_code == 401
    assert send(client, who=rao_univ).status_code == 200
    assert send(client, who="nobody").status_code == 401
    hashed = count_hashing.call_count
    response = send(client, who=mrao)
    assert error_of(response)[:2] == (429, -429) and "your address" in response.json()["description"]
    assert count_hashing.call_count == hashed  # refused before any password hashing
    assert send(client, who=mrao, ip=OTHER).status_code == 200  # per address


def test_rate_limit_through_the_proxy_counts_the_client(client, settings, mrao, proxy, steady_rate_clock):
    settings.API_RATE_LIMIT, settings.API_RATE_LIMIT_IP = "off", "2/hour"
    for _ in range(2):
        assert send(client, who=mrao, ip=PROXY, HTTP_X_FORWARDED_FOR=ALLOWED).status_code == 200
    assert send(client, who=mrao, ip=PROXY, HTTP_X_FORWARDED_FOR=ALLOWED).status_code == 429
    assert send(client, who=mrao, ip=PROXY, HTTP_X_FORWARDED_FOR=OTHER).status_code == 200


def test_counters_are_shared_rows_and_windows_roll(db):
    start = 1_200_000.0  # a minute boundary
    first = ratelimit.hit(("b:1", 60), ("b:2", 60), now=start + 20)
    assert [c.hits for c in first] == [1, 1] and first[0].retry_after == 60 - 20
    assert [c.hits for c in ratelimit.hit(("b:2", 60), ("b:1", 60), now=start + 30)] == [2, 2]
    assert [c.hits for c in ratelimit.hit(("b:1", 60), now=start + 80)] == [1]  # the next window
    assert RateCounter.objects.filter(bucket="b:1").count() == 2
    assert ratelimit.sweep(now=start + 3 * 86400) == 3


def test_the_worker_sweeps_old_windows_hourly(db):
    from certdesk.accounts import tasks
    from certdesk.core import queue

    assert queue.PERIODIC["accounts.rate_counter_sweep"].every.total_seconds() == 3600
    ratelimit.hit(("old", 60), now=1_200_000.0)
    ratelimit.hit(("new", 60))
    assert queue.run_periodic("accounts.rate_counter_sweep") == "done"
    assert list(RateCounter.objects.values_list("bucket", flat=True)) == ["new"]
    assert tasks.hourly_rate_counter_sweep() == 0


@pytest.mark.parametrize(("text", "rate"), [("600/minute", (600, 60)), ("20/second", (20, 1)),
                                            ("10000/hour", (10000, 3600)), ("5 / days", (5, 86400)),
                                            ("off", None), ("", None), ("0", None)])
def test_rates_are_parsed(text, rate):
    parsed = ratelimit.parse_rate(text)
    assert (parsed and (parsed.limit, parsed.period)) == rate or (parsed is None and rate is None)


@pytest.mark.parametrize("bad", ["600", "600/fortnight", "-1/minute", "many/minute", "0/minute"])
def test_bad_rates_are_configuration_errors(bad):
    with pytest.raises(ImproperlyConfigured):
        ratelimit.parse_rate(bad)


def test_a_request_costs_one_counter_statement(client, mrao, univ, settings, django_assert_max_num_queries):
    settings.API_RATE_LIMIT, settings.API_RATE_LIMIT_IP = "1000/minute", "1000/minute"
    settings.API_AUTH_CACHE_SECONDS = 3600  # the warmed credential stays cached however slow the machine
    send(client, who=mrao)
    with django_assert_max_num_queries(5):  # the 4 of an unfenced GET, plus one upsert for both counters
        assert send(client, who=mrao).status_code == 200


# ---------------------------------------------------------------------------
# Seed 001 end to end: a department delegated to a third party through the API, locked down


def test_seed_001_lock_down(client, settings, customer, mrao, univ, chemistry, rao_univ, proxy, no_rate_limits):
    renater = "195.98.237.2"
    # 1. The RAO creates the department with its Web API enabled, and a secret key (portal, shown once).
    created = send(client, "post", ORGS, who=rao_univ,
                   body={"name": "SSI RENATER", "parentOrgId": univ.pk, "sslCertsApiEnabled": True})
    assert created.status_code == 201, created.content
    dept = Organization.objects.get(name="SSI RENATER")
    client.force_login(rao_univ, backend="certdesk.accounts.backends.AdminBackend")
    page = client.post(f"/settings/access-control/web-api/{dept.pk}/secret/", REMOTE_ADDR=ALLOWED)
    assert page.status_code == 200 and page["Cache-Control"].startswith("no-store")
    client.logout()
    # 2. A DRAO with only the SSL role on it; the third party takes it into use with its first password.
    response = send(client, "post", "/api/admin/v1", who=rao_univ, body={
        "login": "draoUNIVrenater", "email": "equipe-securite-reseau@listes.renater.example", "forename": "SSI RENATER",
        "surname": "API", "password": "Temporary-Passw0rd-1", "credentials": [{"role": "DRAO_SSL", "orgId": dept.pk}]})
    assert response.status_code == 201, response.content
    robot_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert error_of(send(client, who="draoUNIVrenater", password="Temporary-Passw0rd-1", ip=renater))[1] == -213
    assert send(client, "post", "/api/admin/v1/changepassword", who="draoUNIVrenater",
                password="Temporary-Passw0rd-1", ip=renater, body={"newPassword": "Robot-Chosen-Passw0rd"}
                ).status_code == 204
    robot = {"who": "draoUNIVrenater", "password": "Robot-Chosen-Passw0rd"}
    # ... then the RAO ticks "Web API Use Only" and fences the department to RENATER's address.
    assert send(client, "put", f"/api/admin/v1/{robot_id}", who=rao_univ, body={"privileges": ["wsApiUseOnly"]}
                ).json()["type"] == "API"
    assert send(client, "put", f"{ORGS}/{dept.pk}", who=rao_univ, body={"ipAcl": [f"{renater}/32"]}
                ).status_code == 200

    # From RENATER: the robot sees its department and nothing else, and can change nothing around it.
    listed = send(client, ip=renater, **robot)
    assert listed.status_code == 200 and [o["id"] for o in listed.json()] == [dept.pk]
    detail = send(client, path=f"{ORGS}/{dept.pk}", ip=renater, **robot).json()
    assert detail["sslCertsApiEnabled"] is True and detail["webApiSecretKeySet"] is True
    assert detail["ipAcl"] == [f"{renater}/32"]
    for org in (univ, chemistry):
        assert error_of(send(client, path=f"{ORGS}/{org.pk}", ip=renater, **robot))[0] == 404
    assert error_of(send(client, "put", f"{ORGS}/{dept.pk}", ip=renater, body={"alias": "x"}, **robot))[0] == 403
    assert error_of(send(client, "put", f"{ORGS}/{dept.pk}", ip=renater, body={"ipAcl": []}, **robot))[0] == 403
    assert error_of(send(client, "post", "/api/admin/v1", ip=renater, body={"login": "x"}, **robot))[0] == 403
    assert [a["login"] for a in send(client, path="/api/admin/v1", ip=renater, **robot).json()] == [
        "draoUNIVrenater"]
    robot_admin = Admin.objects.get(pk=robot_id)
    actor = api_actor(robot_admin, ip=renater)
    policy.require_api_enabled(actor, dept, "SSL")  # what the SSL endpoints ask before enroll/renew/revoke
    with pytest.raises(PermissionDenied):
        policy.require_api_enabled(actor, dept, "SMIME")

    # From anywhere else: refused, also with a forged X-Forwarded-For; through the trusted proxy: allowed.
    assert error_of(send(client, ip=OTHER, **robot))[:2] == (401, -3)
    assert error_of(send(client, ip=OTHER, HTTP_X_FORWARDED_FOR=renater, **robot))[:2] == (401, -3)
    assert send(client, ip=PROXY, HTTP_X_FORWARDED_FOR=renater, **robot).status_code == 200
    assert error_of(send(client, ip=PROXY, HTTP_X_FORWARDED_FOR=OTHER, **robot))[:2] == (401, -3)

    # The portal refuses the account, even from RENATER.
    login = client.post("/login/", {"username": "draoUNIVrenater", "password": "Robot-Chosen-Passw0rd"},
                        REMOTE_ADDR=renater)
    assert login.status_code == 200 and "This account may only use the REST API" in login.content.decode()
    # A token for the robot's script: the same fences.
    token = send(client, "post", "/api/admin/v1/tokens", ip=renater, body={"name": "renewals"}, **robot).json()
    assert send(client, headers=bearer(token["token"]), ip=renater).status_code == 200
    assert error_of(send(client, headers=bearer(token["token"]), ip=OTHER))[:2] == (401, -3)


# ---------------------------------------------------------------------------
# Bad input on every write endpoint: a clear SCM error, never a 500, nothing written


INJECTIONS = [
    "' OR '1'='1", "'; DROP TABLE accounts_admin; --", "{{7*7}}", "{% debug %}", "${7*7}", "<script>x</script>",
    "a\x00b", "\u202egnp.exe", "../../etc/passwd", "%s%s%n", "x" * 5000, "é" * 300,
]
WRONG_TYPES = [None, 7, 1.5, True, [], {}, ["x"], {"a": 1}]


@pytest.fixture
def targets(customer, mrao_actor, univ, physics, drao_physics, other_org, other_customer_org, no_rate_limits):
    from certdesk.domains import services as domains
    from certdesk.tenancy.models import OrganizationValidation

    validation = OrganizationValidation.objects.create(organization=other_org, submitted_by=None)
    # SSL bodies are read only where the Web API is enabled for SSL.
    Organization.objects.filter(pk__in=[univ.pk, physics.pk]).update(ssl_certs_api_enabled=True)
    domain = domains.create_domain(mrao_actor, "fuzz.univ-lyon.test", delegations=[(physics, ["SSL"])])
    token, _raw = access.create_api_token(mrao_actor, name="fuzz")
    values = {"org_id": physics.pk, "admin_id": drao_physics.pk, "validation_id": validation.pk,
              "domain_id": domain.pk, "token_id": token.pk, "version": "1", "method": "cname", "role": "DRAO_SSL",
              "report_type": "SSL"}
    try:
        from certdesk.notifications import services as notifications

        values["notification_id"] = notifications.create_rule(mrao_actor, type="DCVValidated", organization=physics,
                                                              notify_roles=["DRAO"]).pk
    except ImportError:  # pragma: no cover
        pass
    return values


def write_endpoints():
    """(method, path regex, view) of every POST/PUT under /api, from the URL resolver."""
    api = next(p for p in get_resolver().url_patterns
               if getattr(getattr(p, "urlconf_module", None), "__name__", "") == "certdesk.api.urls")
    for pattern in api.url_patterns:
        view = getattr(pattern.callback, "cls", None)
        if view is None or pattern.name in ("schema", "docs", "not-found"):
            continue
        for method in ("post", "put"):
            if hasattr(view, method):
                yield method.upper(), pattern


def _path(pattern, values) -> str:
    import re

    regex = pattern.pattern.regex.pattern.lstrip("^").replace("(?:/)?$", "")
    return "/api/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values.get(m.group(1), 1)), regex)


def _request_fields() -> dict[tuple[str, str], list[str]]:
    """(METHOD, url path template) → documented body fields, from the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    out = {}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            ref = ((operation.get("requestBody") or {}).get("content", {}).get("application/json", {})
                   .get("schema", {}).get("$ref"))
            if ref:
                component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
                out[(method.upper(), path)] = sorted(component.get("properties", {}))
    return out


def _template(pattern) -> str:
    import re

    regex = pattern.pattern.regex.pattern.lstrip("^").replace("(?:/)?$", "")
    return "/api/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: "{" + m.group(1) + "}", regex)


def _snapshot():
    return AuditEvent.objects.count()


def test_bad_input_on_every_write_endpoint(client, targets, mrao):
    """Malformed JSON, non-objects, unknown keys, wrong types and injection strings in every documented
    field of every POST/PUT: never a 500, always the SCM error shape, nothing written on refusal."""
    fields = _request_fields()
    endpoints = list(write_endpoints())
    assert len(endpoints) >= 15
    tried, refused = 0, 0
    password_hash = Admin.objects.get(pk=mrao.pk).password
    for method, pattern in endpoints:
        path = _path(pattern, targets)
        names = fields.get((method, _template(pattern)), [])
        bodies = [b"{", b"[1, 2", b"\xff\xfe", b'{"a": NaN}', b"[" * 5000, b'"text"', b"[]", b"42", b"null",
                  {"unknownField": "x", "evil": INJECTIONS[1]}]
        for name in names:
            bodies += [{name: value} for value in INJECTIONS + WRONG_TYPES]
        for body in bodies:
            before = _snapshot()
            response = send(client, method, path, who=mrao, body=body)
            tried += 1
            assert response.status_code < 500, (method, path, body, response.content[:300])
            if response.status_code >= 400:
                refused += 1
                error_of(response)
                assert _snapshot() == before, (method, path, body, "wrote something and refused")
            # changepassword may accept an injection string as a password: keep the MRAO's.
            Admin.objects.filter(pk=mrao.pk).exclude(password=password_hash).update(
                password=password_hash, must_change_password=False)
            assert response.status_code != 401, (method, path, body, response.content[:300])
            if isinstance(body, dict) and "{{7*7}}" in body.values():
                assert b"49" not in response.content or b"{{7*7}}" in response.content
    assert tried > 500 and refused > tried // 2


def test_huge_body_is_refused_everywhere(client, targets, mrao):
    """Over DATA_UPLOAD_MAX_MEMORY_SIZE: 413 wherever the body is read (action endpoints that take no
    body never read it and answer as without one)."""
    huge = json.dumps({"name": "x" * (3 * 1024 * 1024)})
    too_large = 0
    for method, pattern in write_endpoints():
        before = _snapshot()
        response = send(client, method, _path(pattern, targets), who=mrao, body=huge)
        assert response.status_code < 500, (method, pattern.name, response.status_code)
        if response.status_code >= 400:
            error_of(response)
            assert _snapshot() == before
        too_large += response.status_code == 413
    assert too_large >= 15


def test_other_tenants_ids_answer_like_missing(client, targets, jisc_api, other_mrao, univ, physics, drao_physics):
    for path in (f"{ORGS}/{physics.pk}", f"/api/admin/v1/{drao_physics.pk}", f"/api/domain/v1/{targets['domain_id']}",
                 f"/api/admin/v1/tokens/{targets['token_id']}"):
        for method, body in (("get", None), ("put", {"name": "Taken"}), ("delete", None)):
            if path.startswith("/api/admin/v1/tokens") and method == "put":
                continue
            if path.startswith("/api/domain/") and method == "put":
                continue
            response = send(client, method, path, who=other_mrao, customer="jisc", body=body)
            assert error_of(response)[0] == 404, (method, path)
    assert Organization.objects.get(pk=physics.pk).name == "Physics"


def test_wrong_customer_uri_and_missing_headers(client, mrao, univ):
    assert error_of(send(client, who=mrao, customer="jisc"))[:2] == (401, -16)
    assert error_of(send(client, who=mrao, customer="' OR 1=1 --"))[:2] == (401, -16)
    assert error_of(send(client, who=mrao, customer="x" * 10000))[:2] == (401, -16)
    assert error_of(send(client, headers={"login": "mrao", "password": PASSWORD}))[:2] == (401, -16)
    assert error_of(send(client, headers={"Authorization": "Basic bXJhbzp4"}))[:2] == (401, -16)
