"""Portal side of the fences (issue 6): IP access-control lists at login and on live sessions,
Settings → Access Control (ACLs, Web API secret keys) and Settings → API tokens."""
from __future__ import annotations

import ipaddress

import pytest

from certdesk.accounts import access
from certdesk.accounts.models import AccessControlEntry, Admin, ApiToken
from certdesk.core.models import AuditEvent

from ..conftest import actor_for
from .conftest import PASSWORD, parse_page

ALLOWED, OTHER, PROXY = "192.0.2.10", "203.0.113.7", "10.0.0.1"


def fence(customer, organization, network):
    AccessControlEntry.objects.create(customer=customer, organization=organization,
                                      network=access.parse_network(network))


# ---------------------------------------------------------------------------
# Logging in and staying in


def test_login_from_outside_the_acl_is_refused_with_a_clear_message(client, customer, physics, drao_physics):
    fence(customer, physics, "192.0.2.0/24")
    refused = client.post("/login/", {"username": "drao_physics", "password": PASSWORD}, REMOTE_ADDR=OTHER)
    assert refused.status_code == 200
    assert f"not allowed from your address ({OTHER})" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    allowed = client.post("/login/", {"username": "drao_physics", "password": PASSWORD}, REMOTE_ADDR=ALLOWED)
    assert allowed.status_code == 302 and client.session["_auth_user_id"] == str(drao_physics.pk)


def test_wrong_password_from_outside_says_nothing_about_the_acl(client, customer, physics, drao_physics):
    fence(customer, physics, "192.0.2.0/24")
    response = client.post("/login/", {"username": "drao_physics", "password": "wrong-password-1"},
                           REMOTE_ADDR=OTHER)
    assert "Invalid customer, login or password" in response.content.decode()
    assert OTHER not in response.content.decode()


def test_live_session_ends_when_the_address_is_fenced_out(client, customer, physics, drao_physics, login_as):
    login_as(drao_physics)
    assert client.get("/dashboard/", REMOTE_ADDR=OTHER).status_code == 200
    fence(customer, physics, "192.0.2.0/24")
    response = client.get("/dashboard/", REMOTE_ADDR=OTHER, follow=True)
    assert response.redirect_chain[-1][0].startswith("/login/")
    assert f"not allowed from your address ({OTHER})" in response.content.decode()
    assert "_auth_user_id" not in client.session
    htmx = login_as(drao_physics).get("/dashboard/", REMOTE_ADDR=OTHER, headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx["HX-Redirect"].startswith("/login/")


def test_portal_believes_forwarded_for_only_from_trusted_proxies(client, settings, customer, univ, rao_univ,
                                                                 login_as):
    settings.TRUSTED_PROXY_NETWORKS = [ipaddress.ip_network(f"{PROXY}/32")]
    fence(customer, univ, "192.0.2.0/24")
    login_as(rao_univ)
    assert client.get("/dashboard/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ALLOWED).status_code == 200
    assert client.get("/dashboard/", REMOTE_ADDR="198.51.100.1", HTTP_X_FORWARDED_FOR=ALLOWED).status_code == 302


def test_customer_acl_fences_the_mrao_not_the_others(client, customer, mrao, rao_univ, login_as):
    fence(customer, None, "192.0.2.0/24")
    assert login_as(mrao).get("/dashboard/", REMOTE_ADDR=OTHER).status_code == 302
    assert login_as(rao_univ).get("/dashboard/", REMOTE_ADDR=OTHER).status_code == 200


# ---------------------------------------------------------------------------
# Settings → Access Control


def test_mrao_manages_every_list(mrao_client, customer, univ, physics, chemistry):
    page = mrao_client.get("/settings/access-control/")
    html = page.content.decode()
    assert page.status_code == 200
    for label in ("All MRAO accounts (customer)", "Universite de Lyon", "Universite de Lyon / Physics"):
        assert label in html
    parsed = parse_page(html)
    assert parsed.inline_scripts == 0 and not parsed.event_attributes and not parsed.unlabelled()
    response = mrao_client.post("/settings/access-control/", {"scope": str(physics.pk), "network": "195.98.237.2",
                                                              "description": "RENATER"})
    assert response.status_code == 302
    entry = AccessControlEntry.objects.get(organization=physics)
    assert (entry.network, entry.description) == ("195.98.237.2/32", "RENATER")
    assert "195.98.237.2/32" in mrao_client.get("/settings/access-control/").content.decode()
    assert mrao_client.post(f"/settings/access-control/{entry.pk}/remove/", {"confirmed": "1"}).status_code == 302
    assert not AccessControlEntry.objects.exists()
    assert AuditEvent.objects.filter(action__in=["access_control.added", "access_control.removed"]).count() == 2


def test_mrao_cannot_lock_itself_out_from_the_portal(mrao_client, customer):
    response = mrao_client.post("/settings/access-control/", {"scope": "customer", "network": "192.0.2.0/24"},
                                REMOTE_ADDR=OTHER)
    assert response.status_code == 200 and "lock you out" in response.content.decode()
    assert not AccessControlEntry.objects.exists()


def test_bad_network_is_shown_next_to_the_field(mrao_client, physics):
    response = mrao_client.post("/settings/access-control/", {"scope": str(physics.pk), "network": "10.0.0.0/33"})
    assert response.status_code == 200 and "CIDR" in response.content.decode()
    assert not AccessControlEntry.objects.exists()


def test_rao_manages_its_departments_only(client, login_as, customer, univ, physics, other_org, rao_univ):
    login_as(rao_univ)
    html = client.get("/settings/access-control/").content.decode()
    assert "Universite de Lyon / Physics" in html and "All MRAO accounts" not in html
    assert f'value="{univ.pk}"' not in html  # not its own organization's list
    refused = client.post("/settings/access-control/", {"scope": str(univ.pk), "network": "10.0.0.0/8"})
    assert refused.status_code == 200 and not AccessControlEntry.objects.exists()
    assert client.post("/settings/access-control/", {"scope": "customer", "network": "10.0.0.0/8"}).status_code == 200
    assert client.post("/settings/access-control/", {"scope": str(other_org.pk), "network": "10.0.0.0/8"}
                       ).status_code == 200
    assert not AccessControlEntry.objects.exists()
    assert client.post("/settings/access-control/", {"scope": str(physics.pk), "network": "10.0.0.0/8"}
                       ).status_code == 302


def test_drao_manages_nothing_and_cannot_remove_its_fence(client, login_as, customer, physics, drao_physics):
    fence(customer, physics, "127.0.0.0/8")
    entry = AccessControlEntry.objects.get()
    login_as(drao_physics)
    html = client.get("/settings/access-control/").content.decode()
    assert "You cannot edit any access control list" in html and "127.0.0.0/8" in html  # its own fence, shown
    response = client.post(f"/settings/access-control/{entry.pk}/remove/", follow=True)
    assert AccessControlEntry.objects.filter(pk=entry.pk).exists()
    assert "RAO of the organization" in response.content.decode()


def test_entries_out_of_scope_answer_like_missing(client, login_as, customer, other_org, rao_univ, other_mrao,
                                                  other_customer_org):
    fence(customer, other_org, "10.0.0.0/8")
    entry = AccessControlEntry.objects.get()
    login_as(rao_univ)
    assert client.post(f"/settings/access-control/{entry.pk}/remove/").status_code == 404
    login_as(other_mrao)
    assert client.post(f"/settings/access-control/{entry.pk}/remove/").status_code == 404
    assert client.post("/settings/access-control/99999/remove/").status_code == 404
    assert AccessControlEntry.objects.filter(pk=entry.pk).exists()


def test_web_api_secret_is_shown_once_and_not_cached(mrao_client, physics):
    response = mrao_client.post(f"/settings/access-control/web-api/{physics.pk}/secret/")
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    html = response.content.decode()
    physics.refresh_from_db()
    secret = html.split('class="secret"', 1)[1].split(">", 1)[1].split("<", 1)[0].strip()
    assert access.web_api_secret_matches(physics, secret)
    assert secret not in mrao_client.get("/settings/access-control/").content.decode()
    assert mrao_client.post(f"/settings/access-control/web-api/{physics.pk}/secret/",
                            {"action": "clear", "confirmed": "1"}).status_code == 302
    physics.refresh_from_db()
    assert physics.web_api_secret == ""


def test_web_api_secret_needs_the_right_to_edit(client, login_as, physics, drao_physics, other_customer_org):
    login_as(drao_physics)
    assert client.post(f"/settings/access-control/web-api/{physics.pk}/secret/").status_code == 403
    assert client.post(f"/settings/access-control/web-api/{other_customer_org.pk}/secret/").status_code == 404
    physics.refresh_from_db()
    assert physics.web_api_secret == ""


def test_get_never_changes_a_secret(mrao_client, physics):
    assert mrao_client.get(f"/settings/access-control/web-api/{physics.pk}/secret/").status_code == 405


# ---------------------------------------------------------------------------
# Settings → API tokens


def test_token_is_created_shown_once_and_revoked(client, login_as, drao_physics):
    login_as(drao_physics)
    page = client.get("/settings/api-tokens/")
    assert page.status_code == 200 and not parse_page(page.content.decode()).unlabelled()
    response = client.post("/settings/api-tokens/", {"name": "renewal script", "days": "30"})
    assert response.status_code == 200 and response["Cache-Control"].startswith("no-store")
    token = ApiToken.objects.get(admin=drao_physics)
    raw = response.content.decode().split('class="secret"', 1)[1].split(">", 1)[1].split("<", 1)[0].strip()
    assert raw.startswith(token.prefix) and access.token_digest(raw) == token.digest
    listing = client.get("/settings/api-tokens/").content.decode()
    assert token.prefix in listing and raw not in listing
    api = client.get("/api/organization/v1", headers={"Authorization": f"Bearer {raw}"})
    assert api.status_code == 200
    assert client.post(f"/settings/api-tokens/{token.pk}/revoke/", {"confirmed": "1"}).status_code == 302
    token.refresh_from_db()
    assert token.revoked is not None


def test_tokens_of_others_answer_like_missing(client, login_as, mrao, drao_physics):
    token, _raw = access.create_api_token(actor_for(mrao), name="mrao's")
    login_as(drao_physics)
    assert client.post(f"/settings/api-tokens/{token.pk}/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked is None


def test_bad_token_form(client, login_as, drao_physics):
    login_as(drao_physics)
    assert client.post("/settings/api-tokens/", {"name": "", "days": "0"}).status_code == 200
    assert not ApiToken.objects.exists()


def test_own_client_certificate(client, login_as, drao_physics):
    login_as(drao_physics)
    assert client.post("/settings/api-tokens/certificate/", {"serial": "0a:1b:2c"}).status_code == 302
    assert Admin.objects.get(pk=drao_physics.pk).certificate_serial_number == "A1B2C"
    bad = client.post("/settings/api-tokens/certificate/", {"serial": "not hex"})
    assert bad.status_code == 200 and "hexadecimal" in bad.content.decode()
    assert client.post("/settings/api-tokens/certificate/", {"serial": ""}).status_code == 302
    assert Admin.objects.get(pk=drao_physics.pk).certificate_serial_number == ""
    assert AuditEvent.objects.filter(action="admin.client_certificate_changed").count() == 2


@pytest.mark.parametrize("path", ["/settings/access-control/", "/settings/api-tokens/"])
def test_pages_need_a_login(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_settings_page_links_the_new_pages(mrao_client):
    html = mrao_client.get("/settings/").content.decode()
    assert "/settings/access-control/" in html and "/settings/api-tokens/" in html


def test_destructive_actions_ask_first_then_act_once_confirmed(mrao_client, customer, physics):
    """Removing a network (like revoking a token, changing a Web API key, deleting a notification or a
    webhook, removing a delegation, deactivating an ACME client) asks first: a dialog for HTMX, a page
    without JavaScript, posting the same fields again with confirmed=1. Nothing changes before."""
    fence(customer, physics, "127.0.0.0/8")
    fence(customer, physics, "10.0.0.0/8")
    entry = AccessControlEntry.objects.get(network="10.0.0.0/8")
    url = f"/settings/access-control/{entry.pk}/remove/"
    page = mrao_client.post(url, HTTP_REFERER="http://testserver/settings/access-control/")
    html = page.content.decode()
    assert page.status_code == 200 and "<h2 id=\"dialog-title\">Remove this network?</h2>" in html
    assert '<input type="hidden" name="confirmed" value="1">' in html and f'action="{url}"' in html
    assert 'href="http://testserver/settings/access-control/"' in html  # Cancel goes back
    assert AccessControlEntry.objects.filter(pk=entry.pk).exists()
    dialog = mrao_client.post(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in dialog and "Remove this network?" in dialog
    assert mrao_client.post(url, {"confirmed": "1"}).status_code == 302
    assert not AccessControlEntry.objects.filter(pk=entry.pk).exists()
    # a foreign Referer is not offered as the way back
    assert 'href="https://evil.example/' not in mrao_client.post(
        f"/settings/access-control/{AccessControlEntry.objects.get().pk}/remove/",
        HTTP_REFERER="https://evil.example/x").content.decode()


def test_generating_a_first_web_api_key_asks_nothing_replacing_it_asks(mrao_client, physics):
    url = f"/settings/access-control/web-api/{physics.pk}/secret/"
    assert 'class="secret"' in mrao_client.post(url, {"action": "generate"}).content.decode()
    physics.refresh_from_db()
    first = physics.web_api_secret
    html = mrao_client.post(url, {"action": "generate", "replacing": "1"}).content.decode()
    assert "Change the Web API secret key?" in html and 'class="secret"' not in html
    physics.refresh_from_db()
    assert physics.web_api_secret == first
    html = mrao_client.post(url, {"action": "generate", "replacing": "1", "confirmed": "1"}).content.decode()
    assert 'class="secret"' in html


def test_the_portal_offers_the_question_in_a_dialog(mrao_client, customer, physics):
    fence(customer, physics, "10.0.0.0/8")
    html = mrao_client.get("/settings/access-control/").content.decode()
    entry = AccessControlEntry.objects.get()
    assert (f'hx-post="/settings/access-control/{entry.pk}/remove/" hx-target="#portal-dialog-body"') in html
