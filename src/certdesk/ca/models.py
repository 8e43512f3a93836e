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


# ---------------------------------------------------------------------------
# Revocation services (issue 4): published CRLs, delegated OCSP signers, pre-signed responses


class CrlPublication(models.Model):
    """The current CRL of one CA and scope: a shard of an issuing CA (`shard` set, served at
    /ca/<slug>/<shard>.crl) or the CA's full CRL (`shard` null, /ca/<slug>.crl). One row per
    scope, replaced in place; `number` is the crlNumber (RFC 5280 §5.2.3), always increasing."""

    ca = models.ForeignKey(CertificateAuthority, on_delete=models.CASCADE, related_name="crl_publications")
    shard = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.BigIntegerField(default=0)
    this_update = models.DateTimeField()
    next_update = models.DateTimeField()
    entries = models.PositiveIntegerField(default=0)
    der = models.BinaryField(default=b"")
    # Set (in the revoking transaction) when a revocation makes `der` out of date.
    stale = models.BooleanField(default=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ca", "shard"], condition=Q(shard__isnull=False),
                                    name="crl_one_per_ca_shard"),
            models.UniqueConstraint(fields=["ca"], condition=Q(shard__isnull=True), name="crl_one_full_per_ca"),
        ]

    def __str__(self) -> str:
        return f"CRL {self.ca_id}/{'full' if self.shard is None else self.shard} #{self.number}"


class OcspResponder(models.Model):
    """A delegated OCSP signing certificate of one CA (RFC 6960 §4.2.2.2): EKU id-kp-OCSPSigning,
    id-pkix-ocsp-nocheck, short-lived; its key is an encrypted file like the CA keys."""

    ca = models.ForeignKey(CertificateAuthority, on_delete=models.CASCADE, related_name="ocsp_responders")
    certificate_pem = models.TextField()
    serial_hex = models.CharField(max_length=40)
    key_ref = models.CharField(max_length=255)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["ca", "not_after"])]

    def __str__(self) -> str:
        return f"OCSP responder {self.serial_hex} of {self.ca_id}"

    def certificate(self) -> x509.Certificate:
        cached = self.__dict__.get("_certificate_cache")
        if cached is None:
            cached = x509.load_pem_x509_certificate(self.certificate_pem.encode("ascii"))
            self.__dict__["_certificate_cache"] = cached
        return cached


class OcspResponse(models.Model):
    """A pre-signed OCSP response (DER) for one serial of one CA and CertID hash algorithm."""

    ca = models.ForeignKey(CertificateAuthority, on_delete=models.CASCADE, related_name="ocsp_responses")
    serial_hex = models.CharField(max_length=40)
    hash_algorithm = models.CharField(max_length=16, default="sha1")
    status = models.CharField(max_length=8)  # good | revoked
    this_update = models.DateTimeField()
    next_update = models.DateTimeField()
    der = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ca", "serial_hex", "hash_algorithm"], name="ocsp_response_unique"),
        ]
        indexes = [models.Index(fields=["this_update"])]

    def __str__(self) -> str:
        return f"OCSP {self.status} {self.serial_hex}"
