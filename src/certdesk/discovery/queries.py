"""Reads of discovery, always through the actor's SSL scope (accounts.policy.scope_discovery).

A discovered certificate is visible to an admin when one of the tasks that saw it belongs to an
organization or department in the admin's scope (MRAO: every one of the customer)."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.core.actor import Actor
from certdesk.tenancy.models import Organization

from .errors import DiscoveredCertificateNotFound, DiscoveryTaskNotFound
from .models import DiscoveredCertificate, DiscoveredLocation, DiscoveryRun, DiscoveryTask


def visible_tasks(actor: Actor, *, search: str = "", organization_id: int | None = None) -> QuerySet[DiscoveryTask]:
    qs = policy.scope_discovery(actor, DiscoveryTask.objects.all()).select_related("organization",
                                                                                   "organization__parent")
    if search.strip():
        text = search.strip()
        qs = qs.filter(Q(name__icontains=text) | Q(targets__icontains=text))
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return qs.order_by("name", "id")


def get_task(actor: Actor, task_id) -> DiscoveryTask:
    try:
        task_id = int(task_id)
    except (TypeError, ValueError):
        raise DiscoveryTaskNotFound("Discovery task not found.") from None
    task = visible_tasks(actor).filter(pk=task_id).first()
    if task is None:
        raise DiscoveryTaskNotFound("Discovery task not found.")
    return task


def recent_runs(task: DiscoveryTask, limit: int = 10) -> list[DiscoveryRun]:
    return list(task.runs.order_by("-id")[:limit])


def discovery_organizations(actor: Actor) -> QuerySet[Organization]:
    """Where the actor may add discovery tasks and file discovered certificates (SSL roles)."""
    return policy.scope(actor, Organization.objects.all(), cert_type="SSL").select_related("parent").order_by(
        "name", "id")


def _visible_task_ids(actor: Actor) -> QuerySet:
    return policy.scope_discovery(actor, DiscoveryTask.objects.all()).values("pk")


def visible_discovered(actor: Actor, *, task_id: int | None = None, managed: bool | None = None,
                       expiring_days: int | None = None, search: str = "") -> QuerySet[DiscoveredCertificate]:
    """Discovered certificates seen by a task in the actor's scope, soonest expiry first.

    `managed`: in the inventory (issued here or imported) or not; `expiring_days`: not after within
    that many days from now (already expired ones included); `search`: part of the common name, of a
    subject alternative name, of the subject or issuer, or the start of the SHA-256 fingerprint."""
    if actor.customer is None:
        return DiscoveredCertificate.objects.none()
    locations = DiscoveredLocation.objects.filter(discovered=OuterRef("pk"), task__in=_visible_task_ids(actor))
    if task_id is not None:
        locations = locations.filter(task_id=task_id)
    qs = DiscoveredCertificate.objects.filter(customer=actor.customer).filter(Exists(locations))
    if managed is not None:
        qs = qs.filter(certificate__isnull=not managed)
    if expiring_days is not None:
        qs = qs.filter(not_after__lte=timezone.now() + timedelta(days=expiring_days))
    if search.strip():
        text = search.strip()
        fingerprint = text.replace(":", "").lower()
        qs = qs.filter(Q(common_name__icontains=text) | Q(subject__icontains=text) | Q(issuer__icontains=text)
                       | Q(subject_alt_names__icontains=text) | Q(sha256__startswith=fingerprint))
    return qs.defer("der").order_by("not_after", "id")


def get_discovered(actor: Actor, discovered_id) -> DiscoveredCertificate:
    try:
        discovered_id = int(discovered_id)
    except (TypeError, ValueError):
        raise DiscoveredCertificateNotFound("Discovered certificate not found.") from None
    found = visible_discovered(actor).filter(pk=discovered_id).first()
    if found is None:
        raise DiscoveredCertificateNotFound("Discovered certificate not found.")
    return DiscoveredCertificate.objects.select_related("certificate").get(pk=found.pk)


def locations(actor: Actor, discovered: DiscoveredCertificate) -> list[DiscoveredLocation]:
    """Where tasks in the actor's scope saw the certificate."""
    return list(discovered.locations.filter(task__in=_visible_task_ids(actor)).select_related("task")
                .order_by("ip", "port", "host", "id"))


def location_counts(actor: Actor, discovered_ids: list[int]) -> dict[int, int]:
    return dict(Counter(DiscoveredLocation.objects.filter(discovered_id__in=discovered_ids,
                                                          task__in=_visible_task_ids(actor))
                        .values_list("discovered_id", flat=True)))
