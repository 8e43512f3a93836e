"""Notifications (issue 7): rules, email templates, the outbox, webhooks, the bell and the worker.

Other apps emit events with `notify()` (see `certdesk.notifications.dispatch.notify`), inside the
transaction that makes the change: the messages are written to the outbox in that same
transaction and sent by the worker once it commits.
"""
from __future__ import annotations

from typing import Any


def notify(event_type: str, *, organization=None, context: dict[str, Any] | None = None,
           requester_email: str | None = None, **options: Any):
    """Queue the notifications of one event; see `certdesk.notifications.dispatch.notify`."""
    from .dispatch import notify as _notify

    return _notify(event_type, organization=organization, context=context, requester_email=requester_email,
                   **options)
