"""Reads of admins, always through the actor's scope."""
from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from certdesk.core.actor import Actor

from . import policy
from .errors import AdminNotFound
from .models import Admin, Credential


def with_credentials(qs: QuerySet[Admin]) -> QuerySet[Admin]:
    """Admins with their credentials loaded in one extra query (not one per admin)."""
    return qs.prefetch_related(
        Prefetch("credentials", queryset=Credential.objects.select_related("organization", "organization__parent")
                 .order_by("role", "organization__name"))
    )


def visible_admins(actor: Actor) -> QuerySet[Admin]:
    return with_credentials(policy.visible_admins(actor))


def get_admin(actor: Actor, admin_id) -> Admin:
    """The admin with this id if the actor may see it; otherwise AdminNotFound (same as missing)."""
    try:
        admin_id = int(admin_id)
    except (TypeError, ValueError):
        raise AdminNotFound("Admin not found.") from None
    admin = visible_admins(actor).filter(pk=admin_id).first()
    if admin is None:
        raise AdminNotFound("Admin not found.")
    return admin
