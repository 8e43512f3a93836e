"""SoftSigner: the CA key from its encrypted file under settings.CA_DIR/keys/, used in-process."""
from __future__ import annotations

from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificateIssuerPublicKeyTypes,
)

from .. import keystore
from ..errors import CAKeyUnreadable
from . import Signer, default_hash_algorithm

if TYPE_CHECKING:
    from ..models import CertificateAuthority


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


class SoftSigner(Signer):
    """Loads the key lazily, on the first signature, and checks it matches the CA certificate."""

    def __init__(self, ca: "CertificateAuthority | None" = None, *, private_key=None):
        if ca is None and private_key is None:
            raise ValueError("SoftSigner needs a CA or a private key")
        self.ca = ca
        self._key: CertificateIssuerPrivateKeyTypes | None = private_key

    @classmethod
    def from_private_key(cls, private_key: CertificateIssuerPrivateKeyTypes) -> "SoftSigner":
        """A signer over a key already in memory (a root signing itself during `certdesk init`)."""
        return cls(private_key=private_key)

    def _private_key(self) -> CertificateIssuerPrivateKeyTypes:
        if self._key is None:
            key = keystore.load_key(self.ca.key_ref)
            # A key from another CA (restored from the wrong backup) would sign certificates
            # no one can verify; refuse it before the first signature.
            if _spki(key.public_key()) != _spki(self.ca.certificate().public_key()):
                raise CAKeyUnreadable(
                    f"CA key file {self.ca.key_ref} does not match the certificate of {self.ca.slug}."
                )
            self._key = key
        return self._key

    def public_key(self) -> CertificateIssuerPublicKeyTypes:
        if self._key is None and self.ca is not None:
            return self.ca.certificate().public_key()
        return self._private_key().public_key()

    def sign_certificate(
        self, builder: x509.CertificateBuilder, hash_algorithm: hashes.HashAlgorithm | None = None
    ) -> x509.Certificate:
        return builder.sign(self._private_key(), hash_algorithm or default_hash_algorithm())

    def sign_crl(
        self, builder: x509.CertificateRevocationListBuilder, hash_algorithm: hashes.HashAlgorithm | None = None
    ) -> x509.CertificateRevocationList:
        return builder.sign(self._private_key(), hash_algorithm or default_hash_algorithm())
