"""Organization revalidation reminders (issue 7): an organization's OV/EV validation lasts a year
(CERTDESK_ORG_VALIDATION_DAYS); 60, 30 and 7 days before it expires, and once it has expired, the
MRAOs and the organization's RAOs are told (notifications.tenancy_receivers), each once.

"Once" is the notification key (organization, expiry, threshold): the daily job may run again or
late and sends nothing twice. A reminder is the smallest threshold not below the days left, so a
job that missed a day still sends it; an expiry is reported within EXPIRED_LOOKBACK of it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from certdesk.core import events

from . import signals
from .models import Organization, OrganizationValidation
from .states import ValidationLevel, ValidationRequestStatus, ValidationStatus

REMINDER_DAYS = (60, 30, 7)
EXPIRED_LOOKBACK = timedelta(days=30)


def due_reminder(expires: datetime, now: datetime) -> int | None:
    """The reminder threshold due for a validation expiring at `expires`: None (too early), a
    number of days, or 0 (expired)."""
    if expires <= now:
        return 0
    left = (expires - now).total_seconds() / 86400
    due = [d for d in REMINDER_DAYS if left <= d]
    return min(due) if due else None


def send_revalidation_reminders(*, now: datetime | None = None) -> dict[str, int]:
    """Emit the due reminders of every customer's validated organizations; returns how many of
    each kind were due (already-sent ones are dropped by the notification key)."""
    now = now or timezone.now()
    level = (OrganizationValidation.objects.filter(organization=OuterRef("pk"), status=ValidationRequestStatus.VALIDATED)
             .order_by("-decided_at", "-id").values("level")[:1])
    organizations = (Organization.objects
                     .filter(parent__isnull=True, validation_status=ValidationStatus.VALIDATED,
                             validation_expires__gt=now - EXPIRED_LOOKBACK,
                             validation_expires__lte=now + timedelta(days=max(REMINDER_DAYS)))
                     .annotate(level=Subquery(level)).order_by("validation_expires", "pk")
                     .values_list("pk", "customer_id", "validation_expires", "level"))
    counts = {"expiring": 0, "expired": 0}
    with transaction.atomic():
        for pk, customer_id, expires, validation_level in organizations:
            days = due_reminder(expires, now)
            if days is None:
                continue
            payload = {"organization_id": pk, "customer_id": customer_id, "expires": expires,
                       "level": validation_level or ValidationLevel.OV_SSL}
            if days == 0:
                events.emit(signals.validation_expired, Organization, **payload)
                counts["expired"] += 1
            else:
                events.emit(signals.validation_expiring, Organization, days=days, **payload)
                counts["expiring"] += 1
    return counts
