"""RFC 8555 §6.7 problem documents: the one way the ACME adapter refuses."""
from __future__ import annotations

from typing import Any

NS = "urn:ietf:params:acme:error:"

# RFC 7807 `title` per type: the descriptions of RFC 8555 §6.7. Clients print "title :: detail"
# (certbot), which gives users Sectigo's exact line for refused identifiers (seed 002).
TITLES = {
    "accountDoesNotExist": "The request specified an account that does not exist",
    "alreadyRevoked": "The request specified a certificate to be revoked that has already been revoked",
    "badCSR": "The CSR is unacceptable (e.g., due to a short key)",
    "badNonce": "The client sent an unacceptable anti-replay nonce",
    "badPublicKey": "The JWS was signed by a public key the server does not support",
    "badRevocationReason": "The revocation reason provided is not allowed by the server",
    "badSignatureAlgorithm": "The JWS was signed with an algorithm the server does not support",
    "caa": "Certification Authority Authorization (CAA) records forbid the CA from issuing a certificate",
    "connection": "The server could not connect to validation target",
    "dns": "There was a problem with a DNS query during identifier validation",
    "externalAccountRequired": "The request must include a value for the \"externalAccountBinding\" field",
    "invalidContact": "A contact URL for an account was invalid",
    "malformed": "The request message was malformed",
    "orderNotReady": "The request attempted to finalize an order that is not ready to be finalized",
    "rejectedIdentifier": "The server will not issue certificates for the identifier",
    "serverInternal": "The server experienced an internal error",
    "unauthorized": "The client lacks sufficient authorization",
    "unsupportedContact": "A contact URL for an account used an unsupported protocol scheme",
    "unsupportedIdentifier": "An identifier is of an unsupported type",
    "tls": "The server received a TLS error during validation",
    "conflict": "The request conflicts with the current state of the server",
}


class AcmeProblem(Exception):
    """An RFC 7807 problem with an RFC 8555 error type; views render it as application/problem+json."""

    def __init__(self, type_: str, detail: str, *, status: int = 400, headers: dict | None = None,
                 **extra: Any):
        super().__init__(detail)
        self.type = type_
        self.detail = detail
        self.status = status
        self.headers = headers or {}
        self.extra = extra

    def document(self) -> dict[str, Any]:
        title = TITLES.get(self.type)
        return {"type": NS + self.type, **({"title": title} if title else {}), "detail": self.detail,
                "status": self.status, **self.extra}


def malformed(detail: str) -> AcmeProblem:
    return AcmeProblem("malformed", detail)


def unauthorized(detail: str) -> AcmeProblem:
    return AcmeProblem("unauthorized", detail, status=403)


# What Sectigo answers for an identifier outside the account's pre-authorized domains (seed 002);
# certbot prints it after the type's description "The client lacks sufficient authorization".
NOT_PREAUTHORIZED = "The identifiers are not all linked to the same preauthorized Subject organization name/address"
