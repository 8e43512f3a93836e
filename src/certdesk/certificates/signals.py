"""Certificate events, for notifications, OCSP pre-signing, CRL refresh and webhooks to react to
(seed 000's notification types). Never used for audit.

Each is sent inside the transaction that caused it (`send_in_transaction` → core.events.emit: each
receiver in its own savepoint), so notification rows commit with the change; anything external
(mail, webhooks, CRL publication) is queued by the receivers for after commit. With
`sender=Certificate` and the keyword arguments `certificate_id`, `customer_id`,
`organization_id`, `kind`, `status`, plus those listed:

- awaiting_approval()                        "SSL Certificate Awaiting Approval" / "EV Anchor awaiting Approval"
- approved(approver_id)                      "SSL Certificate Approved"
- declined(reason)                           "SSL Certificate Declined"
- issued(ca_id, serial_hex)                  "SSL Certificate Issued" (download links)
- issuance_failed(reason)                    "SSL Certificate Issuance Failed"
- auto_renewal_failed(reason)                "SSL Certificate Auto-Renewal Failed"
- revoked(ca_id, serial_hex, crl_shard, reason_code)   "SSL Certificate Revoked"; CRL/OCSP refresh
- replaced(ca_id, serial_hex, crl_shard, replaced_by_id) (revoked as superseded); CRL/OCSP refresh
- expiring(days, not_after)                  "SSL Certificate Expiration" (30 days before)
- expired(not_after)
"""
from __future__ import annotations

from django.dispatch import Signal

from certdesk.core import events

awaiting_approval = Signal()
approved = Signal()
declined = Signal()
issued = Signal()
issuance_failed = Signal()
auto_renewal_failed = Signal()
revoked = Signal()
replaced = Signal()
expiring = Signal()
expired = Signal()


def send_in_transaction(signal: Signal, cert, **kwargs) -> None:
    """Run the receivers now, in the change's transaction; a failing one never undoes the change."""
    from .models import Certificate

    payload = {
        # `certificate`: the instance just saved, so receivers need not read it again.
        "certificate": cert,
        "certificate_id": cert.pk, "customer_id": cert.customer_id, "organization_id": cert.organization_id,
        "kind": cert.kind, "status": cert.status, **kwargs,
    }
    events.emit(signal, Certificate, **payload)
