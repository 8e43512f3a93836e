"""API fixtures: an SCM client speaking header authentication to the Django test client."""
from __future__ import annotations

import json

import pytest

from certdesk.accounts import services as accounts
from tests.conftest import PASSWORD, actor_for


class ScmClient:
    """Sends `login`, `password`, `customerUri` headers like every SCM client."""

    def __init__(self, client, login: str | None, password: str | None = PASSWORD, customer: str | None = "renater",
                 prefix: str = "/api"):
        self.client = client
        self.login, self.password, self.customer = login, password, customer
        self.prefix = prefix

    def headers(self, extra: dict | None = None) -> dict:
        headers = {}
        if self.login is not None:
            headers["login"] = self.login
        if self.password is not None:
            headers["password"] = self.password
        if self.customer is not None:
            headers["customerUri"] = self.customer
        headers.update(extra or {})
        return headers

    def url(self, path: str) -> str:
        """Paths starting with "/" are taken as they are; others are relative to the API root."""
        return path if path.startswith("/") else f"{self.prefix}/{path}"

    def get(self, path, params=None, **kw):
        return self.client.get(self.url(path), params or {}, headers=self.headers(kw.pop("headers", None)), **kw)

    def head(self, path, params=None, **kw):
        return self.client.head(self.url(path), params or {}, headers=self.headers(kw.pop("headers", None)), **kw)

    def _send(self, method, path, data, raw, content_type, headers):
        body = raw if raw is not None else ("" if data is None else json.dumps(data))
        return getattr(self.client, method)(self.url(path), body, content_type=content_type,
                                            headers=self.headers(headers))

    def post(self, path, data=None, *, raw=None, content_type="application/json", headers=None):
        return self._send("post", path, data, raw, content_type, headers)

    def put(self, path, data=None, *, raw=None, content_type="application/json", headers=None):
        return self._send("put", path, data, raw, content_type, headers)

    def patch(self, path, data=None, *, raw=None, content_type="application/json", headers=None):
        return self._send("patch", path, data, raw, content_type, headers)

    def delete(self, path, *, headers=None):
        return self.client.delete(self.url(path), headers=self.headers(headers))


@pytest.fixture
def scm(client):
    """scm(admin_or_login, password=..., customer=...) -> ScmClient."""

    def make(who=None, password=PASSWORD, customer="renater", prefix="/api"):
        login = getattr(who, "login", who)
        return ScmClient(client, login, password, customer, prefix)

    return make


@pytest.fixture
def mrao_api(scm, mrao):
    return scm(mrao)


@pytest.fixture
def mrao2_api(scm, mrao2):
    return scm(mrao2)


@pytest.fixture
def rao_api(scm, rao_univ):
    return scm(rao_univ)


@pytest.fixture
def drao_api(scm, drao_physics):
    return scm(drao_physics)


@pytest.fixture
def jisc_api(scm, other_mrao):
    return scm(other_mrao, customer="jisc")


@pytest.fixture
def api_robot(mrao_actor, univ):
    """An admin of type API ("Web API Use Only"), RAO SSL of the university, password already changed."""
    return accounts.create_admin(
        mrao_actor, login="robot", email="robot@univ-lyon.example", forename="Api", surname="Robot",
        password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": univ.pk}], privileges=["allowDCV"],
        type="API", must_change_password=False,
    )


@pytest.fixture
def drao_creator(mrao_actor, physics):
    """A DRAO of Physics that may create admins (allowCreate)."""
    return accounts.create_admin(
        mrao_actor, login="drao_creator", email="creator@physics.univ-lyon.example", forename="Cora",
        surname="Creator", password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}],
        privileges=["allowCreate", "allowEdit"], must_change_password=False,
    )


def error_of(response) -> tuple[int, int, str]:
    """(HTTP status, SCM code, description), checking the SCM error shape on the way."""
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    body = response.json()
    assert set(body) == {"code", "description"}, body
    assert isinstance(body["code"], int) and isinstance(body["description"], str) and body["description"]
    return response.status_code, body["code"], body["description"]


__all__ = ["ScmClient", "error_of", "actor_for", "PASSWORD"]
