"""Refusals of the notification services."""
from certdesk.core.errors import DomainError, InvalidInput, NotFound, PermissionDenied  # noqa: F401


class NotificationNotFound(NotFound):
    code = -14


class WebhookNotFound(NotFound):
    code = -14


class NotificationRefused(DomainError):
    code = -1601
