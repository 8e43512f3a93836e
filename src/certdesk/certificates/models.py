"""Profiles (certificate types), certificates (SSL today; client and code signing later) and
their history.

Revocation readers (CRL shards, OCSP) filter on indexed columns: (ca, status),
(ca, crl_shard, revoked_at) and the unique (ca, serial_hex).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.db import models
from django.db.models import Q

from certdesk.tenancy.models import CertType, Customer, Organization

from . import profiles
from .profiles import ValidationLevel, Wildcard
from .states import REVOKED_STATUSES, Status


class Profile(models.Model):
    """A certificate type users choose ("OV SSL", "EV Multi-Domain"…). Data, editable by an MRAO.

    `customer` null = offered to every customer (the seeded set).
    """

    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="profiles")
    kind = models.CharField(max_length=16, choices=CertType.choices, default=CertType.SSL)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=512, blank=True, default="")
    validation_level = models.CharField(max_length=4, choices=ValidationLevel.CHOICES, default=ValidationLevel.OV)
    # EV anchor: a validation-only pseudo-certificate; nothing is signed.
    validation_only = models.BooleanField(default=False)
    # Terms (days) a request may name; the certificate is capped by profiles.max_validity_days.
    terms = models.JSONField(default=list)
    # {"RSA": ["2048", "3072", "4096"], "EC": ["P-256", "P-384"]} (spec §8 keyTypes)
    key_types = models.JSONField(default=dict)
    # Names beyond the common name the requester may add (the automatic www. name not counted).
    max_sans = models.PositiveIntegerField(default=0)
    wildcard = models.CharField(max_length=12, choices=Wildcard.CHOICES, default=Wildcard.FORBIDDEN)
    auto_www_san = models.BooleanField(default=False)
    signature_algorithm = models.CharField(
        max_length=24, choices=[(k, k) for k in profiles.SIGNATURE_ALGORITHMS],
        default=profiles.DEFAULT_SIGNATURE_ALGORITHM,
    )
    # BR §7.1.2.7.2 forbids OU in subscriber certificates since 2022-09: off for every seeded
    # profile (a profile that turns it on fails lint-before-signing, on purpose).
    ou_allowed = models.BooleanField(default=False)
    extra_policy_oids = models.JSONField(default=list, blank=True)
    # Client certificates: O from the organization's secondary name when it has one (IGTF subjects).
    use_secondary_org_name = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "kind", "name"], name="profile_name_unique_in_customer"),
            models.UniqueConstraint(fields=["kind", "name"], condition=Q(customer__isnull=True),
                                    name="profile_name_unique_shared"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_ev(self) -> bool:
        return self.validation_level == ValidationLevel.EV

    @property
    def needs_second_approval(self) -> bool:
        """EV certificates and EV anchors: never auto-approved, approver ≠ requester."""
        return self.is_ev or self.validation_only

    def max_days(self, on: datetime) -> int:
        """The longest validity this profile may give on `on` (anchors are not TLS certificates)."""
        longest = max(self.terms or [0])
        return longest if self.validation_only else min(longest, self.validity_cap(on))

    def validity_cap(self, on: datetime) -> int:
        """The schedule that caps this kind: the CA/B TLS schedule, or S/MIME BR's 825 days (multipurpose)."""
        if self.kind == CertType.SMIME:
            return profiles.SMIME_MAX_DAYS
        return profiles.issued_validity_days(on)

    def effective_terms(self, on: datetime) -> list[int]:
        """The terms as issued on `on`: each capped by the CA/B schedule (what `/types` shows)."""
        if self.validation_only:
            return sorted(set(self.terms or []))
        cap = self.validity_cap(on)
        return sorted({min(int(t), cap) for t in self.terms or []})


class Certificate(models.Model):
    """One certificate request and, once issued, the certificate."""

    kind = models.CharField(max_length=16, choices=CertType.choices, default=CertType.SSL)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="certificates")
    # The organization or department (its id is the SCM orgId).
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="certificates")
    profile = models.ForeignKey(Profile, on_delete=models.PROTECT, related_name="certificates")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REQUESTED)
    requester = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="certificates_requested")
    # Who asked (admin login, "acme:<account>", the self-enrollment account…): kept after admins go.
    requester_label = models.CharField(max_length=200, blank=True, default="")
    external_requester = models.CharField(max_length=1024, blank=True, default="",
                                          help_text="comma-separated emails")
    approver = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="certificates_approved")
    requested_via = models.CharField(max_length=32, default="Client Admin")
    # Client (S/MIME) certificates: the person it is for; its names are then email addresses.
    person = models.ForeignKey("persons.Person", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="certificates")
    comments = models.CharField(max_length=1024, blank=True, default="")
    # Request
    csr_pem = models.TextField(blank=True, default="")
    common_name = models.CharField(max_length=253)
    # Every name, common name first (A-labels); names_index is ",a,b," for substring filters.
    subject_alt_names = models.JSONField(default=list)
    names_index = models.TextField(blank=True, default="")
    term = models.PositiveIntegerField(help_text="days asked for")
    key_algorithm = models.CharField(max_length=8, blank=True, default="")  # RSA / EC
    key_size = models.PositiveIntegerField(null=True, blank=True)  # bits (curve size for EC)
    key_param = models.CharField(max_length=16, blank=True, default="")  # "2048" / "P-256"
    spki_sha256 = models.CharField(max_length=64, blank=True, default="", db_index=True)
    auto_renew = models.BooleanField(default=False)
    days_before = models.PositiveSmallIntegerField(default=30)
    # Issued
    ca = models.ForeignKey("ca.CertificateAuthority", null=True, blank=True, on_delete=models.PROTECT,
                           related_name="issued_certificates")
    serial_hex = models.CharField(max_length=40, blank=True, default="",
                                  help_text="lowercase hex, 40 digits (20 octets) so text order is numeric order")
    der = models.BinaryField(null=True, blank=True)
    not_before = models.DateTimeField(null=True, blank=True)
    not_after = models.DateTimeField(null=True, blank=True)
    sha1_hash = models.CharField(max_length=40, blank=True, default="", db_index=True)
    md5_hash = models.CharField(max_length=32, blank=True, default="")
    crl_shard = models.PositiveSmallIntegerField(null=True, blank=True)
    # Outcomes
    reason = models.CharField(max_length=1024, blank=True, default="", help_text="decline or invalid reason")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.PositiveSmallIntegerField(null=True, blank=True, help_text="RFC 5280 CRLReason")
    revocation_comment = models.CharField(max_length=512, blank=True, default="")
    renewal_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="renewals")
    replaces = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="replacements")
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Checks passed at request time (issuance re-runs them when older than ISSUE_RECHECK_SECONDS).
    checked_at = models.DateTimeField(null=True, blank=True)
    # When the worker renews it (auto-renew): notAfter − days_before, never before mid-life.
    auto_renew_at = models.DateTimeField(null=True, blank=True)
    auto_renewed_at = models.DateTimeField(null=True, blank=True)
    auto_renew_error = models.CharField(max_length=1024, blank=True, default="")
    expiry_notice_days = models.PositiveSmallIntegerField(null=True, blank=True)
    # Dates SCM shows
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["ca", "serial_hex"], condition=~Q(serial_hex=""),
                                    name="certificate_serial_unique_per_ca"),
        ]
        indexes = [
            models.Index(fields=["ca", "status"]),
            models.Index(fields=["ca", "crl_shard", "revoked_at"]),
            models.Index(fields=["status", "not_after"]),
            models.Index(fields=["status", "auto_renew_at"]),
            models.Index(fields=["organization", "status"]),
            models.Index(fields=["customer", "kind", "status"]),
            # List pages (issue 8): a status or "requested via" filter in the default newest-first order.
            models.Index(fields=["status", "id"], name="certificate_status_id"),
            models.Index(fields=["requested_via", "id"], name="certificate_via_id"),
            # Counts and filters through the scope join (organization → customer) read this index only.
            models.Index(fields=["organization", "kind", "status"], name="certificate_org_kind_status"),
            # Look-up by serial alone (REST serialNumber filter, portal search): the unique index leads with ca.
            models.Index(fields=["serial_hex"], name="certificate_serial_hex"),
            # reports and dashboard: by type and by issuance month over a whole customer
            # (status last: the dashboard's status × profile counts read this index alone)
            models.Index(fields=["customer", "kind", "profile", "status"], name="certificate_customer_prof_st"),
            models.Index(fields=["customer", "kind", "issued_at"], name="certificate_customer_issued"),
            # expiring within N days over a whole customer (dashboard windows, the SSL list filter)
            models.Index(fields=["customer", "kind", "status", "not_after"], name="certificate_customer_expiry"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} {self.common_name} ({self.status})"

    @property
    def serial_number(self) -> int | None:
        return int(self.serial_hex, 16) if self.serial_hex else None

    @property
    def names(self) -> list[str]:
        return list(self.subject_alt_names or [])

    def renewal_moment(self) -> datetime | None:
        """notAfter − days_before, but never in the first half of the validity (a long "days before"
        on a short certificate would otherwise renew it at once, again and again)."""
        if not self.auto_renew or self.not_after is None or self.not_before is None:
            return None
        wanted = self.not_after - timedelta(days=self.days_before)
        return max(wanted, self.not_before + (self.not_after - self.not_before) / 2)

    @property
    def is_revoked(self) -> bool:
        return self.status in REVOKED_STATUSES

    @property
    def key_type_label(self) -> str:
        """SCM's keyType: "RSA - 2048", "EC - P-256"."""
        return f"{self.key_algorithm} - {self.key_param}" if self.key_algorithm else ""

    def certificate(self) -> x509.Certificate | None:
        if not self.der:
            return None
        cached = self.__dict__.get("_x509")
        if cached is None:
            cached = x509.load_der_x509_certificate(bytes(self.der))
            self.__dict__["_x509"] = cached
        return cached

    @property
    def pem(self) -> str:
        cert = self.certificate()
        return cert.public_bytes(serialization.Encoding.PEM).decode("ascii") if cert else ""


class CertificateEvent(models.Model):
    """The history panel of a certificate: every status change and action, in order."""

    certificate = models.ForeignKey(Certificate, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    action = models.CharField(max_length=40)
    status_from = models.CharField(max_length=12, blank=True, default="")
    status_to = models.CharField(max_length=12, blank=True, default="")
    actor = models.CharField(max_length=200)
    admin = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.CharField(max_length=1024, blank=True, default="")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["certificate", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.status_from}→{self.status_to} by {self.actor}"


class EscrowedKey(models.Model):
    """The private key certdesk generated for a client certificate, kept encrypted (AES-256-GCM
    under a key derived from CERTDESK_KEY_ESCROW_KEY, else SECRET_KEY; certificates.escrow) so
    the holder can download it as PKCS #12 and an authorized admin can recover it."""

    certificate = models.OneToOneField(Certificate, on_delete=models.CASCADE, related_name="escrowed_key")
    # Which escrow key encrypted it (the first 16 hex digits of its SHA-256): a changed setting reads
    # as "cannot be decrypted with the current escrow key", never as garbage.
    key_id = models.CharField(max_length=16)
    nonce = models.BinaryField()
    ciphertext = models.BinaryField()  # PKCS #8 DER, AES-256-GCM, the certificate id as associated data
    created = models.DateTimeField(auto_now_add=True)
    recovered_count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"escrowed key of certificate {self.certificate_id}"
