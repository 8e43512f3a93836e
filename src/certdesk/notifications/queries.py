"""Reads of notifications, always through the actor's scope: rules, webhooks, the log, the bell."""
from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from certdesk.accounts import policy
from certdesk.core.actor import Actor

from .dispatch import ensure_builtin_rules
from .errors import NotificationNotFound, WebhookNotFound
from .models import InboxItem, NotificationRule, OutboxMessage, Webhook


def _in_scope(actor: Actor, field: str = "organization") -> Q:
    """Customer-wide rows, and rows of the organizations and departments the actor covers."""
    ids = policy.organization_ids(actor)
    if ids is None:
        return Q()
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}_id__in": ids})


def visible_rules(actor: Actor) -> QuerySet[NotificationRule]:
    if actor.customer is None:
        return NotificationRule.objects.none()
    ensure_builtin_rules(actor.customer)
    return (NotificationRule.objects.filter(customer=actor.customer).filter(_in_scope(actor))
            .select_related("organization", "organization__parent").order_by("organization_id", "type", "id"))


def get_rule(actor: Actor, rule_id) -> NotificationRule:
    try:
        rule_id = int(rule_id)
    except (TypeError, ValueError):
        raise NotificationNotFound("Notification not found.") from None
    rule = visible_rules(actor).filter(pk=rule_id).first()
    if rule is None:
        raise NotificationNotFound("Notification not found.")
    return rule


def visible_webhooks(actor: Actor) -> QuerySet[Webhook]:
    if actor.customer is None:
        return Webhook.objects.none()
    return (Webhook.objects.filter(customer=actor.customer).filter(_in_scope(actor))
            .select_related("organization", "organization__parent"))


def get_webhook(actor: Actor, webhook_id) -> Webhook:
    try:
        webhook_id = int(webhook_id)
    except (TypeError, ValueError):
        raise WebhookNotFound("Webhook not found.") from None
    hook = visible_webhooks(actor).filter(pk=webhook_id).first()
    if hook is None:
        raise WebhookNotFound("Webhook not found.")
    return hook


def notification_log(actor: Actor, *, status: str = "", type: str = "", recipient: str = "",
                     since: datetime | None = None, until: datetime | None = None,
                     organization_ids: list[int] | None = None) -> QuerySet[OutboxMessage]:
    """Messages (who, what, when, status, error), newest first. An MRAO sees the customer's; other
    admins those of their organizations and departments, and their own."""
    if actor.customer is None:
        return OutboxMessage.objects.none()
    qs = OutboxMessage.objects.filter(event__customer=actor.customer)
    ids = policy.organization_ids(actor)
    if ids is not None:
        mine = Q(admin=actor.admin) if actor.admin is not None else Q(pk__in=[])
        qs = qs.filter(Q(event__organization_id__in=ids) | mine)
    if status:
        qs = qs.filter(status=status.upper())
    if type:
        qs = qs.filter(event__type__iexact=type)
    if recipient:
        qs = qs.filter(recipient__icontains=recipient)
    if since is not None:
        qs = qs.filter(created__gte=since)
    if until is not None:
        qs = qs.filter(created__lt=until)
    if organization_ids:
        qs = qs.filter(event__organization_id__in=organization_ids)
    return qs.select_related("event", "event__organization", "event__organization__parent").order_by("-id")


def bell(actor: Actor, *, limit: int = 8) -> tuple[list[InboxItem], int]:
    """The admin's latest notifications and how many are unread."""
    if actor.admin is None:
        return [], 0
    items = InboxItem.objects.filter(admin=actor.admin).select_related("event")
    return list(items.order_by("-id")[:limit]), items.filter(read_at__isnull=True).count()
