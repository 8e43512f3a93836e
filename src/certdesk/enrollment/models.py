"""SSL web form accounts (SCM "Enrollment → Enrollment Forms → SSL Web Form → Accounts", seed 003
§7.4.2) and the requests people without an account made through them.

The access code is stored hashed with Django's password hashers; the public URL carries an
unguessable slug. The public download link of a requested certificate is an HMAC of the
certificate, not a stored secret (`queries.download_token`).
"""
from __future__ import annotations

import secrets

from django.db import models

from certdesk.certificates.models import Certificate, Profile
from certdesk.tenancy.models import Customer, Organization


def new_slug() -> str:
    return secrets.token_urlsafe(18)  # 144 bits, 24 characters


class WebFormAccount(models.Model):
    """One SSL web form: an organization or department, the profiles it offers and a shared access code."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="web_form_accounts")
    # The organization, or a department (an organization with a parent), the certificates belong to.
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="web_form_accounts")
    name = models.CharField(max_length=128)
    profiles = models.ManyToManyField(Profile, related_name="web_form_accounts")
    # "Automatically Approve Requests": never applies to EV profiles (certificates.services).
    auto_approve = models.BooleanField(default=False)
    # "Allow Auto Renew SSL Certificates": the requester may ask for auto-renewal.
    allow_auto_renew = models.BooleanField(default=False)
    access_code_hash = models.CharField(max_length=256)
    slug = models.CharField(max_length=64, unique=True, default=new_slug)
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    code_changed = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="web_form_account_name_unique_in_customer"),
        ]

    def __str__(self) -> str:
        return self.name


class WebFormRequest(models.Model):
    """A certificate requested through a web form, and who asked (the email given on the form)."""

    account = models.ForeignKey(WebFormAccount, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="requests")
    # Kept when the account is deleted: the requester's link goes on working.
    account_name = models.CharField(max_length=128)
    certificate = models.OneToOneField(Certificate, on_delete=models.CASCADE, related_name="web_form_request")
    email = models.CharField(max_length=254)
    ip = models.CharField(max_length=45, blank=True, default="")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.email} via {self.account_name} (certificate {self.certificate_id})"


class Invitation(models.Model):
    """An invitation for a person to create and download their client certificate (seed 003 "Send
    Invitation"): the profile and term an admin chose, a link mailed to the person that works once
    before `expires`. Only the SHA-256 of the link's token is kept (256 random bits: no salt or
    slow hash needed, and the lookup stays one indexed query)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey("persons.Person", on_delete=models.CASCADE, related_name="invitations")
    profile = models.ForeignKey(Profile, on_delete=models.CASCADE, related_name="+")
    term = models.PositiveIntegerField()
    token_hash = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_by_label = models.CharField(max_length=200, blank=True, default="")
    expires = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    certificate = models.OneToOneField(Certificate, null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="invitation")
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by_label = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["person", "used_at", "cancelled_at"], name="invitation_person_open")]

    def __str__(self) -> str:
        return f"invitation {self.pk} for {self.person_id}"
