"""Customer (tenant) → Organization → Department (an organization with a parent)."""
from __future__ import annotations

from datetime import timedelta

from django.db import models
from django.db.models import Q
from django.utils import timezone

from .states import ValidationLevel, ValidationRequestStatus, ValidationStatus


class Customer(models.Model):
    """A tenant, addressed by its customerUri (`renater`, `jisc`)."""

    uri = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    # SCM lets a customer decide whether RAOs may create other RAOs of their organization.
    rao_can_create_rao = models.BooleanField(default=False)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.uri


class CertType(models.TextChoices):
    SSL = "SSL", "SSL"
    SMIME = "SMIME", "Client"
    CODESIGN = "CodeSign", "Code Signing"


SUBJECT_FIELDS = (
    "name", "secondary_name", "address1", "address2", "address3", "city", "state_province", "postal_code",
)


class Organization(models.Model):
    """An organization, or a department when `parent` is set (its id is an `orgId` like any other)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="organizations")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE, related_name="departments")
    name = models.CharField(max_length=64)
    secondary_name = models.CharField(max_length=64, blank=True, default="")
    alias = models.CharField(max_length=64, blank=True, default="")
    academic_code = models.CharField(max_length=128, blank=True, default="", help_text="SCHAC home organization")
    address1 = models.CharField(max_length=128, blank=True, default="")
    address2 = models.CharField(max_length=128, blank=True, default="")
    address3 = models.CharField(max_length=128, blank=True, default="")
    city = models.CharField(max_length=128, blank=True, default="")
    state_province = models.CharField(max_length=128, blank=True, default="")
    postal_code = models.CharField(max_length=40, blank=True, default="")
    country = models.CharField(max_length=2, blank=True, default="")
    contact_emails = models.JSONField(default=list, blank=True)
    ssl_certs_api_enabled = models.BooleanField(default=False)
    client_certs_api_enabled = models.BooleanField(default=False)
    # Seed 001 "Web API ... Secret Key": a hash (the key is shown once when generated) and when it was set.
    web_api_secret = models.CharField(max_length=256, blank=True, default="")
    web_api_secret_created = models.DateTimeField(null=True, blank=True)
    cert_types = models.JSONField(default=list, blank=True)
    # EV details (editable only by an MRAO)
    ev_jurisdiction_country = models.CharField(max_length=2, blank=True, default="")
    ev_jurisdiction_state = models.CharField(max_length=128, blank=True, default="")
    ev_jurisdiction_locality = models.CharField(max_length=128, blank=True, default="")
    ev_business_category = models.CharField(max_length=40, blank=True, default="")
    ev_registration_number = models.CharField(max_length=64, blank=True, default="")
    ev_incorporation_date = models.DateField(null=True, blank=True)
    # Organization validation (departments follow their organization's; see effective_validation_status)
    validation_status = models.CharField(
        max_length=16, choices=ValidationStatus.choices, default=ValidationStatus.NOT_VALIDATED
    )
    validated_at = models.DateTimeField(null=True, blank=True)
    validation_expires = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "name"], condition=Q(parent__isnull=True), name="org_name_unique_in_customer"
            ),
            models.UniqueConstraint(fields=["parent", "name"], name="department_name_unique_in_org"),
        ]

    def __str__(self) -> str:
        return self.name if self.parent_id is None else f"{self.parent.name} / {self.name}"

    @property
    def is_department(self) -> bool:
        return self.parent_id is not None

    @property
    def organization(self) -> "Organization":
        """The top-level organization (itself for an organization)."""
        return self.parent if self.parent_id else self

    def effective_validation_status(self, now=None) -> str:
        """Departments follow their organization; a validation past its expiry no longer counts."""
        org = self.organization
        now = now or timezone.now()
        if (
            org.validation_status == ValidationStatus.VALIDATED
            and org.validation_expires is not None
            and org.validation_expires <= now
        ):
            return ValidationStatus.NOT_VALIDATED
        return org.validation_status

    def is_validated(self, now=None) -> bool:
        return self.effective_validation_status(now) == ValidationStatus.VALIDATED


class OrganizationValidation(models.Model):
    """One OV/EV anchor validation: triggered by an MRAO, decided by another MRAO."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="validations")
    level = models.CharField(max_length=8, choices=ValidationLevel.choices, default=ValidationLevel.OV_SSL)
    status = models.CharField(
        max_length=16, choices=ValidationRequestStatus.choices, default=ValidationRequestStatus.PENDING
    )
    details = models.JSONField(default=dict, blank=True)
    submitted_by = models.ForeignKey(
        "accounts.Admin", null=True, on_delete=models.SET_NULL, related_name="validations_submitted"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        "accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="validations_decided"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=512, blank=True, default="")
    expires = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.level} validation of {self.organization} ({self.status})"

    @staticmethod
    def expiry_from(moment, days: int):
        return moment + timedelta(days=days)
