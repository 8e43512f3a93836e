"""Domain events, for the notifications issue to turn into emails (seed 000's notification types).

Each is sent once the transaction that caused it commits (`send_on_commit`), with
`sender=Domain` and keyword arguments:

- delegation_requested(domain_id, organization_id, delegation_id, customer_id)   "Domain Delegation Awaiting Approval"
- delegation_approved(domain_id, organization_id, delegation_id, customer_id)    "Domain Delegation Approved"
- dcv_needed(domain_id, customer_id)                                             "DCV Needed - New Domain"
- dcv_submitted(domain_id, order_id, method, customer_id)                        (seed 000: "la DCV a été soumise")
- dcv_validated(domain_id, order_id, method, expires, customer_id)               "DCV Validated"
- dcv_expiring(domain_id, days, expires, customer_id)                            "DCV Expiration XX days" (30, 15)
- dcv_expired(domain_id, customer_id)
"""
from __future__ import annotations

import logging

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

delegation_requested = Signal()
delegation_approved = Signal()
dcv_needed = Signal()
dcv_submitted = Signal()
dcv_validated = Signal()
dcv_expiring = Signal()
dcv_expired = Signal()


def send_on_commit(signal: Signal, **kwargs) -> None:
    from .models import Domain

    def fire() -> None:
        # A failing receiver must not undo or hide a change that has committed.
        for receiver, result in signal.send_robust(sender=Domain, **kwargs):
            if isinstance(result, Exception):
                logger.error("domain event receiver %r failed: %s", receiver, result, exc_info=result)

    transaction.on_commit(fire)
