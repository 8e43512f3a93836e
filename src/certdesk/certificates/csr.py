"""Certificate signing requests (PKCS #10, RFC 2986): parse, verify the signature, check the key.

Only the public key and the names are taken from a CSR; every subject field of the
certificate comes from the organization (seed 000: since SCM 20.11 only the organization's
fields count).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from certdesk.core.i18n import msg

from . import weakkeys
from .errors import (
    CsrInvalid,
    CsrNotBase64,
    CsrUndecodable,
    KeyAlgorithmRefused,
    KeySizeRefused,
    WeakKey,
)

MAX_CSR_CHARS = 64 * 1024
_PEM_RE = re.compile(r"-----BEGIN (NEW )?CERTIFICATE REQUEST-----(?P<body>.*?)-----END (NEW )?CERTIFICATE REQUEST-----",
                     re.S)
_B64_RE = re.compile(r"^[A-Za-z0-9+/=\s]*$")
CURVE_NAMES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}


@dataclass(frozen=True)
class ParsedCsr:
    csr: x509.CertificateSigningRequest
    pem: str
    key_algorithm: str  # "RSA" | "EC"
    key_size: int
    key_param: str  # "2048" | "P-256"
    spki_sha256: str
    common_name: str = ""
    dns_names: tuple[str, ...] = field(default_factory=tuple)

    @property
    def public_key(self):
        return self.csr.public_key()


def _der_from_text(text) -> bytes:
    if isinstance(text, bytes):
        try:
            text = text.decode("ascii")
        except UnicodeDecodeError:
            raise CsrNotBase64("The CSR is not PEM or base64 text.", field="csr") from None
    if not isinstance(text, str) or not text.strip():
        raise CsrNotBase64("The CSR is empty: paste a PEM certificate signing request.", field="csr")
    if len(text) > MAX_CSR_CHARS:
        raise CsrUndecodable(msg("The CSR is too large (at most %(max_csr_chars)s characters).",
                                 max_csr_chars=MAX_CSR_CHARS), field="csr")
    match = _PEM_RE.search(text)
    body = match.group("body") if match else text
    if "-----BEGIN" in body or not _B64_RE.match(body):
        raise CsrNotBase64("The CSR is not valid base64: give the PEM block from -----BEGIN CERTIFICATE "
                           "REQUEST----- to -----END CERTIFICATE REQUEST-----.", field="csr")
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise CsrNotBase64("The CSR is not valid base64 (bad padding or length).", field="csr") from None


def parse(text) -> ParsedCsr:
    """Parse and verify a CSR; raise the SCM refusal (-9, -10, -138, -11) when it is not one."""
    der = _der_from_text(text)
    try:
        csr = x509.load_der_x509_csr(der)
        public_key = csr.public_key()
    except (ValueError, UnsupportedAlgorithm):
        raise CsrUndecodable("The CSR cannot be decoded as a PKCS #10 certificate signing request.",
                             field="csr") from None
    if not isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise KeyAlgorithmRefused("The CSR key algorithm is not accepted: use RSA (2048 bits or more) or ECDSA "
                                  "(P-256 or P-384).", field="csr")
    try:
        valid = csr.is_signature_valid
    except (ValueError, UnsupportedAlgorithm):
        valid = False
    if not valid:
        raise CsrInvalid("The CSR signature does not verify: the request was altered or not signed with its key.",
                         field="csr")
    if isinstance(public_key, rsa.RSAPublicKey):
        algorithm, size, param = "RSA", public_key.key_size, str(public_key.key_size)
    else:
        algorithm, size = "EC", public_key.curve.key_size
        param = CURVE_NAMES.get(public_key.curve.name, public_key.curve.name)
    spki = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    try:
        cn_attrs = csr.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        common_name = str(cn_attrs[0].value).strip() if cn_attrs else ""
    except ValueError:
        common_name = ""
    dns_names: tuple[str, ...] = ()
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(san.get_values_for_type(x509.DNSName))
    except (x509.ExtensionNotFound, ValueError):
        pass
    pem = csr.public_bytes(serialization.Encoding.PEM).decode("ascii")
    return ParsedCsr(csr=csr, pem=pem, key_algorithm=algorithm, key_size=size, key_param=param,
                     spki_sha256=hashlib.sha256(spki).hexdigest(), common_name=common_name, dns_names=dns_names)


def check_key(parsed: ParsedCsr, key_types: dict) -> None:
    """The key must be one the profile allows (-11 algorithm, -13 size/curve) and not weak (-141)."""
    allowed = {str(k).upper(): [str(v) for v in values] for k, values in (key_types or {}).items()}
    if parsed.key_algorithm not in allowed:
        raise KeyAlgorithmRefused(msg("%(algorithm)s keys are not accepted for this certificate type "
                                      "(accepted: %(accepted)s).", algorithm=parsed.key_algorithm,
                                      accepted=", ".join(sorted(allowed)) or "none"), field="csr")
    if parsed.key_algorithm == "RSA" and parsed.key_size < 2048:
        raise KeySizeRefused(msg("The CSR key is RSA %(key_size)s bits: at least 2048 bits are required "
                                 "(CA/B Forum BR §6.1.5).", key_size=parsed.key_size), field="csr")
    if parsed.key_param not in allowed[parsed.key_algorithm]:
        raise KeySizeRefused(msg("%(algorithm)s %(size)s keys are not accepted for this certificate "
                                 "type (accepted: %(accepted)s).", algorithm=parsed.key_algorithm,
                                 size=parsed.key_param, accepted=", ".join(allowed[parsed.key_algorithm])),
                             field="csr")
    key = parsed.public_key
    if isinstance(key, rsa.RSAPublicKey):
        numbers = key.public_numbers()
        why = weakkeys.rsa_weakness(numbers.n, numbers.e)
        if why:
            raise WeakKey(msg("The CSR key is refused: %(why)s. Generate a new key pair.", why=why), field="csr")
    if weakkeys.is_blocklisted_spki(parsed.spki_sha256):
        raise WeakKey("The CSR key is refused: it is a known compromised key. Generate a new key pair.", field="csr")
