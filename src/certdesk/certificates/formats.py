"""Downloads in SCM's collect formats (spec §6, seed 003 §7.6, certdesk-decisions "SSL"):

| format           | content                                                        |
|------------------|----------------------------------------------------------------|
| x509CO, pemco    | the certificate only, PEM                                      |
| pemia            | the certificate, then its issuer(s) up to the root's child     |
| x509R, pem       | the certificate, then the chain up to and including the root   |
| x509             | the root first, then down to the certificate                   |
| x509IO           | root, then intermediates (no certificate)                      |
| x509IOR          | exactly the reverse of x509IO                                  |
| base64           | PKCS #7 (RFC 2315 certs-only), PEM, full chain                  |
| bin              | PKCS #7, DER (.p7b), full chain                                 |
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.ca.queries import chain as ca_chain
from certdesk.core.actor import Actor
from certdesk.core.i18n import msg

from .errors import CertificateRevoked, NotCollectable, UnknownFormat, WrongState
from .models import Certificate
from .states import PENDING_STATUSES, REVOKED_STATUSES, Status

DEFAULT_FORMAT = "base64"
FORMATS = ("x509CO", "pemco", "pemia", "x509R", "pem", "x509", "x509IO", "x509IOR", "base64", "bin")
_BY_LOWER = {f.lower(): f for f in FORMATS}
CONTENT_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class Download:
    content: bytes
    filename: str
    content_type: str = CONTENT_TYPE
    format: str = ""


def parse_format(value: str | None) -> str:
    """The canonical format name (case-insensitive match), `base64` when empty; -1450 otherwise."""
    text = (value or "").strip()
    if not text:
        return DEFAULT_FORMAT
    found = _BY_LOWER.get(text.lower())
    if found is None:
        raise UnknownFormat(msg("Unsupported certificate format specified: %(text)s. Use one of %(formats)s.",
                                text=text, formats=', '.join(FORMATS)),
                            field="format")
    return found


def _pem(certs: list[x509.Certificate]) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _filename(cert: Certificate, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9.-]+", "_", cert.common_name.replace("*", "star")).strip("._") or f"certificate_{cert.pk}"
    return f"{stem}{suffix}"


def render(cert: Certificate, fmt: str) -> Download:
    """The bytes of `cert` in `fmt` (any status with a signed certificate; no permission check)."""
    fmt = parse_format(fmt)
    leaf = cert.certificate()
    if leaf is None or cert.ca_id is None:
        raise WrongState("There is no signed certificate to download.")
    authorities = [ca.certificate() for ca in ca_chain(cert.ca)]  # issuing CA … root
    intermediates = [c for ca, c in zip(ca_chain(cert.ca), authorities) if not ca.is_root]
    roots = [c for ca, c in zip(ca_chain(cert.ca), authorities) if ca.is_root]
    up = [leaf, *authorities]  # leaf, then up to the root
    if fmt in ("x509CO", "pemco"):
        return Download(_pem([leaf]), _filename(cert, ".pem"), format=fmt)
    if fmt == "pemia":
        return Download(_pem([leaf, *intermediates]), _filename(cert, "_with_issuer.pem"), format=fmt)
    if fmt in ("x509R", "pem"):
        return Download(_pem(up), _filename(cert, "_fullchain.pem"), format=fmt)
    if fmt == "x509":
        return Download(_pem(list(reversed(up))), _filename(cert, "_chain_root_first.pem"), format=fmt)
    if fmt == "x509IO":
        return Download(_pem(roots + list(reversed(intermediates))), _filename(cert, "_root_intermediates.pem"),
                        format=fmt)
    if fmt == "x509IOR":
        return Download(_pem(intermediates + roots), _filename(cert, "_intermediates_root.pem"), format=fmt)
    if fmt == "base64":
        return Download(pkcs7.serialize_certificates(up, serialization.Encoding.PEM), _filename(cert, ".p7b.pem"),
                        format=fmt)
    return Download(pkcs7.serialize_certificates(up, serialization.Encoding.DER), _filename(cert, ".p7b"), format=fmt)


def collect(actor: Actor, cert: Certificate, fmt: str | None = None) -> Download:
    """SCM collect: the format checked first (-1450), then the scope, then the status: pending →
    code 0 "Being processed by Sectigo" (what clients poll for), revoked → -192."""
    fmt = parse_format(fmt)
    policy.require(actor, Perm.VIEW_SSL, cert)
    if cert.status in PENDING_STATUSES:
        raise NotCollectable()
    if cert.status in REVOKED_STATUSES:
        raise CertificateRevoked("The certificate has been revoked.")
    if cert.status in (Status.DECLINED, Status.INVALID):
        raise WrongState(msg("The request was %(status)s: there is no certificate to download.",
                             status=Status(cert.status).label.lower()))
    if cert.profile.validation_only:
        raise WrongState("An EV anchor is validation only: there is no certificate to download.")
    return render(cert, fmt)
