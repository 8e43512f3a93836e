"""Discovery: scan tasks over an organization's networks, their runs, and the certificates they found
(deduplicated per customer by SHA-256 fingerprint) with the endpoints that served them."""
from __future__ import annotations

from cryptography import x509
from django.db import models

from certdesk.tenancy.models import Customer, Organization


class Schedule(models.TextChoices):
    NONE = "NONE", "None"
    DAILY = "DAILY", "Daily"
    WEEKLY = "WEEKLY", "Weekly"


class RunStatus(models.TextChoices):
    QUEUED = "QUEUED", "Queued"
    RUNNING = "RUNNING", "Running"
    DONE = "DONE", "Done"
    FAILED = "FAILED", "Failed"


class DiscoveryTask(models.Model):
    """What to scan (targets × ports), for which organization or department, and how often."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="discovery_tasks")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="discovery_tasks")
    name = models.CharField(max_length=128)
    # Normalized, one target a line: an address, a CIDR range or a host name (targets.py).
    targets = models.TextField()
    # Normalized "443,8000-8010".
    ports = models.CharField(max_length=1024, default="443")
    schedule = models.CharField(max_length=8, choices=Schedule.choices, default=Schedule.NONE)
    timeout = models.PositiveSmallIntegerField(default=5, help_text="seconds per connection")
    probe_count = models.PositiveIntegerField(default=0, help_text="addresses × ports, host names counted once")
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=8, blank=True, default="")
    last_endpoints = models.PositiveIntegerField(default=0)
    last_certificates = models.PositiveIntegerField(default=0)
    last_failures = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(auto_now_add=True)
    modified = models.DateTimeField(auto_now=True)
    created_by = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="discovery_task_name_unique")]
        indexes = [models.Index(fields=["customer", "organization"], name="discovery_task_scope"),
                   models.Index(fields=["schedule", "last_run_at"], name="discovery_task_due")]

    def __str__(self) -> str:
        return self.name

    @property
    def target_list(self) -> list[str]:
        return [line for line in self.targets.splitlines() if line]


class DiscoveryRun(models.Model):
    """One execution of a task by the worker."""

    task = models.ForeignKey(DiscoveryTask, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    scheduled = models.BooleanField(default=False, help_text="started by the schedule, not by an admin")
    requested_by = models.CharField(max_length=200, blank=True, default="")
    queued_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    probes = models.PositiveIntegerField(default=0)
    endpoints = models.PositiveIntegerField(default=0, help_text="probes that completed a TLS handshake")
    certificates = models.PositiveIntegerField(default=0, help_text="distinct certificates seen")
    new_certificates = models.PositiveIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)
    # The first failures, [{"ip", "port", "host", "error"}] (at most services.FAILURE_SAMPLES).
    failure_samples = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["task", "status"], name="discovery_run_task_status")]


class DiscoveredCertificate(models.Model):
    """A certificate seen on the network, once per customer whatever the number of endpoints."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="discovered_certificates")
    sha256 = models.CharField(max_length=64)
    sha1 = models.CharField(max_length=40)
    serial_hex = models.CharField(max_length=40)
    subject = models.TextField(blank=True, default="")
    issuer = models.TextField(blank=True, default="")
    common_name = models.CharField(max_length=253, blank=True, default="")
    subject_alt_names = models.JSONField(default=list, blank=True)
    not_before = models.DateTimeField()
    not_after = models.DateTimeField()
    key_algorithm = models.CharField(max_length=16, blank=True, default="")
    key_size = models.PositiveIntegerField(null=True, blank=True)
    der = models.BinaryField()
    # Signed by one of certdesk's CAs (the leaf only: the scanner reads the peer's leaf certificate).
    chain_verified = models.BooleanField(default=False)
    # The inventory certificate it is (issued here, imported, or imported from this discovery).
    certificate = models.ForeignKey("certificates.Certificate", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="discoveries")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["not_after", "id"]
        constraints = [models.UniqueConstraint(fields=["customer", "sha256"], name="discovered_unique_per_customer")]
        indexes = [models.Index(fields=["customer", "not_after"], name="discovered_expiry"),
                   models.Index(fields=["customer", "sha1"], name="discovered_sha1")]

    def __str__(self) -> str:
        return self.common_name or self.subject or self.sha256[:16]

    @property
    def is_managed(self) -> bool:
        return self.certificate_id is not None

    @property
    def fingerprint(self) -> str:
        return ":".join(self.sha256[i:i + 2] for i in range(0, len(self.sha256), 2)).upper()

    def x509(self) -> x509.Certificate:
        return x509.load_der_x509_certificate(bytes(self.der))


class DiscoveredLocation(models.Model):
    """Where a task saw a certificate: ip:port, with the host name sent as SNI when there was one."""

    discovered = models.ForeignKey(DiscoveredCertificate, on_delete=models.CASCADE, related_name="locations")
    task = models.ForeignKey(DiscoveryTask, on_delete=models.CASCADE, related_name="locations")
    ip = models.GenericIPAddressField()
    port = models.PositiveIntegerField()
    host = models.CharField(max_length=253, blank=True, default="")
    tls_version = models.CharField(max_length=16, blank=True, default="")
    cipher = models.CharField(max_length=128, blank=True, default="")
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()

    class Meta:
        ordering = ["ip", "port", "host", "id"]
        constraints = [models.UniqueConstraint(fields=["discovered", "task", "ip", "port", "host"],
                                               name="discovered_location_unique")]
        indexes = [models.Index(fields=["task", "discovered"], name="discovered_location_task")]

    @property
    def address(self) -> str:
        ip = f"[{self.ip}]" if ":" in self.ip else self.ip
        return f"{ip}:{self.port}" + (f" ({self.host})" if self.host else "")
