"""Reads of tenancy, always through the actor's scope."""
from __future__ import annotations

from django.db.models import QuerySet

from certdesk.accounts import policy
from certdesk.core.actor import Actor
from certdesk.core.errors import NotFound

from .models import Organization, OrganizationValidation


def visible_organizations(actor: Actor) -> QuerySet[Organization]:
    """Organizations and departments in the actor's scope."""
    return policy.scope(actor, Organization.objects.select_related("parent"))


def get_organization(actor: Actor, org_id) -> Organization:
    try:
        org_id = int(org_id)
    except (TypeError, ValueError):
        raise NotFound("Organization not found.", code=-1023) from None
    org = visible_organizations(actor).filter(pk=org_id).first()
    if org is None:
        raise NotFound("Organization not found.", code=-1023)
    return org


def get_validation(actor: Actor, org: Organization, validation_id) -> OrganizationValidation:
    try:
        validation_id = int(validation_id)
    except (TypeError, ValueError):
        raise NotFound("Validation not found.", code=-1023) from None
    validation = OrganizationValidation.objects.filter(pk=validation_id, organization=org).first()
    if validation is None:
        raise NotFound("Validation not found.", code=-1023)
    return validation
