"""The audit log: an append-only, hash-chained table of every state change."""
from django.db import models


class AuditEvent(models.Model):
    """One state change. `hash` = HMAC-SHA256(key, prev_hash || canonical row); see core.audit."""

    seq = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField()
    customer_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    actor = models.CharField(max_length=200)
    actor_admin_id = models.BigIntegerField(null=True, blank=True)
    interface = models.CharField(max_length=16)
    ip = models.CharField(max_length=64, blank=True, default="")
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True, default="")
    object_id = models.CharField(max_length=80, blank=True, default="")
    object_repr = models.CharField(max_length=300, blank=True, default="")
    # Canonical JSON text, hashed as stored (a JSON column could reorder keys).
    changes = models.TextField(default="{}")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        db_table = "core_audit_event"
        ordering = ["seq"]
        indexes = [models.Index(fields=["customer_id", "-seq"])]

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.object_type}:{self.object_id} by {self.actor}"


class AuditHead(models.Model):
    """The chain's tip (a single row, locked while appending): catches deleted tail rows."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    class Meta:
        db_table = "core_audit_head"
