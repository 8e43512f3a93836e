"""ACME protocol state (RFC 8555): endpoints, EAB accounts bound to an organization or department
and its domains, the ACME clients registered with them, orders → authorizations → challenges,
and the used replay nonces (`nonces`: shared by every web process, never a module dict).

An order's status is computed from its authorizations and its certificate (`state.order_status`),
not stored.
"""
from __future__ import annotations

import secrets

from django.db import models

from certdesk.certificates.models import Certificate
from certdesk.domains.models import Domain
from certdesk.tenancy.models import Customer, Organization


def _token() -> str:
    return secrets.token_urlsafe(16)


class ValidationType(models.TextChoices):
    DV = "DV", "DV"
    OV = "OV", "OV"
    EV = "EV", "EV"


class AcmeEndpoint(models.Model):
    """One ACME server URL: `<BASE_URL>/acme/<name>/directory` (Settings → Enrollment Endpoints)."""

    name = models.CharField(max_length=16, unique=True)
    validation_type = models.CharField(max_length=2, choices=ValidationType.choices)
    # The profile finalize requests (a name among the customer's profiles).
    profile_name = models.CharField(max_length=100)
    # Whether identifiers covered by a bound, DCV-validated domain are authorized at once (Sectigo OV/EV).
    preauthorized = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class AccountStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    VALID = "valid", "Valid"
    SUSPENDED = "suspended", "Suspended"
    DEACTIVATED = "deactivated", "Deactivated"


class AcmeAccount(models.Model):
    """An ACME account as SCM has them: EAB credentials (Key ID + HMAC key) for an organization or
    department on an endpoint, limited to some of its domains. ACME clients bind to it."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="acme_accounts")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="acme_accounts")
    endpoint = models.ForeignKey(AcmeEndpoint, on_delete=models.PROTECT, related_name="accounts")
    name = models.CharField(max_length=128)
    # EAB (RFC 8555 §7.3.4): macId is the `kid`, macKey the HMAC key as unpadded base64url. The key
    # must be shown again on Details (seed 002), so it is kept, like SCM does.
    mac_id = models.CharField(max_length=64, unique=True)
    mac_key = models.CharField(max_length=128)
    status = models.CharField(max_length=16, choices=AccountStatus.choices, default=AccountStatus.PENDING)
    domains = models.ManyToManyField(Domain, blank=True, related_name="acme_accounts")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"ACME account {self.name} ({self.endpoint})"

    @property
    def label(self) -> str:
        """Who requested the certificates it obtains (Certificates → requester)."""
        return f"acme:{self.name}"


class ClientStatus(models.TextChoices):
    VALID = "valid", "Valid"
    DEACTIVATED = "deactivated", "Deactivated"
    REVOKED = "revoked", "Revoked"


class AcmeClient(models.Model):
    """An ACME account object (RFC 8555 §7.1.2) registered with EAB: one key, one `kid` URL.
    Several clients (machines) may bind to one SCM account (spec §7.10 `.../client`)."""

    account = models.ForeignKey(AcmeAccount, on_delete=models.CASCADE, related_name="clients")
    token = models.CharField(max_length=32, unique=True, default=_token)
    jwk = models.JSONField()
    thumbprint = models.CharField(max_length=64, unique=True)
    contacts = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=ClientStatus.choices, default=ClientStatus.VALID)
    user_agent = models.CharField(max_length=256, blank=True, default="")
    ip_address = models.CharField(max_length=64, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    last_activity = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"ACME client {self.token} of {self.account.name}"


class AcmeOrder(models.Model):
    client = models.ForeignKey(AcmeClient, on_delete=models.CASCADE, related_name="orders")
    token = models.CharField(max_length=32, unique=True, default=_token)
    identifiers = models.JSONField()  # [{"type": "dns", "value": ...}]
    expires = models.DateTimeField()
    created = models.DateTimeField(auto_now_add=True)
    certificate = models.ForeignKey(Certificate, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="acme_orders")
    error = models.JSONField(null=True, blank=True)
    # ARI (RFC 9773 §5): the certificate this order renews, as its CertID.
    replaces = models.CharField(max_length=256, blank=True, default="")
    # Set while a finalize runs the request pipeline (the claim that keeps a second finalize out
    # without holding a transaction across CAA lookups, lint and signature); a claim older than
    # protocol.FINALIZE_CLAIM_TIMEOUT is stale (the process died) and the order is ready again.
    finalizing_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class AuthzStatus(models.TextChoices):
    PENDING = "pending", "pending"
    VALID = "valid", "valid"
    INVALID = "invalid", "invalid"
    DEACTIVATED = "deactivated", "deactivated"
    EXPIRED = "expired", "expired"
    REVOKED = "revoked", "revoked"


class AcmeAuthorization(models.Model):
    order = models.ForeignKey(AcmeOrder, on_delete=models.CASCADE, related_name="authorizations")
    token = models.CharField(max_length=32, unique=True, default=_token)
    identifier_type = models.CharField(max_length=8, default="dns")
    value = models.CharField(max_length=253)
    wildcard = models.BooleanField(default=False)
    status = models.CharField(max_length=16, choices=AuthzStatus.choices, default=AuthzStatus.PENDING)
    expires = models.DateTimeField()

    class Meta:
        ordering = ["id"]


class ChallengeStatus(models.TextChoices):
    PENDING = "pending", "pending"
    PROCESSING = "processing", "processing"
    VALID = "valid", "valid"
    INVALID = "invalid", "invalid"


class AcmeChallenge(models.Model):
    authorization = models.ForeignKey(AcmeAuthorization, on_delete=models.CASCADE, related_name="challenges")
    token = models.CharField(max_length=32, unique=True, default=_token)  # URL id
    type = models.CharField(max_length=16)
    key_token = models.CharField(max_length=64, default=_token)  # the challenge `token` (≥128 bits)
    status = models.CharField(max_length=16, choices=ChallengeStatus.choices, default=ChallengeStatus.PENDING)
    validated = models.DateTimeField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class UsedNonce(models.Model):
    """A replay nonce (RFC 8555 §6.5) already used, kept until it would be refused as too old
    anyway (`nonces`: issuing costs no row; without a Redis cache, consuming inserts one, and the
    primary key refuses a second use). Expired rows are swept set-based."""

    value = models.CharField(max_length=64, primary_key=True)
    expires = models.DateTimeField(db_index=True)
