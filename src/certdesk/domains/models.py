"""Domain → Delegation (to an organization or department, per certificate type) → DCV order.

A Domain carries its current DCV outcome (status, method, dates) so lists filter and
sweep on indexed columns; every DCV attempt is a DcvOrder row, kept after it closes.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from certdesk.core import i18n
from certdesk.tenancy.models import Customer, Organization

from . import names
from .states import DcvMethod, DcvStatus, DelegationStatus, DomainState, OrderStatus


def all_methods() -> list[str]:
    return [m.value for m in DcvMethod]


class DcvSettings(models.Model):
    """Per-customer DCV settings: which methods RAOs may use (all by default)."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="dcv_settings")
    enabled_methods = models.JSONField(default=all_methods)

    def __str__(self) -> str:
        return f"DCV settings of {self.customer}"


class Domain(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="domains")
    # A-label, lowercase, no trailing dot; a wildcard keeps its leading "*.".
    name = models.CharField(max_length=253)
    # The U-label form of `name`, kept only so lists can search what people read (`école`); set on save.
    name_unicode = models.CharField(max_length=1024, blank=True, default="", editable=False)
    description = models.CharField(max_length=256, blank=True, default="")
    state = models.CharField(max_length=16, choices=DomainState.choices, default=DomainState.ACTIVE)
    # Extra addresses an MRAO records for email DCV, beside the constructed admin@… ones.
    contact_emails = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        "accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The domain's own DCV (subdomains may also be covered by a validated parent: see queries).
    dcv_status = models.CharField(max_length=16, choices=DcvStatus.choices, default=DcvStatus.NOT_VALIDATED)
    dcv_method = models.CharField(max_length=16, choices=DcvMethod.choices, blank=True, default="")
    dcv_validated_at = models.DateTimeField(null=True, blank=True)
    dcv_expires = models.DateTimeField(null=True, blank=True, db_index=True)
    # The smallest "expires in N days" notice already sent for the current validation.
    dcv_notice_days = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "name"], name="domain_name_unique_in_customer")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name_unicode = names.to_unicode(self.name).lower()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "name_unicode"}
        super().save(*args, **kwargs)

    @property
    def unicode_name(self) -> str:
        return names.to_unicode(self.name)

    @property
    def is_wildcard(self) -> bool:
        return names.is_wildcard(self.name)

    @property
    def base_name(self) -> str:
        """The name DCV proves control of: the domain without its `*.`."""
        return names.base_name(self.name)

    @property
    def is_active(self) -> bool:
        return self.state == DomainState.ACTIVE


class Delegation(models.Model):
    """A domain delegated to an organization or a department, for some certificate types."""

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="delegations")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domain_delegations")
    cert_types = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=DelegationStatus.choices, default=DelegationStatus.REQUESTED)
    requested_by = models.ForeignKey(
        "accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(
        "accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["domain_id", "organization_id"]
        constraints = [
            models.UniqueConstraint(fields=["domain", "organization"], name="delegation_unique_per_organization")
        ]
        indexes = [models.Index(fields=["organization", "status"])]

    def __str__(self) -> str:
        return f"{self.domain} → {self.organization} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status == DelegationStatus.ACTIVE


class DcvEmailChallenge(models.Model):
    """One validation email (CA/B BR 3.2.2.4.4): a one-time link and a code sent to one address
    for one or more EMAIL orders (a bulk submit sends one email for all its domains).

    Only hashes of the link's token and of the code are kept. The link is used once: a right
    code validates every order still attached to it; MAX_ATTEMPTS wrong codes refuse it (its
    orders are cancelled and must be started again); it expires with its random values.
    """

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    email = models.CharField(max_length=254)
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64)
    language = models.CharField(max_length=8, blank=True, default="")
    created = models.DateTimeField()
    created_by = models.ForeignKey(
        "accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)  # wrong codes entered
    used_at = models.DateTimeField(null=True, blank=True)
    used_ip = models.CharField(max_length=64, blank=True, default="")
    refused_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self) -> str:
        return f"DCV email to {self.email} ({self.created:%Y-%m-%d})"


class DcvOrder(models.Model):
    """One attempt to prove control of a domain by one method, with its random values.

    At most one order per domain is open (AWAITING_SUBMISSION or SUBMITTED); closed
    orders (VALIDATED, CANCELLED) stay as history and are never reopened, so every
    random value and HTTP token is used once.
    """

    domain = models.ForeignKey(Domain, on_delete=models.CASCADE, related_name="dcv_orders")
    method = models.CharField(max_length=16, choices=DcvMethod.choices)
    status = models.CharField(max_length=24, choices=OrderStatus.choices, default=OrderStatus.AWAITING_SUBMISSION)
    # The name whose control is proven (the domain without "*.").
    target = models.CharField(max_length=253)
    # What the applicant publishes: CNAME host → point, TXT host → value, HTTP url with
    # first/second line, or the chosen email address.
    host = models.CharField(max_length=253, blank=True, default="")
    value = models.CharField(max_length=512, blank=True, default="")
    url = models.CharField(max_length=512, blank=True, default="")
    second_line = models.CharField(max_length=253, blank=True, default="")
    emails = models.JSONField(default=list, blank=True)
    email = models.CharField(max_length=254, blank=True, default="")
    # EMAIL: the validation email last sent for this order (a new submit sends a new one).
    email_challenge = models.ForeignKey(DcvEmailChallenge, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="orders")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # CA/B BR 3.2.2.4.7: a random value is used for at most 30 days after its creation.
    values_expire = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        "accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_check = models.DateTimeField(null=True, blank=True)
    next_check = models.DateTimeField(null=True, blank=True)
    check_count = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=512, blank=True, default="")
    # The last error's template and parameters (core.i18n.to_data): the portal shows it translated.
    last_error_data = models.JSONField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # For a VALIDATED order: the validity it granted.
    validated_at = models.DateTimeField(null=True, blank=True)
    expires = models.DateTimeField(null=True, blank=True)

    def set_last_error(self, message: str) -> None:
        """Keep `message` (a core.i18n Message or plain text) as the last error, at most 512 characters."""
        text = str(message)
        self.last_error = text[:512]
        self.last_error_data = i18n.to_data(message) if len(text) <= 512 else None

    @property
    def last_error_message(self) -> str:
        """The last error, translatable by the portal when it was stored with its template."""
        return i18n.from_data(self.last_error, self.last_error_data)

    class Meta:
        ordering = ["-created", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["domain"],
                condition=Q(status__in=["AWAITING_SUBMISSION", "SUBMITTED"]),
                name="dcv_one_open_order_per_domain",
            )
        ]
        indexes = [models.Index(fields=["status", "next_check"])]

    def __str__(self) -> str:
        return f"{self.method} DCV of {self.domain} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in (OrderStatus.AWAITING_SUBMISSION, OrderStatus.SUBMITTED)
