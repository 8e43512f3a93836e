"""REST `/api/acme/...` (spec §7.10): servers, accounts with EAB credentials, bound domains, scope."""
from __future__ import annotations

import json

import pytest

from certdesk.acme.models import AcmeAccount

from ..api.conftest import ScmClient


@pytest.fixture
def api(client):
    def make(admin):
        return ScmClient(client, admin.login)

    return make


def test_servers_list_ov_and_dv_with_directory_urls(api, ssl, mrao):
    response = api(mrao).get("acme/v1/server")
    assert response.status_code == 200
    servers = {s["name"]: s for s in response.json()}
    assert servers["OV"]["url"] == "https://certdesk.example.net/acme/OV/directory"
    assert servers["OV"]["certValidationType"] == "OV" and servers["DV"]["certValidationType"] == "DV"
    assert [s["name"] for s in api(mrao).get("acme/v1/server", {"name": "DV"}).json()] == ["DV"]


def test_drao_creates_account_for_its_department_and_binds_domains(api, ssl, drao_physics, physics, client):
    scm = api(drao_physics)
    created = scm.post("acme/v1/account", {"name": "physics-web", "acmeServer": "OV", "organizationId": physics.pk})
    assert created.status_code == 201, created.content
    account_id = int(created["Location"].rsplit("/", 1)[1])
    account = scm.get(f"acme/v1/account/{account_id}").json()
    assert account["status"] == "pending" and account["macId"] and account["macKey"]
    assert "=" not in account["macKey"] and account["organizationId"] == physics.pk
    assert account["acmeServer"].endswith("/acme/OV/directory") and account["domains"] == []
    bound = scm.post(f"acme/v2/account/{account_id}/domain",
                     {"domains": [{"name": "*.physics.example.org"}, {"name": "*.chemistry.example.org"},
                                  {"name": "nowhere.example.com"}]})
    assert bound.status_code == 200
    assert sorted(bound.json()["notAddedDomains"]) == ["*.chemistry.example.org", "nowhere.example.com"]
    listed = scm.get(f"acme/v2/account/{account_id}/domain").json()
    assert [d["name"] for d in listed] == ["*.physics.example.org"]
    removed = client.generic("DELETE", f"/api/acme/v2/account/{account_id}/domain",
                             json.dumps({"domains": [{"name": "*.physics.example.org"}, {"name": "x.example.org"}]}),
                             content_type="application/json", headers=scm.headers())
    assert removed.json() == {"notRemovedDomains": ["x.example.org"]}
    assert scm.put(f"acme/v2/account/{account_id}", {"name": "renamed"}).status_code == 200
    assert AcmeAccount.objects.get().name == "renamed"
    assert scm.get(f"acme/v2/account/{account_id}/client").json() == []
    assert scm.delete(f"acme/v2/account/{account_id}").status_code == 204
    assert not AcmeAccount.objects.exists()


def test_drao_cannot_create_or_see_accounts_of_another_department(api, ssl, drao_physics, chemistry,
                                                                  acme_account_univ):
    scm = api(drao_physics)
    refused = scm.post("acme/v1/account", {"name": "x", "acmeServer": "OV", "organizationId": chemistry.pk})
    assert refused.status_code == 404
    assert scm.get("acme/v1/account").json() == []
    assert scm.get(f"acme/v1/account/{acme_account_univ.pk}").status_code == 404


def test_rao_sees_department_accounts(api, ssl, rao_univ, acme_account_physics, acme_account_univ):
    names = sorted(a["name"] for a in api(rao_univ).get("acme/v2/account").json())
    assert names == ["physics-web", "univ-web"]


def test_unknown_server_is_refused(api, ssl, rao_univ, univ):
    response = api(rao_univ).post("acme/v1/account", {"name": "x", "acmeServer": "XYZ", "organizationId": univ.pk})
    assert response.status_code in (400, 404)
