"""JWS and EAB primitives (RFC 7515/7518/7638/8037, RFC 8555 §6.2 and §7.3.4)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from certdesk.acme import jws
from certdesk.acme.errors import AcmeProblem


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def sign(key, alg: str, header: dict, payload: bytes) -> dict:
    protected = b64(json.dumps(header).encode())
    message = f"{protected}.{b64(payload)}".encode()
    if alg == "RS256":
        from cryptography.hazmat.primitives.asymmetric import padding

        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    elif alg in ("ES256", "ES384"):
        size = 32 if alg == "ES256" else 48
        r, s = decode_dss_signature(key.sign(message, ec.ECDSA(hashes.SHA256() if size == 32 else hashes.SHA384())))
        signature = r.to_bytes(size, "big") + s.to_bytes(size, "big")
    else:
        signature = key.sign(message)
    return {"protected": protected, "payload": b64(payload), "signature": b64(signature)}


def test_rfc7638_thumbprint_example():
    # RFC 7638 §3.1
    jwk = {"kty": "RSA", "e": "AQAB", "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFF"
           "xuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW"
           "2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lF"
           "d2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}
    assert jws.thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


@pytest.mark.parametrize("alg,key", [
    ("RS256", rsa.generate_private_key(65537, 2048)),
    ("ES256", ec.generate_private_key(ec.SECP256R1())),
    ("ES384", ec.generate_private_key(ec.SECP384R1())),
    ("EdDSA", ed25519.Ed25519PrivateKey.generate()),
])
def test_each_algorithm_verifies_and_rejects_tampering(alg, key):
    jwk = jws.public_jwk(key.public_key())
    message = jws.parse(sign(key, alg, {"alg": alg, "jwk": jwk}, b'{"a":1}'))
    public = jws.public_key(jwk)
    assert jws.verify_signature(public, alg, message.signing_input, message.signature)
    tampered = jws.parse({**sign(key, alg, {"alg": alg, "jwk": jwk}, b'{"a":1}'), "payload": b64(b'{"a":2}')})
    assert not jws.verify_signature(public, alg, tampered.signing_input, tampered.signature)
    wrong_alg = "ES256" if alg != "ES256" else "RS256"
    assert not jws.verify_signature(public, wrong_alg, message.signing_input, message.signature)


def test_unsupported_algorithms_and_keys():
    for alg in ("none", "HS256", "PS256", None):
        with pytest.raises(AcmeProblem) as info:
            jws.check_algorithm(alg)
        assert info.value.type == "badSignatureAlgorithm"
    small = rsa.generate_private_key(65537, 1024)
    with pytest.raises(AcmeProblem) as info:
        jws.public_key(jws.public_jwk(small.public_key()))
    assert info.value.type == "badPublicKey"
    with pytest.raises(AcmeProblem):
        jws.public_key({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"})
    with pytest.raises(AcmeProblem):
        jws.public_key({"kty": "oct", "k": "AA"})


def test_hs256_eab_signature():
    key = b"k" * 32
    protected = b64(json.dumps({"alg": "HS256", "kid": "kid", "url": "u"}).encode())
    payload = b64(b"{}")
    signature = hmac.new(key, f"{protected}.{payload}".encode(), hashlib.sha256).digest()
    message = jws.parse({"protected": protected, "payload": payload, "signature": b64(signature)})
    assert jws.verify_hs256(message, key)
    assert not jws.verify_hs256(message, b"other" * 8)


@pytest.mark.parametrize("body", [
    "not json", "[]", {"protected": "e30", "payload": "e30"}, {"signatures": [], "payload": ""},
    {"protected": "e30=", "payload": "", "signature": ""}, {"protected": "+/", "payload": "", "signature": ""},
])
def test_malformed_jws(body):
    with pytest.raises(AcmeProblem) as info:
        jws.parse(json.dumps(body) if isinstance(body, dict) else body)
    assert info.value.type == "malformed"
