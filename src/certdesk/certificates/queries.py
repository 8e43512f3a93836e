"""Reads of certificates: lists in the actor's scope, one by id, and what the worker, the CRL
builder and the OCSP responder need (revoked serials per CA and shard, status by serial)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.core.actor import Actor
from certdesk.tenancy.models import CertType

from .errors import CertificateNotFound
from .models import Certificate, Profile
from .states import REVOKED_STATUSES, Status


def visible_certificates(actor: Actor, *, kind: str = CertType.SSL) -> QuerySet[Certificate]:
    """Certificates of `kind` in the actor's scope (MRAO all; RAO_SSL its organization and
    departments; DRAO_SSL its department), newest first."""
    qs = Certificate.objects.filter(kind=kind).select_related("organization", "organization__parent", "profile")
    return policy.scope(actor, qs, field="organization", cert_type=kind).order_by("-id")


def get_certificate(actor: Actor, cert_id, *, kind: str = CertType.SSL) -> Certificate:
    """One certificate by id; unknown and out of scope both answer -124 "not found"."""
    try:
        cert_id = int(cert_id)
    except (TypeError, ValueError):
        raise CertificateNotFound("Certificate not found.") from None
    cert = visible_certificates(actor, kind=kind).filter(pk=cert_id).first()
    if cert is None:
        raise CertificateNotFound("Certificate not found.")
    return cert


def profiles_for(customer, *, kind: str = CertType.SSL, include_inactive: bool = False) -> QuerySet[Profile]:
    """The profiles a customer may use (shared ones and its own), in display order."""
    from django.db.models import Q

    qs = Profile.objects.filter(Q(customer__isnull=True) | Q(customer=customer), kind=kind)
    if not include_inactive:
        qs = qs.filter(active=True)
    return qs.order_by("position", "id")


def get_profile(customer, profile_id, *, kind: str = CertType.SSL) -> Profile:
    from .errors import ProfileNotFound

    try:
        profile_id = int(profile_id)
    except (TypeError, ValueError):
        raise ProfileNotFound("Invalid certificate type.", field="certType") from None
    profile = profiles_for(customer, kind=kind).filter(pk=profile_id).first()
    if profile is None:
        raise ProfileNotFound("Invalid certificate type.", field="certType")
    return profile


def history(cert: Certificate):
    return cert.events.select_related("admin").order_by("at", "id")


# ---------------------------------------------------------------------------
# Worker


def auto_renew_candidates(*, now: datetime | None = None) -> QuerySet[Certificate]:
    """ISSUED, auto-renew on, renewal moment reached, not yet tried (index (status, auto_renew_at))."""
    now = now or timezone.now()
    return (Certificate.objects.filter(status=Status.ISSUED, auto_renew=True, auto_renew_at__lte=now,
                                       auto_renewed_at__isnull=True)
            .select_related("customer", "organization", "organization__parent", "profile").order_by("auto_renew_at", "id"))


def expiring(actor: Actor, days: int, *, now: datetime | None = None) -> QuerySet[Certificate]:
    now = now or timezone.now()
    return visible_certificates(actor).filter(status=Status.ISSUED, not_after__gt=now,
                                              not_after__lte=now + timedelta(days=days)).order_by("not_after", "id")


# ---------------------------------------------------------------------------
# Revocation readers (CRL shards, OCSP)


@dataclass(frozen=True)
class RevokedEntry:
    serial_hex: str
    revoked_at: datetime
    reason_code: int | None

    @property
    def serial_number(self) -> int:
        return int(self.serial_hex, 16)


def revoked_entries(ca, *, shard: int | None = None, after_serial: str = "", limit: int | None = None,
                    include_expired: bool = True, now: datetime | None = None) -> list[RevokedEntry]:
    """Revoked certificates (REVOKED, and REPLACED = superseded) of one issuing CA, by serial.

    `shard` narrows to one CRL partition (certificates keep the shard given at issuance);
    `after_serial`/`limit` page by serial (keyset). With include_expired false, certificates
    past notAfter are left out (RFC 5280 §3.3 lets a CRL drop them).
    """
    qs = Certificate.objects.filter(ca=ca, status__in=REVOKED_STATUSES, revoked_at__isnull=False)
    if shard is not None:
        qs = qs.filter(crl_shard=shard)
    if after_serial:
        qs = qs.filter(serial_hex__gt=after_serial)
    if not include_expired:
        qs = qs.filter(not_after__gt=now or timezone.now())
    rows = qs.order_by("serial_hex").values_list("serial_hex", "revoked_at", "revocation_reason")
    if limit is not None:
        rows = rows[:limit]
    return [RevokedEntry(serial_hex=s, revoked_at=r, reason_code=c) for s, r, c in rows]


@dataclass(frozen=True)
class SerialStatus:
    """What an OCSP responder says for a serial: good, revoked (with time and reason) or unknown."""

    status: str  # "good" | "revoked" | "unknown"
    certificate_id: int | None = None
    revoked_at: datetime | None = None
    reason_code: int | None = None
    not_after: datetime | None = None


def status_by_serial(ca, serial: int | str) -> SerialStatus:
    """The OCSP status of one serial of `ca` (unique index (ca, serial_hex))."""
    serial_hex = serial if isinstance(serial, str) else f"{serial:040x}"
    row = (Certificate.objects.filter(ca=ca, serial_hex=serial_hex.lower().rjust(40, "0"))
           .values_list("pk", "status", "revoked_at", "revocation_reason", "not_after").first())
    if row is None:
        return SerialStatus("unknown")
    pk, status, revoked_at, reason, not_after = row
    if status in REVOKED_STATUSES and revoked_at is not None:
        return SerialStatus("revoked", pk, revoked_at, reason, not_after)
    return SerialStatus("good", pk, not_after=not_after)


# ---------------------------------------------------------------------------
# Portal list (issue 4): the filters of the shared list contract (`/certificates/?awaiting=me&q=…`)


def listable_certificates(actor: Actor, *, kind: str = CertType.SSL,
                          organization_id: int | None = None) -> QuerySet[Certificate]:
    """The same rows as `visible_certificates` (optionally of one organization or department), filtered
    on the certificate's own indexed columns instead of a join to the organizations: with a million
    rows the join makes PostgreSQL bitmap-scan every organization's certificates. Organization ids
    come from `policy` and lie in the actor's customer, so the customer column is only needed for an
    MRAO's whole list (and left out otherwise, so SQLite walks the organization index)."""
    from certdesk.tenancy.models import Organization

    if actor.customer is None:
        return Certificate.objects.none()
    ids = policy.organization_ids(actor, kind)
    qs = Certificate.objects.filter(kind=kind)
    if organization_id is not None:
        in_scope = (organization_id in ids if ids is not None else
                    Organization.objects.filter(pk=organization_id, customer=actor.customer).exists())
        qs = qs.filter(organization_id=organization_id) if in_scope else qs.none()
    elif ids is not None:
        qs = qs.filter(organization_id__in=ids)
    else:
        qs = qs.filter(customer=actor.customer)
    return qs.order_by("-id")


def _awaiting(actor: Actor, qs: QuerySet[Certificate] | None):
    """(REQUESTED certificates in scope where the actor may approve, the Q of its own EV / EV anchor
    requests among them, or None): the parts of `awaiting_approval`."""
    from django.db.models import Q

    from certdesk.tenancy.models import Organization

    from .profiles import ValidationLevel

    qs = (visible_certificates(actor) if qs is None else qs).filter(status=Status.REQUESTED)
    if actor.customer is None:
        return qs.none(), None
    organizations = list(policy.scope(actor, Organization.objects.all(), cert_type=CertType.SSL))
    allowed = [org.pk for org in organizations if policy.can(
        actor, policy.Perm.APPROVE_SSL,
        Certificate(kind=CertType.SSL, customer_id=actor.customer.pk, organization=org))]
    if len(allowed) < len(organizations):
        qs = qs.filter(organization_id__in=allowed)
    if actor.admin is None:
        return qs, None
    # profile ids instead of a join: the profiles table is small, the certificates one is not
    second_admin = list(Profile.objects.filter(Q(customer__isnull=True) | Q(customer_id=actor.customer.pk))
                        .filter(Q(validation_level=ValidationLevel.EV) | Q(validation_only=True))
                        .values_list("pk", flat=True))
    if not second_admin:
        return qs, None
    return qs, Q(requester_id=actor.admin.pk, profile_id__in=second_admin)


def awaiting_approval(actor: Actor, qs: QuerySet[Certificate] | None = None) -> QuerySet[Certificate]:
    """REQUESTED certificates the actor may approve: in scope, in an organization or department where
    `policy` lets it approve, and not EV/EV anchors it requested itself (those need a second admin).

    The policy is asked once per organization (an unsaved probe certificate), never per row."""
    qs, own = _awaiting(actor, qs)
    return qs if own is None else qs.exclude(own)


def count_awaiting_approval(actor: Actor, qs: QuerySet[Certificate] | None = None) -> int:
    """len(awaiting_approval(...)) counted from indexes: every approvable request in scope (status
    and scope columns only), minus the actor's own EV requests (found through its requester index)."""
    qs, own = _awaiting(actor, qs)
    total = qs.order_by().count()
    if own is not None:  # asked even at 0: the number of queries never depends on the data
        total -= qs.filter(own).order_by().count()
    return total


def _names_contain(needle: str):
    """names_index LIKE '%needle%', narrowed first by the SQLite trigram index (certificates/search.py)."""
    from django.db.models import Q

    from . import search

    condition = Q(names_index__contains=needle)
    narrowed = search.names_containing("names_index", needle)
    return condition if narrowed is None else narrowed & condition


def matching(qs: QuerySet[Certificate], text: str) -> QuerySet[Certificate]:
    """Certificates whose id, serial number (hex, colons allowed) or one of whose names contains `text`.

    The names are matched with a substring LIKE on `names_index` (a trigram index narrows it first on
    both databases: certificates/search.py on SQLite, a GIN index on PostgreSQL). Serial
    numbers go through the unique (ca, serial_hex) index, one entry per issuing CA."""
    import re

    from django.db.models import Q

    from certdesk.ca.models import CertificateAuthority

    text = (text or "").strip()
    if not text:
        return qs
    hex_text = re.sub(r"[:\s]", "", text).lower().removeprefix("0x")
    is_hex = bool(re.fullmatch(r"[0-9a-f]{1,40}", hex_text))
    if is_hex and (":" in text or (len(hex_text) >= 16 and not hex_text.isdigit())):
        # Unmistakably a serial number (colon-separated, or a long hex string): no name scan.
        ca_ids = list(CertificateAuthority.objects.values_list("pk", flat=True))
        return qs.filter(ca_id__in=ca_ids, serial_hex=hex_text.lstrip("0").rjust(40, "0"))
    condition = _names_contain(text.lower().rstrip("."))
    if not text.isascii():  # an IDN typed in Unicode: names are stored as A-labels
        from certdesk.domains import names as domain_names
        from certdesk.domains.errors import InvalidDomainName

        try:
            condition |= _names_contain(domain_names.normalize(text))
        except InvalidDomainName:  # a fragment, not a whole name: the plain substring stays
            pass
    digits = text.lstrip("#")
    if digits.isdigit() and len(digits) <= 18:
        condition |= Q(pk=int(digits))
    if is_hex and len(hex_text.lstrip("0")) >= 6:
        serial = hex_text.lstrip("0").rjust(40, "0")
        ca_ids = list(CertificateAuthority.objects.values_list("pk", flat=True))
        condition |= Q(ca_id__in=ca_ids, serial_hex=serial)
    return qs.filter(condition)
