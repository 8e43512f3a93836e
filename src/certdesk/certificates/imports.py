"""Certificates in the inventory that certdesk did not sign (SCM `requestedVia` "Imported"): import,
the manual revocation mark, deletion from the inventory, and their download (issue 6, spec §7.1).

certdesk is not their CA: an imported certificate never reaches a CRL or an OCSP answer (`ca` is
null), its revocation is a mark in the inventory, and it may be deleted again. Renewing one goes
through the one request pipeline (`services.renew` with a CSR) like any other request.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re
from datetime import datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.db import transaction
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core import audit, validators
from certdesk.core.actor import Actor
from certdesk.core.errors import InvalidInput
from certdesk.core.i18n import msg
from certdesk.tenancy.models import CertType, Organization

from . import csr as csr_module
from . import formats, issuance, queries, services, signals, states
from .errors import CertificateError, CertificateRevoked, NotCollectable, ProfileNotFound, WrongState
from .models import Certificate, CertificateEvent, Profile
from .profiles import ValidationLevel
from .states import PENDING_STATUSES, REVOKED_STATUSES, Status

IMPORTED = "Imported"
DISCOVERED = "Discovery"
# What DELETE /api/ssl/v1/{id} may remove: certificates certdesk only inventories (spec §7.1).
DELETABLE_VIA = (IMPORTED, DISCOVERED)
MAX_CERTIFICATE_CHARS = 64 * 1024
_PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(?P<body>.*?)-----END CERTIFICATE-----", re.S)
_B64_RE = re.compile(r"^[A-Za-z0-9+/=\s]*$")
_DNS_NAME = re.compile(r"(\*\.)?([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")
EV_POLICY = x509.ObjectIdentifier("2.23.140.1.1")  # CA/B Forum EV guidelines §9.3.4


class CertificateUnreadable(InvalidInput):
    """The text given as a certificate is not a PEM or base64 X.509 certificate."""


class AlreadyInInventory(CertificateError):
    """The same certificate (SHA-1 of its DER) is already in the customer's inventory."""

    code = -1601


class NotImportable(CertificateError):
    """A CA certificate, a certificate without DNS names, or one certdesk issued itself."""

    code = -1601


# ---------------------------------------------------------------------------
# Reading a certificate


def parse_certificate(text, *, field: str = "cert") -> x509.Certificate:
    """One X.509 certificate from PEM (the first block) or base64 DER text."""
    if not isinstance(text, str) or not text.strip():
        raise CertificateUnreadable("The certificate is empty: give it in PEM or base64.", field=field)
    if len(text) > MAX_CERTIFICATE_CHARS:
        raise CertificateUnreadable(msg("The certificate is too large (at most %(max_certificate_chars)s characters).",
                                        max_certificate_chars=MAX_CERTIFICATE_CHARS),
                                    field=field)
    match = _PEM_RE.search(text)
    body = match.group("body") if match else text
    if "-----" in body or not _B64_RE.match(body):
        raise CertificateUnreadable("The certificate is not PEM or base64 text: give the block from -----BEGIN "
                                    "CERTIFICATE----- to -----END CERTIFICATE-----.", field=field)
    try:
        der = base64.b64decode("".join(body.split()), validate=True)
        cert = x509.load_der_x509_certificate(der)
        cert.public_key()
        cert.extensions  # noqa: B018 - malformed extensions must fail here, not later
    except (binascii.Error, ValueError, UnsupportedAlgorithm):
        raise CertificateUnreadable("The certificate cannot be decoded as an X.509 certificate.", field=field) from None
    return cert


def _names(cert: x509.Certificate) -> tuple[str, list[str]]:
    """(common name, every DNS name with the common name first), lowercase."""
    try:
        dns = [n.lower().rstrip(".") for n in cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)]
    except x509.ExtensionNotFound:
        dns = []
    cn_attrs = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    common_name = str(cn_attrs[0].value).strip().lower().rstrip(".") if cn_attrs else ""
    if not common_name and dns:
        common_name = dns[0]
    names = [common_name] + [n for n in dict.fromkeys(dns) if n != common_name] if common_name else []
    return common_name, names


def _key(cert: x509.Certificate) -> tuple[str, int | None, str, str]:
    key = cert.public_key()
    spki = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashlib.sha256(spki).hexdigest()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size, str(key.key_size), digest
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size, csr_module.CURVE_NAMES.get(key.curve.name, key.curve.name), digest
    return "", None, "", digest


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def _serves_tls(cert: x509.Certificate) -> bool:
    try:
        usages = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return ExtendedKeyUsageOID.SERVER_AUTH in usages or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in usages


def _is_ev(cert: x509.Certificate) -> bool:
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound:
        return False
    return any(p.policy_identifier == EV_POLICY for p in policies)


def _signed_here(cert: x509.Certificate) -> bool:
    """Whether one of certdesk's own CAs signed it (such certificates are already in the inventory)."""
    from certdesk.ca.models import CertificateAuthority

    issuer = cert.issuer.rfc4514_string()
    for ca in CertificateAuthority.objects.filter(subject=issuer):
        try:
            cert.verify_directly_issued_by(ca.certificate())
            return True
        except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
            continue
    return False


PROFILE_BY_SHAPE = {
    # (EV, wildcard, several names) → the seeded type an SCM admin would have picked
    (True, False, False): "EV SSL", (True, False, True): "EV Multi-Domain",
    (False, True, False): "Wildcard SSL", (False, True, True): "OV Multi-Domain",
    (False, False, False): "OV SSL", (False, False, True): "OV Multi-Domain",
}


def choose_profile(customer, cert: x509.Certificate, names: list[str]) -> Profile:
    """The certificate type an imported certificate is filed under: by its shape (EV policy, wildcard,
    several names), else the first type of the same validation level."""
    ev = _is_ev(cert)
    wildcard = any(n.startswith("*.") for n in names)
    wanted = PROFILE_BY_SHAPE.get((ev, wildcard and not ev, len(names) > 1))
    candidates = [p for p in queries.profiles_for(customer) if not p.validation_only]
    level = ValidationLevel.EV if ev else ValidationLevel.OV
    for profile in candidates:
        if profile.name == wanted:
            return profile
    for profile in candidates:
        if profile.validation_level == level:
            return profile
    if candidates:
        return candidates[0]
    raise ProfileNotFound("No SSL certificate type is available to file the imported certificate under.")


def _term(profile: Profile, days: int, now: datetime) -> int:
    """A term the profile offers (so that a renewal asks for a valid one): the shortest covering the
    imported certificate's validity, else the longest."""
    terms = profile.effective_terms(now) or [max(1, days)]
    return next((t for t in terms if t >= days), terms[-1])


# ---------------------------------------------------------------------------
# Import


def import_certificate(actor: Actor, *, organization: Organization, certificate_text, csr_text=None,
                       external_requester=None, comments: str = "", requested_via: str = IMPORTED) -> Certificate:
    """File an existing SSL certificate (signed by another CA) in the inventory of an organization or
    department: status Issued (Expired once past its notAfter), requested via "Imported" (or
    "Discovery" when the discovery app files a certificate it found on the network)."""
    if requested_via not in DELETABLE_VIA:  # pragma: no cover - a programming error, not user input
        raise ValueError(f"requested_via must be one of {DELETABLE_VIA}")
    policy.require(actor, Perm.REQUEST_SSL, organization)
    cert = parse_certificate(certificate_text)
    comments = validators.plain_text(comments or "", field="comments", label="Comments", max_length=1024)
    external = services._clean_emails(external_requester)
    if _is_ca(cert):
        raise NotImportable("This is a CA certificate: only end-entity SSL certificates can be imported.",
                            field="cert")
    if not _serves_tls(cert):
        raise NotImportable("This certificate is not for TLS servers (no serverAuth extended key usage).",
                            field="cert")
    common_name, names = _names(cert)
    if not names or any(len(n) > 253 or not _DNS_NAME.fullmatch(n) for n in names):
        raise NotImportable("The certificate names no DNS name, or a name that is not one (common name or subject "
                            "alternative names).",
                            field="cert")
    if cert.serial_number <= 0 or cert.serial_number.bit_length() > 160:
        raise NotImportable("The certificate's serial number is not a positive number of at most 20 octets.",
                            field="cert")
    der = cert.public_bytes(serialization.Encoding.DER)
    sha1, md5 = issuance.fingerprints(der)
    algorithm, size, param, spki_sha256 = _key(cert)
    csr_pem = ""
    if csr_text not in (None, ""):
        parsed = csr_module.parse(csr_text)
        if parsed.spki_sha256 != spki_sha256:
            raise InvalidInput("The CSR is for another key than the certificate's.", field="csr")
        csr_pem = parsed.pem
    if _signed_here(cert):
        raise NotImportable("certdesk issued this certificate: it is already in the inventory.", field="cert")
    profile = choose_profile(organization.customer, cert, names)
    now = timezone.now()
    not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    status = Status.EXPIRED if not_after <= now else Status.ISSUED
    with transaction.atomic():
        if Certificate.objects.filter(customer_id=organization.customer_id, sha1_hash=sha1).exists():
            raise AlreadyInInventory("This certificate is already in the inventory.", field="cert")
        created = Certificate.objects.create(
            kind=CertType.SSL, customer_id=organization.customer_id, organization=organization, profile=profile,
            status=status, requester=actor.admin, requester_label=actor.label[:200], external_requester=external,
            requested_via=requested_via, comments=comments, csr_pem=csr_pem, common_name=common_name,
            subject_alt_names=names, names_index="," + ",".join(names) + ",",
            term=_term(profile, (not_after - not_before).days, now), key_algorithm=algorithm, key_size=size, key_param=param,
            spki_sha256=spki_sha256, ca=None, serial_hex=f"{cert.serial_number:040x}", der=der,
            not_before=not_before, not_after=not_after, sha1_hash=sha1, md5_hash=md5, issued_at=not_before,
        )
        CertificateEvent.objects.create(certificate=created, at=now, action="imported", status_to=status,
                                        actor=actor.label, admin=actor.admin,
                                        message=f"issuer {cert.issuer.rfc4514_string()}"[:1024])
        audit.record(actor, "certificate.imported", created, customer=organization.customer, status=status,
                     organization=organization.pk, names=names, serial=created.serial_hex, sha1=sha1,
                     issuer=cert.issuer.rfc4514_string()[:512])
    return created


# ---------------------------------------------------------------------------
# Manual revocation and deletion


def revoke_manually(actor: Actor, cert: Certificate, *, reason_code=0, revoked_at: datetime | None = None,
                    reason: str = "") -> Certificate:
    """SCM's `revoke/manual`: an imported certificate is marked revoked (at `revoked_at`, by default
    now; its CA is told nothing). A certificate certdesk signed is revoked for real (CRL, OCSP):
    certdesk is its CA, so a mark alone would lie; its revocation time is now."""
    cert = Certificate.objects.select_related("organization", "profile", "customer").get(pk=cert.pk)
    if cert.ca_id is not None:
        return services.revoke(actor, cert, reason_code, reason=reason or "manual revocation")
    code = _reason_code(reason_code)
    reason = validators.plain_text(reason, field="reason", label="Reason", max_length=512)
    now = timezone.now()
    when = revoked_at or now
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().select_related("customer").get(pk=cert.pk)
        policy.require(actor, Perm.REVOKE_SSL, locked)
        if when > now:
            raise InvalidInput("revokeDate cannot be in the future.", field="revokeDate")
        if locked.not_before and when < locked.not_before:
            raise InvalidInput("revokeDate cannot be before the certificate's notBefore.", field="revokeDate")
        old = states.move(locked, Status.REVOKED)
        locked.revoked_at, locked.revocation_reason, locked.revocation_comment = when, code, reason
        locked.save(update_fields=["status", "revoked_at", "revocation_reason", "revocation_comment", "modified"])
        CertificateEvent.objects.create(
            certificate=locked, at=now, action="revoked (manual)", status_from=old, status_to=Status.REVOKED,
            actor=actor.label, admin=actor.admin,
            message=f"{services.REVOCATION_REASONS[code]} at {when.isoformat()}" + (f": {reason}" if reason else ""))
        audit.record(actor, "certificate.revoked_manually", locked, customer=locked.customer,
                     status=[old, Status.REVOKED], reason_code=code, revoked_at=when, reason=reason,
                     serial=locked.serial_hex)
        signals.send_in_transaction(signals.revoked, locked, ca_id=None, serial_hex=locked.serial_hex,
                                    crl_shard=None, reason_code=code)
    return locked


def _reason_code(value) -> int:
    if value in (None, ""):
        return 0
    try:
        code = int(value)
    except (TypeError, ValueError):
        code = -1
    if isinstance(value, bool) or code not in services.REVOCATION_REASONS:
        raise InvalidInput(f"Revocation reason code {value!r} is not allowed: use "
                           + ", ".join(f"{k} ({v})" for k, v in services.REVOCATION_REASONS.items()) + ".",
                           field="reasonCode")
    return code


@transaction.atomic
def delete_from_inventory(actor: Actor, cert: Certificate) -> None:
    """Remove an imported (or discovered) certificate from the inventory; certificates certdesk
    issued stay (revoke them). Whoever may revoke it may delete it."""
    locked = Certificate.objects.select_for_update().select_related("customer").get(pk=cert.pk)
    policy.require(actor, Perm.REVOKE_SSL, locked)
    if locked.ca_id is not None or locked.requested_via not in DELETABLE_VIA:
        raise WrongState("Only imported or discovered certificates can be deleted; a certificate certdesk "
                         "issued stays in the inventory (revoke it instead).")
    audit.record(actor, "certificate.deleted", locked, customer=locked.customer, status=locked.status,
                 names=locked.names, serial=locked.serial_hex, requested_via=locked.requested_via)
    # Successors keep their own history; their link to this one is cleared (SET_NULL).
    locked.delete()


# ---------------------------------------------------------------------------
# Download


def collect(actor: Actor, cert: Certificate, fmt: str | None = None) -> formats.Download:
    """`formats.collect`, and for a certificate certdesk did not sign, the certificate alone in every
    format that does not need the chain (which certdesk does not know)."""
    if cert.ca_id is not None or not cert.der:
        return formats.collect(actor, cert, fmt)
    fmt = formats.parse_format(fmt)
    policy.require(actor, Perm.VIEW_SSL, cert)
    if cert.status in PENDING_STATUSES:
        raise NotCollectable()
    if cert.status in REVOKED_STATUSES:
        raise CertificateRevoked("The certificate has been revoked.")
    leaf = cert.certificate()
    name = re.sub(r"[^A-Za-z0-9.-]+", "_", cert.common_name.replace("*", "star")).strip("._") or f"certificate_{cert.pk}"
    if fmt in ("x509IO", "x509IOR"):
        raise WrongState("This certificate was imported: certdesk does not know its issuers' chain.", field="format")
    if fmt == "base64":
        return formats.Download(pkcs7.serialize_certificates([leaf], serialization.Encoding.PEM), f"{name}.p7b.pem",
                                format=fmt)
    if fmt == "bin":
        return formats.Download(pkcs7.serialize_certificates([leaf], serialization.Encoding.DER), f"{name}.p7b",
                                format=fmt)
    return formats.Download(leaf.public_bytes(serialization.Encoding.PEM), f"{name}.pem", format=fmt)
