"""JWS as ACME uses it (RFC 8555 §6.2, RFC 7515/7517/7518/7638/8037): flattened JSON
serialization, RS256/ES256/ES384/EdDSA account signatures, HS256 for External Account Binding."""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from .errors import AcmeProblem, malformed

ALGORITHMS = ("RS256", "ES256", "ES384", "EdDSA")
_EC = {"ES256": ("P-256", ec.SECP256R1, hashes.SHA256, 32), "ES384": ("P-384", ec.SECP384R1, hashes.SHA384, 48)}
MIN_RSA_BITS = 2048
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


def b64decode(text: Any, what: str = "value") -> bytes:
    """Unpadded base64url (RFC 7515 §2); padding and other alphabets are refused."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text) or len(text) % 4 == 1:
        raise malformed(f"The {what} is not unpadded base64url.")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise malformed(f"The {what} is not unpadded base64url.") from None


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _json(data: bytes, what: str) -> Any:
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise malformed(f"The {what} is not valid JSON.") from None


def _int(value: Any, what: str) -> int:
    return int.from_bytes(b64decode(value, f"JWK member {what}"), "big")


def public_key(jwk: Any):
    """The public key of a JWK; badPublicKey when unusable, private members refused."""
    if not isinstance(jwk, dict):
        raise malformed("The jwk is not a JSON object.")
    if any(k in jwk for k in ("d", "p", "q", "dp", "dq", "qi", "k")):
        raise AcmeProblem("badPublicKey", "The jwk holds private key material.")
    kty = jwk.get("kty")
    try:
        if kty == "RSA":
            key = rsa.RSAPublicNumbers(_int(jwk.get("e"), "e"), _int(jwk.get("n"), "n")).public_key()
            if key.key_size < MIN_RSA_BITS:
                raise AcmeProblem("badPublicKey", f"RSA account keys must have at least {MIN_RSA_BITS} bits.")
            return key
        if kty == "EC":
            curve = {"P-256": ec.SECP256R1, "P-384": ec.SECP384R1}.get(jwk.get("crv"))
            if curve is None:
                raise AcmeProblem("badPublicKey", "EC account keys must be on P-256 or P-384.")
            return ec.EllipticCurvePublicNumbers(_int(jwk.get("x"), "x"), _int(jwk.get("y"), "y"),
                                                 curve()).public_key()
        if kty == "OKP" and jwk.get("crv") == "Ed25519":
            raw = b64decode(jwk.get("x"), "JWK member x")
            return ed25519.Ed25519PublicKey.from_public_bytes(raw)
    except AcmeProblem:
        raise
    except (ValueError, TypeError):
        raise AcmeProblem("badPublicKey", "The jwk does not describe a valid public key.") from None
    raise AcmeProblem("badPublicKey", f"Unsupported key type {kty!r}: use RSA, EC (P-256, P-384) or Ed25519.")


def thumbprint(jwk: dict) -> str:
    """RFC 7638 SHA-256 thumbprint, base64url."""
    kty = jwk.get("kty")
    members = {"RSA": ("e", "kty", "n"), "EC": ("crv", "kty", "x", "y"), "OKP": ("crv", "kty", "x")}.get(kty)
    if members is None:
        raise AcmeProblem("badPublicKey", f"Unsupported key type {kty!r}.")
    canonical = json.dumps({m: jwk.get(m) for m in members}, separators=(",", ":"), sort_keys=True)
    return b64encode(hashlib.sha256(canonical.encode()).digest())


def public_jwk(key) -> dict:
    """The JWK of a public key (to compare a certificate's key with a JWS's)."""
    if isinstance(key, rsa.RSAPublicKey):
        n = key.public_numbers()
        return {"kty": "RSA", "n": b64encode(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big")),
                "e": b64encode(n.e.to_bytes((n.e.bit_length() + 7) // 8, "big"))}
    if isinstance(key, ec.EllipticCurvePublicKey):
        size = (key.curve.key_size + 7) // 8
        n = key.public_numbers()
        crv = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}.get(key.curve.name, key.curve.name)
        return {"kty": "EC", "crv": crv, "x": b64encode(n.x.to_bytes(size, "big")),
                "y": b64encode(n.y.to_bytes(size, "big"))}
    if isinstance(key, ed25519.Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": b64encode(raw)}
    raise AcmeProblem("badPublicKey", "Unsupported key type.")


def _key_matches_alg(key, alg: str) -> bool:
    if alg == "RS256":
        return isinstance(key, rsa.RSAPublicKey)
    if alg in _EC:
        return isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == _EC[alg][1].name
    return alg == "EdDSA" and isinstance(key, ed25519.Ed25519PublicKey)


def verify_signature(key, alg: str, signing_input: bytes, signature: bytes) -> bool:
    if not _key_matches_alg(key, alg):
        return False
    try:
        if alg == "RS256":
            key.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
        elif alg in _EC:
            size = _EC[alg][3]
            if len(signature) != 2 * size:
                return False
            der = encode_dss_signature(int.from_bytes(signature[:size], "big"), int.from_bytes(signature[size:], "big"))
            key.verify(der, signing_input, ec.ECDSA(_EC[alg][2]()))
        else:
            key.verify(signature, signing_input)
    except InvalidSignature:
        return False
    return True


@dataclass
class Jws:
    """A parsed flattened JWS (signature not yet checked)."""

    protected: dict
    protected_b64: str
    payload_b64: str
    signature: bytes

    @property
    def signing_input(self) -> bytes:
        return f"{self.protected_b64}.{self.payload_b64}".encode("ascii")

    @property
    def is_post_as_get(self) -> bool:
        return self.payload_b64 == ""

    def payload(self) -> Any:
        """The payload as JSON; {} for an empty object, None for POST-as-GET."""
        if self.payload_b64 == "":
            return None
        return _json(b64decode(self.payload_b64, "payload"), "payload")


def parse(body: Any) -> Jws:
    """A flattened JWS object (RFC 7515 §7.2.2); the only serialization ACME allows."""
    if isinstance(body, (bytes, str)):
        body = _json(body if isinstance(body, bytes) else body.encode(), "request body")
    if not isinstance(body, dict):
        raise malformed("The request body must be a flattened JWS JSON object.")
    if "signatures" in body or "header" in body:
        raise malformed("Only the flattened JWS serialization with a protected header is accepted.")
    protected_b64, payload_b64, sig_b64 = body.get("protected"), body.get("payload"), body.get("signature")
    if not isinstance(protected_b64, str) or not isinstance(payload_b64, str) or not isinstance(sig_b64, str):
        raise malformed("The JWS must have protected, payload and signature members.")
    protected = _json(b64decode(protected_b64, "protected header"), "protected header")
    if not isinstance(protected, dict):
        raise malformed("The protected header is not a JSON object.")
    if payload_b64:
        b64decode(payload_b64, "payload")
    return Jws(protected=protected, protected_b64=protected_b64, payload_b64=payload_b64,
               signature=b64decode(sig_b64, "signature"))


def check_algorithm(alg: Any) -> str:
    if alg not in ALGORITHMS:
        raise AcmeProblem("badSignatureAlgorithm", f"The JWS algorithm {alg!r} is not supported.",
                          algorithms=list(ALGORITHMS))
    return alg


def verify_hs256(jws: Jws, key: bytes) -> bool:
    expected = hmac.new(key, jws.signing_input, hashlib.sha256).digest()
    return hmac.compare_digest(expected, jws.signature)
