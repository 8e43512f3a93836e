"""CRLs (RFC 5280 §5) of every CA, partitioned so each stays small.

Scopes:
- a shard of an issuing CA, /ca/<slug>/<shard>.crl: the revoked leaves whose `crl_shard`
  (serial mod settings.CRL_SHARDS, fixed at issuance) is that shard. The leaf's CRL
  distribution point names exactly this URL, and the CRL's critical issuingDistributionPoint
  (§5.2.5) names it too, with onlyContainsUserCerts, so a relying party can tell the partition
  is complete for that certificate (what `openssl verify -crl_check` checks).
- the full and complete CRL of a CA, /ca/<slug>.crl, without IDP (BR §7.2.2.1): for an issuing CA
  every revoked leaf (what leaves issued before sharding point at); for a root the CRL covering
  its issuing CAs (empty: issuing CA revocation is not modelled yet), the URL in the CA
  certificates' CRL distribution point.

A CRL is built in one go: every RevokedCertificate made first, then passed to the
CertificateRevocationListBuilder constructor (adding them one by one copies the list each time,
quadratic). 100,000 entries build and sign in well under a second.

Freshness (certdesk-decisions: a revocation shows within 60 seconds): the `revoked`/`replaced`
receivers mark the shard and full CRL stale in the revoking transaction and queue `publish`
on commit; the views rebuild a stale or missing CRL before serving it; a periodic job (every
minute) rebuilds stale ones and those whose nextUpdate is near (CRL_REFRESH_HOURS).
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import CRLEntryExtensionOID, ExtensionOID
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone as djtz

from .models import CertificateAuthority, CrlPublication
from .signers import get_signer

logger = logging.getLogger("certdesk.ca.crl")

# RFC 5280 §5.3.1 reason codes; 0 (unspecified) is left out of the entry (BR §7.2.2.1).
REASONS = {
    1: x509.ReasonFlags.key_compromise,
    2: x509.ReasonFlags.ca_compromise,
    3: x509.ReasonFlags.affiliation_changed,
    4: x509.ReasonFlags.superseded,
    5: x509.ReasonFlags.cessation_of_operation,
    6: x509.ReasonFlags.certificate_hold,
    8: x509.ReasonFlags.remove_from_crl,
    9: x509.ReasonFlags.privilege_withdrawn,
    10: x509.ReasonFlags.aa_compromise,
}
_REASON_EXTENSIONS = {
    code: [x509.Extension(CRLEntryExtensionOID.CRL_REASON, False, x509.CRLReason(flag))]
    for code, flag in REASONS.items()
}

# A shard number in a URL beyond this is refused without a database look-up.
MAX_SHARDS = 4096


def shard_count() -> int:
    return max(1, int(settings.CRL_SHARDS))


def shard_of(serial: int) -> int:
    """The CRL partition of a new certificate (as certificates.services stores it in crl_shard)."""
    return serial % shard_count()


def pki_base_url() -> str:
    # The one helper for URLs written into certificates (http://, BR §7.1.2.7.7).
    from certdesk.certificates.issuance import pki_base_url as base

    return base()


def crl_url(ca_slug: str, shard: int | None = None) -> str:
    """The distribution point URL of a CA's full CRL (shard None) or of one shard."""
    base = pki_base_url()
    if shard is None:
        return f"{base}/ca/{ca_slug}.crl"
    return f"{base}/ca/{ca_slug}/{shard}.crl"


def revoked_certificates(entries) -> list[x509.RevokedCertificate]:
    """RevokedCertificate objects for (serial_hex, revoked_at, reason_code) entries, in order."""
    build = x509.RevokedCertificateBuilder
    none: list = []
    out = []
    append = out.append
    for entry in entries:
        revoked_at = entry.revoked_at
        if revoked_at.tzinfo is None:
            revoked_at = revoked_at.replace(tzinfo=UTC)
        append(build(int(entry.serial_hex, 16), revoked_at.replace(microsecond=0),
                     _REASON_EXTENSIONS.get(entry.reason_code, none)).build())
    return out


def _entries(ca: CertificateAuthority, shard: int | None):
    if ca.is_root:
        return []  # the issuing CAs are not revocable yet: an empty, root-signed CRL
    from certdesk.certificates import queries

    # Expired certificates may leave the CRL (RFC 5280 §3.3); keeping them would grow CRLs forever.
    return queries.revoked_entries(ca, shard=shard, include_expired=False)


def build_crl(ca: CertificateAuthority, shard: int | None, *, number: int, now: datetime,
              entries=None) -> x509.CertificateRevocationList:
    """Sign the CRL of `ca` for `shard` (None: full) with the given crlNumber."""
    issuer = ca.certificate()
    if entries is None:
        entries = _entries(ca, shard)
    this_update = now.replace(microsecond=0)
    next_update = this_update + timedelta(hours=settings.CRL_VALIDITY_HOURS)
    ski = issuer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    extensions = [
        x509.Extension(ExtensionOID.AUTHORITY_KEY_IDENTIFIER, False,
                       x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)),
        x509.Extension(ExtensionOID.CRL_NUMBER, False, x509.CRLNumber(number)),
    ]
    if shard is not None:
        # A partition: the critical IDP names the shard URL (as the leaves' CRL DP does), user certs
        # only. A full and complete CRL carries none (BR §7.2.2.1), which is also what lets
        # `openssl verify -crl_check_all` accept the root's CRL for the root itself.
        idp = x509.IssuingDistributionPoint(
            full_name=[x509.UniformResourceIdentifier(crl_url(ca.slug, shard))], relative_name=None,
            only_contains_user_certs=True, only_contains_ca_certs=False, only_some_reasons=None,
            indirect_crl=False, only_contains_attribute_certs=False,
        )
        extensions.append(x509.Extension(ExtensionOID.ISSUING_DISTRIBUTION_POINT, True, idp))
    builder = x509.CertificateRevocationListBuilder(
        issuer_name=issuer.subject, last_update=this_update, next_update=next_update,
        extensions=extensions, revoked_certificates=revoked_certificates(entries),
    )
    return get_signer(ca).sign_crl(builder)


def _time_number(now: datetime) -> int:
    # Time-based (microseconds since the epoch), as Let's Encrypt does: increasing without a counter.
    return int(now.timestamp() * 1_000_000)


def valid_shard(ca: CertificateAuthority, shard: int) -> bool:
    """A shard this CA may have: below CRL_SHARDS, or one older certificates were given."""
    if ca.is_root or shard < 0 or shard >= MAX_SHARDS:
        return False
    if shard < shard_count():
        return True
    from certdesk.certificates.models import Certificate

    return Certificate.objects.filter(ca=ca, crl_shard=shard).exists()


def needs_rebuild(pub: CrlPublication | None, now: datetime, *, margin: timedelta | None = None) -> bool:
    if pub is None or pub.stale or not pub.der:
        return True
    margin = timedelta(hours=settings.CRL_REFRESH_HOURS) if margin is None else margin
    return pub.next_update <= now + margin


def publish(ca: CertificateAuthority, shard: int | None, *, force: bool = False,
            margin: timedelta | None = None) -> CrlPublication:
    """Rebuild and store the CRL of (ca, shard) if stale, missing or near nextUpdate (always with force).

    The row is locked while the CRL is built, so concurrent rebuilds queue up and the crlNumber
    only grows; a revocation committing meanwhile marks the row stale again after the lock."""
    with transaction.atomic():
        now = djtz.now()
        pub, _ = CrlPublication.objects.select_for_update().get_or_create(
            ca=ca, shard=shard, defaults={"this_update": now, "next_update": now, "stale": True})
        if not force and not needs_rebuild(pub, now, margin=margin):
            return pub
        now = djtz.now()
        entries = _entries(ca, shard)
        number = max(pub.number + 1, _time_number(now))
        crl = build_crl(ca, shard, number=number, now=now, entries=entries)
        pub.number = number
        pub.this_update = crl.last_update_utc
        pub.next_update = crl.next_update_utc
        pub.entries = len(entries)
        pub.der = crl.public_bytes(serialization.Encoding.DER)
        pub.stale = False
        pub.save()
    logger.info("published CRL %s shard %s #%s (%d entries)", ca.slug, shard, number, len(entries))
    return pub


def current(ca: CertificateAuthority, shard: int | None) -> CrlPublication:
    """The CRL to serve: the stored one, rebuilt first when stale, missing or expiring within the hour."""
    now = djtz.now()
    pub = CrlPublication.objects.filter(ca=ca, shard=shard).first()
    if needs_rebuild(pub, now, margin=timedelta(hours=1)):
        pub = publish(ca, shard, margin=timedelta(hours=1))
    return pub


def mark_stale(ca_id: int, shard: int | None) -> int:
    """In the revoking transaction: the shard's CRL and the CA's full CRL are out of date."""
    scope = Q(shard__isnull=True)
    if shard is not None:
        scope |= Q(shard=shard)
    return CrlPublication.objects.filter(Q(ca_id=ca_id) & scope).update(stale=True)


def refresh_all() -> dict[str, int]:
    """The periodic job: every CA's full CRL and every issuing CA's shards, rebuilt when stale,
    missing, or their nextUpdate is closer than CRL_REFRESH_HOURS. Idempotent."""
    from certdesk.core import queue

    now = djtz.now()
    margin = timedelta(hours=settings.CRL_REFRESH_HOURS)
    existing = {(p.ca_id, p.shard): p for p in
                CrlPublication.objects.only("id", "ca", "shard", "stale", "next_update", "number")}
    counts = {"published": 0, "fresh": 0}
    for ca in CertificateAuthority.objects.select_related("parent").order_by("pk"):
        scopes: list[int | None] = [None]
        if not ca.is_root:
            scopes += list(range(shard_count()))
            scopes += sorted({s for (ca_id, s) in existing if ca_id == ca.pk and s is not None
                              and s >= shard_count()})
        for shard in scopes:
            pub = existing.get((ca.pk, shard))
            if pub is not None and not pub.stale and pub.next_update > now + margin:
                counts["fresh"] += 1
                continue
            try:
                publish(ca, shard, margin=margin)
                counts["published"] += 1
            except Exception:
                logger.exception("could not publish the CRL of %s shard %s", ca.slug, shard)
            if not queue.keep_alive():
                return counts
    return counts
