"""The ACME protocol over HTTP (RFC 8555): happy path on the OV endpoint with pre-authorized
identifiers, and every refusal as a problem document with its RFC 8555 type."""
from __future__ import annotations

import base64
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from certdesk.acme import services as acme_services
from certdesk.acme.errors import NOT_PREAUTHORIZED
from certdesk.acme.models import AcmeAccount, UsedNonce
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status

from .conftest import problem


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def csr_der(pem: str) -> str:
    return b64(x509.load_pem_x509_csr(pem.encode()).public_bytes(serialization.Encoding.DER))


def test_directory_lists_urls_from_base_url(client, db):
    body = client.get("/acme/OV/directory").json()
    assert body["newAccount"] == "https://certdesk.example.net/acme/OV/new-account"
    assert body["meta"]["externalAccountRequired"] is True
    assert client.get("/acme/XX/directory").status_code == 404


def test_new_nonce_head_and_get(client, db):
    head = client.head("/acme/OV/new-nonce")
    assert head.status_code == 200 and head["Replay-Nonce"] and head["Cache-Control"] == "no-store"
    assert client.get("/acme/OV/new-nonce").status_code == 204
    assert UsedNonce.objects.count() == 0  # issuing a nonce writes nothing


@pytest.mark.parametrize("key", ["rsa", "p256", "p384"])
def test_full_order_with_preauthorized_identifiers(acme_client, acme_account_physics, csr, key):
    c = acme_client(key)
    created = c.register(acme_account_physics, contact=["mailto:drao@physics.univ-lyon.example"])
    assert created.status_code == 201, created.content
    acme_account_physics.refresh_from_db()
    assert acme_account_physics.status == "valid"
    order = c.order("www.physics.example.org")
    assert order.status_code == 201, order.content
    body = order.json()
    assert body["status"] == "ready"
    authz = c.post(body["authorizations"][0]).json()
    assert authz["status"] == "valid"
    done = c.post(body["finalize"], {"csr": csr_der(csr("www.physics.example.org", ["www.physics.example.org"]))})
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "valid"
    chain = c.post(done.json()["certificate"])
    assert chain["Content-Type"] == "application/pem-certificate-chain"
    assert chain.content.count(b"BEGIN CERTIFICATE") >= 2
    assert 'rel="alternate"' in chain["Link"]
    cert = Certificate.objects.get()
    assert cert.status == Status.ISSUED and cert.requested_via == "ACME"
    assert cert.requester_label == "acme:physics-web"
    # Registering again with the same key returns the same account.
    again = c.register(acme_account_physics)
    assert again.status_code == 200 and again["Location"] == c.kid


def test_name_outside_bound_domains_is_refused_like_sectigo(acme_client, acme_account_physics):
    c = acme_client()
    c.register(acme_account_physics)
    for name in ("www.chemistry.example.org", "www.example.org", "www.elsewhere.example.com"):
        response = c.order(name)
        assert response.status_code == 403
        assert problem(response) == ("unauthorized", NOT_PREAUTHORIZED)


def test_eab_is_required_and_checked(acme_client, acme_account_physics):
    c = acme_client()
    assert problem(c.register(None))[0] == "externalAccountRequired"
    wrong = b64(b"x" * 48)
    assert problem(c.register(None, externalAccountBinding=c.eab(acme_account_physics, hmac_key=wrong)))[0] == \
        "unauthorized"
    assert problem(c.register(None, externalAccountBinding=c.eab(acme_account_physics, kid="nope")))[0] == \
        "unauthorized"
    # EAB over another key than the one signing the request
    other = acme_client("p256")
    response = c.register(None, externalAccountBinding=other.eab(acme_account_physics))
    assert problem(response)[0] == "malformed"
    # onlyReturnExisting for an unknown key
    assert problem(c.register(None, onlyReturnExisting=True))[0] == "accountDoesNotExist"
    assert AcmeAccount.objects.get().clients.count() == 0


def test_eab_of_another_endpoint_is_refused(acme_client, acme_account_physics):
    c = acme_client(endpoint="DV")
    assert problem(c.register(acme_account_physics))[0] == "unauthorized"


def test_suspended_account(acme_client, acme_account_physics, drao):
    c = acme_client()
    c.register(acme_account_physics)
    acme_services.set_suspended(drao, acme_account_physics, True)
    assert problem(c.order("www.physics.example.org")) [0] == "unauthorized"
    fresh = acme_client("p256")
    assert problem(fresh.register(acme_account_physics))[0] == "unauthorized"
    assert Certificate.objects.count() == 0


def test_replayed_and_unknown_nonces(acme_client, acme_account_physics):
    c = acme_client()
    c.register(acme_account_physics)
    nonce = c.nonce()
    first = c.post(c.kid, None, nonce=nonce)
    assert first.status_code == 200
    replay = c.post(c.kid, None, nonce=nonce)
    assert problem(replay)[0] == "badNonce" and replay["Replay-Nonce"]
    assert problem(c.post(c.kid, None, nonce="made-up"))[0] == "badNonce"


def test_url_mismatch_wrong_key_and_content_type(acme_client, acme_account_physics, account_keys):
    c = acme_client()
    c.register(acme_account_physics)
    assert problem(c.post(c.directory["newOrder"], {"identifiers": []}, sign_url=c.directory["newAccount"]))[0] == \
        "unauthorized"
    response = c.post(c.directory["newOrder"], {"identifiers": [{"type": "dns", "value": "www.physics.example.org"}]},
                      key=account_keys["rsa2"])
    assert problem(response)[0] == "malformed" and "signature" in problem(response)[1]
    response = c.post(c.directory["newOrder"], {"identifiers": []}, content_type="application/json")
    assert response.status_code == 415
    assert problem(c.post(c.directory["newOrder"], {"identifiers": []}, kid=c.kid + "x"))[0] == "accountDoesNotExist"
    assert Certificate.objects.count() == 0


def test_jwk_on_kid_requests_and_bad_algorithm(acme_client, acme_account_physics, client):
    c = acme_client()
    c.register(acme_account_physics)
    assert problem(c.post(c.directory["newOrder"], {"identifiers": []}, kid=None))[0] == "malformed"
    from certdesk.acme.jws import b64encode
    protected = b64encode(json.dumps({"alg": "HS256", "nonce": c.nonce(), "url": c.directory["newOrder"],
                                      "kid": c.kid}).encode())
    body = json.dumps({"protected": protected, "payload": b64encode(b"{}"), "signature": b64encode(b"x" * 32)})
    response = client.post("/acme/OV/new-order", body, content_type="application/jose+json")
    assert problem(response)[0] == "badSignatureAlgorithm"
    assert "RS256" in response.json()["algorithms"]


def test_csr_names_must_match_the_order(acme_client, acme_account_physics, csr):
    c = acme_client()
    c.register(acme_account_physics)
    order = c.order("www.physics.example.org").json()
    bad = c.post(order["finalize"], {"csr": csr_der(csr("www.physics.example.org",
                                                          ["www.physics.example.org", "lab.physics.example.org"]))})
    assert problem(bad)[0] == "badCSR"
    weak = c.post(order["finalize"], {"csr": csr_der(csr("www.physics.example.org", ["www.physics.example.org"],
                                                           key="rsa1024"))})
    assert problem(weak)[0] == "badCSR"
    assert problem(c.post(order["finalize"], {"csr": "!!"}))[0] == "malformed"
    assert Certificate.objects.count() == 0


def test_finalize_twice_is_order_not_ready(acme_client, acme_account_physics, csr):
    c = acme_client()
    c.register(acme_account_physics)
    order = c.order("www.physics.example.org").json()
    payload = {"csr": csr_der(csr("www.physics.example.org", ["www.physics.example.org"]))}
    assert c.post(order["finalize"], payload).status_code == 200
    assert problem(c.post(order["finalize"], payload))[0] == "orderNotReady"


def test_other_clients_cannot_see_an_order(acme_client, acme_account_physics, acme_account_univ):
    c = acme_client()
    c.register(acme_account_physics)
    order = c.order("www.physics.example.org")
    other = acme_client("p256")
    other.register(acme_account_univ)
    assert other.post(order["Location"]).status_code == 404


def test_account_update_deactivation_and_key_change(acme_client, acme_account_physics, account_keys):
    import josepy
    from acme import jws as acme_jws

    c = acme_client()
    c.register(acme_account_physics)
    updated = c.post(c.kid, {"contact": ["mailto:new@physics.univ-lyon.example"]})
    assert updated.json()["contact"] == ["mailto:new@physics.univ-lyon.example"]
    # key rollover to a P-256 key
    new_key = account_keys["p256"]
    url = c.directory["keyChange"]
    inner = acme_jws.JWS.sign(
        json.dumps({"account": c.kid, "oldKey": c.key.public_key().to_partial_json()}).encode(),
        key=new_key, alg=josepy.ES256, nonce=None, url=url)
    changed = c.post(url, inner.to_partial_json())
    assert changed.status_code == 200, changed.content
    assert problem(c.post(c.kid, None))[0] == "malformed"  # old key no longer signs
    c.key, c.alg = new_key, josepy.ES256
    assert c.post(c.kid, None).status_code == 200
    deactivated = c.post(c.kid, {"status": "deactivated"})
    assert deactivated.json()["status"] == "deactivated"
    assert problem(c.order("www.physics.example.org"))[0] == "unauthorized"


def test_revoke_by_account_and_by_certificate_key(acme_client, acme_account_physics, csr, keys, account_keys):
    import josepy

    c = acme_client()
    c.register(acme_account_physics)

    def issue():
        order = c.order("www.physics.example.org").json()
        done = c.post(order["finalize"], {"csr": csr_der(csr("www.physics.example.org",
                                                               ["www.physics.example.org"]))}).json()
        pem = c.post(done["certificate"]).content
        return b64(x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER))

    der = issue()
    assert c.post(c.directory["revokeCert"], {"certificate": der, "reason": 2}).status_code == 400
    assert c.post(c.directory["revokeCert"], {"certificate": der, "reason": 4}).status_code == 200
    assert problem(c.post(c.directory["revokeCert"], {"certificate": der}))[0] == "alreadyRevoked"
    # Another account (another department) may not revoke it; the certificate's own key may.
    der2 = issue()
    stranger = acme_client("p384")
    assert problem(stranger.post(stranger.directory["revokeCert"], {"certificate": der2}, kid=None))[0] == \
        "unauthorized"
    cert_key = josepy.JWKRSA(key=keys["rsa2048"])
    response = c.post(c.directory["revokeCert"], {"certificate": der2}, key=cert_key, alg=josepy.RS256, kid=None)
    assert response.status_code == 200, response.content
    assert Certificate.objects.filter(status=Status.REVOKED).count() == 2


def test_renewal_information(acme_client, acme_account_physics, csr, client):
    c = acme_client()
    c.register(acme_account_physics)
    order = c.order("www.physics.example.org").json()
    c.post(order["finalize"], {"csr": csr_der(csr("www.physics.example.org", ["www.physics.example.org"]))})
    cert = Certificate.objects.get()
    leaf = cert.certificate()
    aki = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    serial = leaf.serial_number.to_bytes((leaf.serial_number.bit_length() + 8) // 8, "big")
    response = client.get(f"/acme/OV/renewal-info/{b64(aki)}.{b64(serial)}")
    assert response.status_code == 200 and response["Retry-After"]
    window = response.json()["suggestedWindow"]
    assert window["start"] < window["end"]
    unknown = b64(bytes([1]))
    assert client.get(f"/acme/OV/renewal-info/{b64(aki)}.{unknown}").status_code == 404
    assert problem(client.get("/acme/OV/renewal-info/nodot"))[0] == "malformed"
