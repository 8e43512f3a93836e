"""Emit a domain event inside the transaction that caused it.

Receivers (notifications) write outbox rows; doing so in the same transaction as the change
means the change and its notifications commit together or not at all (issue 7: "every message
is first written to an outbox in the database"). Each receiver runs in its own savepoint, so one
that fails is logged and rolled back alone, never undoing the change that caused the event.
Anything slow or external (sending mail, webhooks) is the worker's, queued on commit.
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger("certdesk.events")


def emit(signal: Signal, sender, **kwargs) -> None:
    # Django 5 returns (sync receivers, async receivers); ours are all synchronous.
    sync_receivers, _async = signal._live_receivers(sender)
    for receiver in sync_receivers:
        try:
            with transaction.atomic():
                receiver(signal=signal, sender=sender, **kwargs)
        except Exception as exc:  # a receiver's failure must not undo the change it reacts to
            logger.error("event receiver %r failed: %s", receiver, exc, exc_info=exc)
