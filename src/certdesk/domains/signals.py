"""Domain events, for the notifications issue to turn into emails (seed 000's notification types).

Each is sent inside the transaction that caused it (`send_in_transaction` → core.events.emit), so the
notifications it produces commit with the change; sending them is the worker's, after commit. With
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

from django.dispatch import Signal

from certdesk.core import events

delegation_requested = Signal()
delegation_approved = Signal()
dcv_needed = Signal()
dcv_submitted = Signal()
dcv_validated = Signal()
dcv_expiring = Signal()
dcv_expired = Signal()


def send_in_transaction(signal: Signal, **kwargs) -> None:
    """Run the receivers now, in the change's transaction, each in its own savepoint."""
    from .models import Domain

    events.emit(signal, Domain, **kwargs)
