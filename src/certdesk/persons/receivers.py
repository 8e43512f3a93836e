"""Deleting an organization or department that still has persons is refused (not cascaded).

tenancy.services.delete_organization calls `org.delete()` inside its transaction; this guard runs
before any row goes and raises a DomainError, which rolls that transaction back and reaches the
adapter as an SCM error or a portal message. Only a deletion that starts at the organization
itself is guarded (`origin`): removing a whole customer still takes its persons with it.
"""
from __future__ import annotations

from django.db.models.signals import pre_delete
from django.dispatch import receiver

from certdesk.core.i18n import msg
from certdesk.tenancy.errors import OrganizationRefused
from certdesk.tenancy.models import Organization

from .models import Person


@receiver(pre_delete, sender=Organization, dispatch_uid="persons.refuse_organization_with_persons")
def refuse_organization_with_persons(sender, instance: Organization, origin=None, **kwargs) -> None:
    if not isinstance(origin, Organization):
        return
    if Person.objects.filter(organization_id=instance.pk).exists():
        raise OrganizationRefused(msg("Persons still belong to %(organization)s: move them to another "
                                      "organization or department, or delete them, first.",
                                      organization=instance.name))
