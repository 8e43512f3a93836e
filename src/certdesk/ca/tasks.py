"""Worker jobs of the revocation services: queued on revocation/issuance, and periodic refreshes."""
from __future__ import annotations

from datetime import timedelta

from certdesk.core import queue


@queue.task(retries=5, retry_delay=5)
def publish_revocation(ca_id: int, serial_hex: str, crl_shard: int | None) -> None:
    """After a revocation commits: the shard CRL rebuilt and the revoked OCSP response pre-signed.
    The CA's full CRL is stale already; the every-minute job (or the next download) rebuilds it."""
    from . import crl, ocsp
    from .models import CertificateAuthority

    ca = CertificateAuthority.objects.select_related("parent").get(pk=ca_id)
    if crl_shard is not None:
        crl.publish(ca, crl_shard)
    ocsp.presign(ca, serial_hex)


@queue.task(retries=3, retry_delay=10)
def presign_ocsp(ca_id: int, serial_hex: str) -> None:
    from . import ocsp
    from .models import CertificateAuthority

    ocsp.presign(CertificateAuthority.objects.select_related("parent").get(pk=ca_id), serial_hex)


@queue.periodic("ca.crl_refresh", every=timedelta(minutes=1), lease=timedelta(minutes=15))
def refresh_crls() -> dict[str, int]:
    """Every minute: stale CRLs (a lost queued job, the full CRLs) and those near nextUpdate."""
    from . import crl

    return crl.refresh_all()


@queue.periodic("ca.ocsp_refresh", every=timedelta(minutes=10), lease=timedelta(minutes=30))
def refresh_ocsp() -> dict[str, int]:
    """Responder certificates rotated, then pre-signed responses re-signed before they age out."""
    from . import ocsp

    return {"responders": ocsp.rotate_responders(), "responses": ocsp.refresh_due()}
