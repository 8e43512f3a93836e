"""Revocation reaches the CRL and OCSP at once (certdesk-decisions: within 60 seconds).

Inside the revoking transaction (certificates.signals are emitted there): the cached OCSP
responses of the serial are dropped, so the first request after commit signs the revoked
status, and the shard's and the full CRL are marked stale, so the views and the every-minute
job rebuild them even if the queue is down. On commit, a job rebuilds the shard CRL and
pre-signs the new OCSP response. A new certificate gets its OCSP response pre-signed.
"""
from __future__ import annotations

from django.dispatch import receiver

from certdesk.certificates import signals
from certdesk.core import queue

from . import crl, ocsp


@receiver(signals.revoked, dispatch_uid="ca.revocation.revoked")
@receiver(signals.replaced, dispatch_uid="ca.revocation.replaced")
def certificate_revoked(*, ca_id=None, serial_hex="", crl_shard=None, **kwargs) -> None:
    if not ca_id or not serial_hex:
        return
    ocsp.drop_cached(ca_id, serial_hex)
    crl.mark_stale(ca_id, crl_shard)
    from . import tasks

    queue.enqueue_on_commit(tasks.publish_revocation, ca_id, serial_hex, crl_shard)


@receiver(signals.issued, dispatch_uid="ca.revocation.issued")
def certificate_issued(*, ca_id=None, serial_hex="", **kwargs) -> None:
    if not ca_id or not serial_hex:
        return
    from . import tasks

    queue.enqueue_on_commit(tasks.presign_ocsp, ca_id, serial_hex)
