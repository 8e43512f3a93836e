"""The certificate authorities certdesk signs with: two roots and their issuing CAs."""
from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import models
from django.db.models import Q


class Purpose(models.TextChoices):
    ROOT = "ROOT", "Root CA"
    SSL_OV = "SSL_OV", "SSL OV"
    SSL_EV = "SSL_EV", "SSL EV"
    CLIENT = "CLIENT", "Client (S/MIME)"
    CODESIGN = "CODESIGN", "Code Signing"


# The order lists show: roots, then issuing CAs by purpose.
PURPOSE_ORDER = (Purpose.ROOT, Purpose.SSL_OV, Purpose.SSL_EV, Purpose.CLIENT, Purpose.CODESIGN)


class KeyAlgorithm(models.TextChoices):
    RSA = "RSA", "RSA"
    EC = "EC", "ECC"


class SignerBackend(models.TextChoices):
    SOFT = "soft", "Encrypted key file"
    PKCS11 = "pkcs11", "PKCS#11 HSM"


class CertificateAuthority(models.Model):
    """One CA certificate and where its private key lives.

    The key itself is never in the database: `key_ref` names an encrypted PKCS#8 file
    under settings.CA_DIR/keys/ (soft backend), or a token object later (pkcs11).
    """

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=64, unique=True)
    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    key_algorithm = models.CharField(max_length=8, choices=KeyAlgorithm.choices)
    key_size_or_curve = models.CharField(max_length=16, help_text='"4096" for RSA, "P-384" for EC')
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    certificate_pem = models.TextField()
    serial_hex = models.CharField(max_length=40, help_text="lowercase hex, RFC 5280 §4.1.2.2")
    subject = models.TextField(help_text="RFC 4514 string")
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    fingerprint_sha256 = models.CharField(max_length=95, unique=True, help_text="uppercase hex pairs joined by ':'")
    signer_backend = models.CharField(max_length=16, choices=SignerBackend.choices, default=SignerBackend.SOFT)
    key_ref = models.CharField(max_length=255, help_text="file name under settings.CA_DIR/keys/ for the soft signer")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "certificate authority"
        verbose_name_plural = "certificate authorities"
        constraints = [
            # Roots are self-signed and only roots are (RFC 5280 §3.2).
            models.CheckConstraint(
                condition=(Q(purpose=Purpose.ROOT) & Q(parent__isnull=True))
                | (~Q(purpose=Purpose.ROOT) & Q(parent__isnull=False)),
                name="ca_root_iff_no_parent",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_root(self) -> bool:
        return self.parent_id is None

    def certificate(self) -> x509.Certificate:
        """The parsed certificate, parsed once per instance (and again if the PEM changes)."""
        cached = self.__dict__.get("_certificate_cache")
        if cached is None or cached[0] != self.certificate_pem:
            cached = (self.certificate_pem, x509.load_pem_x509_certificate(self.certificate_pem.encode("ascii")))
            self.__dict__["_certificate_cache"] = cached
        return cached[1]

    def der(self) -> bytes:
        return self.certificate().public_bytes(serialization.Encoding.DER)
