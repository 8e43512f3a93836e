"""Persons: the people who will hold client certificates (SCM's Persons menu and `/api/person`).

A person belongs to one organization or department of a customer; its email is unique in the
customer whatever its case, and so is its EPPN when set (seed 000: two persons with the same
email or EPPN break self-enrollment).
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from certdesk.tenancy.models import Customer, Organization


class ValidationType(models.TextChoices):
    STANDARD = "STANDARD", "Standard"
    HIGH = "HIGH", "High"


class Person(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="persons")
    # CASCADE only so the deletion guard (receivers.py) can refuse with a clear message: deleting an
    # organization or department that still has persons is refused, never cascaded.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="persons")
    email = models.CharField(max_length=254)
    first_name = models.CharField(max_length=64)
    middle_name = models.CharField(max_length=64, blank=True, default="")
    last_name = models.CharField(max_length=64)
    validation_type = models.CharField(max_length=8, choices=ValidationType.choices,
                                       default=ValidationType.STANDARD)
    phone = models.CharField(max_length=32, blank=True, default="")
    common_name = models.CharField(max_length=64)
    secondary_emails = models.JSONField(default=list, blank=True)
    # ",a@x,b@y," in lower case, so lists filter on a secondary email on every database (set on save).
    secondary_emails_index = models.TextField(blank=True, default="", editable=False)
    eppn = models.CharField(max_length=256, blank=True, default="")
    upn = models.CharField(max_length=256, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=200, blank=True, default="")
    modified = models.DateTimeField(auto_now=True)
    modified_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), "customer", name="person_email_unique_in_customer"),
            models.UniqueConstraint(Lower("eppn"), "customer", condition=~Q(eppn=""),
                                    name="person_eppn_unique_in_customer"),
        ]
        indexes = [models.Index(fields=["customer", "organization"], name="person_customer_org")]

    def __str__(self) -> str:
        return f"{self.common_name} <{self.email}>"

    def save(self, *args, **kwargs):
        emails = [str(e).lower() for e in self.secondary_emails or []]
        self.secondary_emails_index = f",{','.join(emails)}," if emails else ""
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "secondary_emails" in update_fields:
            kwargs["update_fields"] = {*update_fields, "secondary_emails_index"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.middle_name, self.last_name) if part)
