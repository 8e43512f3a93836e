"""SCM header authentication: credentials, tenants, disabled admins, the credential cache."""
from __future__ import annotations

from unittest import mock

import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.core.cache import cache

from certdesk.accounts import services as accounts
from certdesk.accounts.models import LoginFailure
from certdesk.api.authentication import credential_cache_key
from tests.api.conftest import error_of
from tests.conftest import PASSWORD, actor_for

ORGS = "organization/v1"


@pytest.fixture
def count_hashing():
    """Counts Argon2 verifications (the expensive part of a password check)."""
    original = Argon2PasswordHasher.verify
    with mock.patch.object(Argon2PasswordHasher, "verify", autospec=True, side_effect=original) as spy:
        yield spy


def test_good_headers_authenticate(mrao_api, univ):
    response = mrao_api.get(ORGS)
    assert response.status_code == 200
    assert [o["name"] for o in response.json()] == ["Universite de Lyon"]


def test_header_names_are_case_insensitive(scm, mrao, univ):
    api = scm(None, password=None, customer=None)
    response = api.get(ORGS, headers={"LOGIN": "mrao", "PassWord": PASSWORD, "CUSTOMERURI": "renater"})
    assert response.status_code == 200


def test_customer_uri_value_is_case_insensitive(scm, mrao):
    assert scm(mrao, customer="RENATER").get(ORGS).status_code == 200


def test_wrong_password_is_unknown_user(scm, mrao):
    status, code, description = error_of(scm(mrao, password="wrong-password-1").get(ORGS))
    assert (status, code) == (401, -16)
    assert "password" in description.lower() or "unknown user" in description.lower()


@pytest.mark.parametrize("missing", ["login", "password", "customerUri", "all"])
def test_missing_headers_are_refused(scm, mrao, missing):
    api = scm(mrao)
    if missing in ("login", "all"):
        api.login = None
    if missing in ("password", "all"):
        api.password = None
    if missing in ("customerUri", "all"):
        api.customer = None
    status, code, _ = error_of(api.get(ORGS))
    assert (status, code) == (401, -16)


def test_unknown_customer_uri(scm, mrao):
    assert error_of(scm(mrao, customer="nosuchcustomer").get(ORGS))[:2] == (401, -16)


def test_login_of_another_customer_does_not_authenticate(scm, customer, other_mrao):
    # jisc-mrao exists only in jisc: with customerUri renater it is unknown.
    assert error_of(scm(other_mrao, customer="renater").get(ORGS))[:2] == (401, -16)
    assert scm(other_mrao, customer="jisc").get(ORGS).status_code == 200


def test_all_refusals_share_one_message(scm, mrao, customer, other_mrao):
    messages = {
        error_of(scm(mrao, password="wrong-password-1").get(ORGS))[2],
        error_of(scm("nobody").get(ORGS))[2],
        error_of(scm(other_mrao, customer="renater").get(ORGS))[2],
        error_of(scm(mrao, customer="nosuch").get(ORGS))[2],
    }
    assert len(messages) == 1


def test_disabled_admin_is_refused(scm, mrao_actor, rao_univ):
    accounts.set_admin_active(mrao_actor, rao_univ, False)
    assert error_of(scm(rao_univ).get(ORGS))[:2] == (401, -16)


def test_failed_attempts_are_recorded_and_rate_limited(scm, mrao, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        assert scm(mrao, password="wrong-password-1").get(ORGS).status_code == 401
    assert LoginFailure.objects.filter(login="mrao").count() == 3
    # Locked out for the window, even with the right password (one generic message).
    assert error_of(scm(mrao).get(ORGS))[:2] == (401, -16)


def test_portal_session_does_not_authenticate_the_api(client, mrao, univ):
    client.force_login(mrao)
    status, code, _ = error_of(client.get("/api/organization/v1"))
    assert (status, code) == (401, -16)


def test_api_only_admin_works_on_the_api(scm, api_robot, univ):
    response = scm(api_robot).get(ORGS)
    assert response.status_code == 200
    assert [o["id"] for o in response.json()] == [univ.pk]


def test_cache_hit_does_not_hash_again(mrao_api, count_hashing, settings):
    settings.API_AUTH_CACHE_SECONDS = 3600  # the cached credential stays however slow the machine
    assert mrao_api.get(ORGS).status_code == 200
    assert count_hashing.call_count == 1
    for _ in range(3):
        assert mrao_api.get(ORGS).status_code == 200
    assert count_hashing.call_count == 1


def test_cache_key_is_an_hmac_not_the_password(mrao_api, mrao):
    mrao_api.get(ORGS)
    key = credential_cache_key("renater", "mrao", PASSWORD)
    assert PASSWORD not in key and "mrao" not in key
    mrao.refresh_from_db()
    assert cache.get(key) == {"id": mrao.pk, "hash": mrao.password}


def test_wrong_password_is_never_served_from_cache(scm, mrao, count_hashing):
    assert scm(mrao).get(ORGS).status_code == 200
    assert scm(mrao, password=PASSWORD + "x").get(ORGS).status_code == 401


def test_password_change_drops_the_cached_credential(scm, mrao2, count_hashing):
    old = scm(mrao2)
    assert old.get(ORGS).status_code == 200
    # Changed elsewhere (the portal): the cached hash no longer matches.
    accounts.change_own_password(actor_for(mrao2), "A-brand-new-Passw0rd")
    assert error_of(old.get(ORGS))[:2] == (401, -16)
    assert scm(mrao2, password="A-brand-new-Passw0rd").get(ORGS).status_code == 200


def test_disable_drops_the_cached_credential(scm, mrao_actor, rao_univ):
    api = scm(rao_univ)
    assert api.get(ORGS).status_code == 200
    accounts.set_admin_active(mrao_actor, rao_univ, False)
    assert error_of(api.get(ORGS))[:2] == (401, -16)


def test_deleted_admin_drops_the_cached_credential(scm, mrao_actor, rao_univ):
    api = scm(rao_univ)
    assert api.get(ORGS).status_code == 200
    accounts.delete_admin(mrao_actor, rao_univ)
    assert error_of(api.get(ORGS))[:2] == (401, -16)


def test_cached_credential_is_per_customer(scm, mrao, other_customer, count_hashing):
    # Same login and password in two customers: two admins, never confused through the cache.
    assert scm(mrao).get(ORGS).status_code == 200
    jisc_mrao_same_login = accounts.bootstrap("jisc", "mrao", PASSWORD)[1]
    response = scm("mrao", customer="jisc").get("admin/v1/password")
    assert response.status_code == 200
    me = scm("mrao", customer="jisc").get("admin/v1", {"login": "mrao"}).json()
    assert [a["id"] for a in me] == [jisc_mrao_same_login.pk]


def test_api_requests_are_audited_with_the_api_interface(mrao_api):
    from certdesk.core.models import AuditEvent

    response = mrao_api.post("organization/v1", {"name": "Audit Test", "city": "Paris", "country": "FR"})
    assert response.status_code == 201
    event = AuditEvent.objects.filter(action="organization.created").latest("seq")
    assert (event.interface, event.actor, event.ip) == ("api", "mrao", "127.0.0.1")


def test_control_characters_in_headers_are_unknown_user(scm, mrao):
    assert error_of(scm("mr\x00ao").get(ORGS))[:2] == (401, -16)
    assert error_of(scm(mrao, password=PASSWORD + "\x01").get(ORGS))[:2] == (401, -16)
