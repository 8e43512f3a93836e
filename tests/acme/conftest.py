"""Fixtures of the ACME tests: the certificate tests' CAs, profiles and validated domains, ACME
accounts of the seed people (`acme_account_physics`), and a small ACME client over the Django
test client (josepy/acme signing, so the server is checked against another implementation)."""
from __future__ import annotations

import json

import josepy
import pytest
from acme import jws as acme_jws
from acme import messages
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from certdesk.acme import services as acme_services

from ..certificates.conftest import (  # noqa: F401  (fixtures re-exported for this directory)
    CA_IDENTITY,
    _certificate_settings,
    _dns_server,
    _domain_settings,
    csr,
    dns,
    domains,
    drao,
    keys,
    make_csr,
    make_domain,
    profiles,
    rao,
    ssl,
    validate,
)
from ..domains.conftest import _web_servers, web  # noqa: F401

BASE = "https://certdesk.example.net"


@pytest.fixture(autouse=True)
def _acme_settings(settings, _certificate_settings):  # noqa: F811
    settings.BASE_URL = BASE


@pytest.fixture
def acme_account_physics(ssl, drao):  # noqa: F811
    """Physics' OV account (created by its DRAO), bound to *.physics.example.org."""
    return acme_services.create_account(drao, organization=drao.admin.credential_list()[0].organization,
                                        endpoint_name="OV", name="physics-web",
                                        domains=["*.physics.example.org"])


@pytest.fixture
def acme_account_univ(ssl, rao, univ):  # noqa: F811
    return acme_services.create_account(rao, organization=univ, endpoint_name="OV", name="univ-web",
                                        domains=["example.org", "*.example.org"])


@pytest.fixture(scope="session")
def account_keys():
    return {
        "rsa": josepy.JWKRSA(key=rsa.generate_private_key(65537, 2048)),
        "rsa2": josepy.JWKRSA(key=rsa.generate_private_key(65537, 2048)),
        "p256": josepy.JWKEC(key=ec.generate_private_key(ec.SECP256R1())),
        "p384": josepy.JWKEC(key=ec.generate_private_key(ec.SECP384R1())),
    }


ALGS = {"rsa": josepy.RS256, "rsa2": josepy.RS256, "p256": josepy.ES256, "p384": josepy.ES384}


class Client:
    """Just enough ACME to drive the server, with hooks to break each rule."""

    def __init__(self, http, key: josepy.JWK, alg, endpoint: str = "OV"):
        self.http, self.key, self.alg, self.endpoint = http, key, alg, endpoint
        self.kid: str | None = None
        self.directory = self.http.get(f"/acme/{endpoint}/directory").json()

    def path(self, url: str) -> str:
        assert url.startswith(BASE), url
        return url[len(BASE):]

    def nonce(self) -> str:
        return self.http.head(self.path(self.directory["newNonce"]))["Replay-Nonce"]

    def signed(self, url, payload, *, key=None, alg=None, kid="default", nonce=None, sign_url=None) -> str:
        body = b"" if payload is None else json.dumps(payload).encode()
        kid = self.kid if kid == "default" else kid
        message = acme_jws.JWS.sign(body, key=key or self.key, alg=alg or self.alg,
                                    nonce=josepy.b64.b64decode(nonce or self.nonce()) if nonce is not False else None,
                                    url=sign_url or url, kid=kid)
        return message.json_dumps()

    def post(self, url, payload=None, **kwargs):
        content_type = kwargs.pop("content_type", "application/jose+json")
        return self.http.post(self.path(url), self.signed(url, payload, **kwargs), content_type=content_type)

    def eab(self, account, *, hmac_key=None, kid=None, key=None) -> dict:
        directory = messages.Directory.from_json(self.directory)
        return messages.ExternalAccountBinding.from_data(
            account_public_key=(key or self.key).public_key(), kid=kid or account.mac_id,
            hmac_key=hmac_key or account.mac_key, directory=directory)

    def register(self, account, **payload):
        payload.setdefault("termsOfServiceAgreed", True)
        if account is not None:
            payload.setdefault("externalAccountBinding", self.eab(account))
        response = self.post(self.directory["newAccount"], payload, kid=None)
        if response.status_code in (200, 201):
            self.kid = response["Location"]
        return response

    def order(self, *names):
        return self.post(self.directory["newOrder"],
                         {"identifiers": [{"type": "dns", "value": n} for n in names]})


@pytest.fixture
def acme_client(client, account_keys):
    def make(key="rsa", endpoint="OV"):
        return Client(client, account_keys[key], ALGS[key], endpoint)

    return make


def problem(response) -> tuple[str, str]:
    assert response["Content-Type"] == "application/problem+json", response.content
    body = response.json()
    return body["type"].rsplit(":", 1)[-1], body["detail"]
