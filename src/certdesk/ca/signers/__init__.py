"""The one interface every CA signature goes through, so an HSM can replace the key file.

A Signer signs TBS structures built by callers with pyca/cryptography builders: the
certificate (RFC 5280 §4.1) and the CRL (RFC 5280 §5.1). The default digest is SHA-384 for
RSA (sha384WithRSAEncryption, RFC 4055) and EC (ecdsa-with-SHA384, RFC 5758 §3.2) keys.
"""
from __future__ import annotations

import abc
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPublicKeyTypes

from ..errors import SignerUnavailable

if TYPE_CHECKING:
    from ..models import CertificateAuthority


def default_hash_algorithm() -> hashes.HashAlgorithm:
    return hashes.SHA384()


class Signer(abc.ABC):
    """Holds (or reaches) one CA private key and signs with it."""

    @abc.abstractmethod
    def public_key(self) -> CertificateIssuerPublicKeyTypes:
        """The public half of the signing key."""

    @abc.abstractmethod
    def sign_certificate(
        self, builder: x509.CertificateBuilder, hash_algorithm: hashes.HashAlgorithm | None = None
    ) -> x509.Certificate:
        """Sign a complete builder (issuer name and AKI already set by the caller)."""

    @abc.abstractmethod
    def sign_crl(
        self, builder: x509.CertificateRevocationListBuilder, hash_algorithm: hashes.HashAlgorithm | None = None
    ) -> x509.CertificateRevocationList:
        """Sign a complete CRL builder."""


def get_signer(ca: "CertificateAuthority") -> Signer:
    """The signer for `ca`'s backend ("soft" today; "pkcs11" is reserved for the HSM signer)."""
    if ca.signer_backend == "soft":
        from .soft import SoftSigner

        return SoftSigner(ca)
    raise SignerUnavailable(
        f"CA {ca.slug} uses the signer backend {ca.signer_backend!r}, which this installation does not provide."
    )
