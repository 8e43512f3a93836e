"""Organization events (certdesk.tenancy.signals) → `notify()`: the revalidation reminders.

Sent to the MRAOs and the organization's RAOs (the built-in rule), in the transaction of the
worker's daily job; the key (organization, expiry, threshold) makes each reminder go once.
"""
from __future__ import annotations

from django.conf import settings

from . import types
from .dispatch import notify

LEVELS = {"OV_SSL": "OV", "EV_SSL": "EV"}


def _organization(organization_id):
    from certdesk.tenancy.models import Organization

    return Organization.objects.select_related("customer").filter(pk=organization_id).first()


def _context(org, expires, level) -> dict:
    return {"expires": expires.date() if expires else "", "validation_level": LEVELS.get(level, level or "OV"),
            "organization_url": f"{settings.BASE_URL}/organizations/{org.pk}/"}


def on_validation_expiring(sender, organization_id=None, days=None, expires=None, level=None, **kwargs) -> None:
    org = _organization(organization_id)
    if org is None or days is None:
        return
    notify(types.ORG_VALIDATION_EXPIRATION, organization=org, context={**_context(org, expires, level),
                                                                       "days": int(days)},
           days=int(days), key=f"orgvalidation:{org.pk}:{expires.isoformat() if expires else ''}:expiring:{int(days)}")


def on_validation_expired(sender, organization_id=None, expires=None, level=None, **kwargs) -> None:
    org = _organization(organization_id)
    if org is None:
        return
    notify(types.ORG_VALIDATION_EXPIRED, organization=org, context=_context(org, expires, level),
           key=f"orgvalidation:{org.pk}:{expires.isoformat() if expires else ''}:expired")


def connect() -> None:
    from certdesk.tenancy import signals

    uid = "certdesk.notifications.tenancy"
    signals.validation_expiring.connect(on_validation_expiring, dispatch_uid=f"{uid}.validation_expiring")
    signals.validation_expired.connect(on_validation_expired, dispatch_uid=f"{uid}.validation_expired")
