"""Notification rules, email templates, webhooks; the events and the outbox (which is also
the notification log); the bell's items; and the claims of periodic jobs (core.queue)."""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from certdesk.tenancy.models import Customer, Organization


class NotificationRule(models.Model):
    """Who is told of which event type, for the whole customer (`organization` empty: seed 000's
    "ALL ORG" rules, managed by MRAOs) or for one organization or department."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notification_rules")
    # An organization's rule also covers its departments; a department's, that department only.
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="notification_rules")
    type = models.CharField(max_length=64)
    description = models.CharField(max_length=256, blank=True, default="")
    builtin = models.BooleanField(default=False)
    enabled = models.BooleanField(default=True)
    notify_roles = models.JSONField(default=list, blank=True)        # REQUESTER, DRAO, RAO, MRAO
    extra_recipients = models.JSONField(default=list, blank=True)    # email addresses
    days_before = models.JSONField(default=list, blank=True)         # expiry types only
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["type", "id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "type"], condition=Q(builtin=True),
                                    name="notification_builtin_once_per_customer"),
        ]
        indexes = [models.Index(fields=["customer", "type", "enabled"])]

    def __str__(self) -> str:
        return self.description or self.type

    @property
    def scope_label(self) -> str:
        return str(self.organization) if self.organization_id else "ALL ORG"


class EmailTemplate(models.Model):
    """An administrator's text for one type and language, for the customer or one organization."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="email_templates")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="email_templates")
    type = models.CharField(max_length=64)
    language = models.CharField(max_length=8)
    subject = models.CharField(max_length=250)
    body = models.TextField()
    modified = models.DateTimeField(auto_now=True)
    modified_by = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "organization", "type", "language"],
                                    name="email_template_unique"),
            models.UniqueConstraint(fields=["customer", "type", "language"], condition=Q(organization__isnull=True),
                                    name="email_template_unique_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.type} ({self.language})"


class Webhook(models.Model):
    """A URL that receives every event of its scope (or of the chosen types) as a signed JSON POST."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="webhooks")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="webhooks")
    url = models.CharField(max_length=500)
    # HMAC-SHA256 key of the X-Certdesk-Signature header; the receiver holds a copy.
    secret = models.CharField(max_length=128)
    types = models.JSONField(default=list, blank=True)  # empty: every type
    description = models.CharField(max_length=256, blank=True, default="")
    enabled = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class NotificationEvent(models.Model):
    """One event that was notified: what, when, where. `key` (when the emitter gives one) makes
    notifying the same event twice a no-op, so a job that runs again sends nothing twice."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notification_events")
    organization = models.ForeignKey(Organization, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    type = models.CharField(max_length=64)
    key = models.CharField(max_length=200, blank=True, default="")
    context = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["customer", "key"], condition=~Q(key=""), name="notification_event_key"),
        ]

    def __str__(self) -> str:
        return f"{self.type} #{self.pk}"


class Channel(models.TextChoices):
    EMAIL = "EMAIL", "Email"
    WEBHOOK = "WEBHOOK", "Webhook"


class Status(models.TextChoices):
    PENDING = "PENDING", "Pending"
    SENDING = "SENDING", "Sending"
    SENT = "SENT", "Sent"
    FAILED = "FAILED", "Failed"


class OutboxMessage(models.Model):
    """One message to one recipient, written with the event and sent by the worker.

    PENDING → SENDING (claimed by a worker with `claim_token` until `claimed_until`) → SENT, or
    back to PENDING with `next_attempt` later, or FAILED after the last attempt. This table is
    the notification log."""

    event = models.ForeignKey(NotificationEvent, on_delete=models.CASCADE, related_name="messages")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    recipient = models.CharField(max_length=500)  # an email address or a webhook URL
    admin = models.ForeignKey("accounts.Admin", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    webhook = models.ForeignKey(Webhook, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=8, blank=True, default="")
    subject = models.CharField(max_length=998, blank=True, default="")
    body = models.TextField(blank=True, default="")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)   # tries that reached the recipient's server
    deferrals = models.PositiveIntegerField(default=0)  # waits for a server that could not be reached
    next_attempt = models.DateTimeField()
    claim_token = models.CharField(max_length=32, blank=True, default="")
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    reply = models.CharField(max_length=500, blank=True, default="")  # the server's answer on success
    created = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["status", "next_attempt"]), models.Index(fields=["status", "claimed_until"])]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} ({self.status})"


class InboxItem(models.Model):
    """What the bell at the top right of the portal shows an admin."""

    admin = models.ForeignKey("accounts.Admin", on_delete=models.CASCADE, related_name="inbox_items")
    event = models.ForeignKey(NotificationEvent, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=300)
    created = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["admin", "-id"])]


class PeriodicRun(models.Model):
    """One period of one periodic job (certdesk.core.queue): the row is the lock."""

    job = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    status = models.CharField(max_length=8)  # RUNNING, DONE, FAILED
    token = models.CharField(max_length=32)
    lease_until = models.DateTimeField()
    runs = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, default="")
    result = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-period_start", "job"]
        constraints = [models.UniqueConstraint(fields=["job", "period_start"], name="periodic_run_once_per_period")]

    def __str__(self) -> str:
        return f"{self.job} @ {self.period_start:%Y-%m-%d %H:%M} ({self.status})"
