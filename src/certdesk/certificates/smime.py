"""The verbs of client (S/MIME) certificates, on the one pipeline of `services`.

A client certificate is for a person (persons.Person): its subject is the organization's
identity (C, ST, L, O as for OV SSL; O = the secondary name for IGTF profiles that use it) and
the person's names; its names are the person's email and secondary emails (rfc822Name), each of
whose domains must be delegated, ACTIVE and for client certificates, to the person's
organization or department. The key comes from a CSR (same key checks as SSL) or is generated
here and kept in escrow (`escrow`), to be downloaded as PKCS #12.

Requests are stored, approved, issued (build → lint with pkilint's S/MIME linter → sign with the
Client CA), revoked and expired by `services` exactly as SSL ones, with the same events, audit
rows and signals (notifications, OCSP and CRL follow from them).

An admin's enrollment (an MRAO, or a RAO/DRAO of client certificates of the person's
organization) is approved at once, as in SCM; `auto_approve=False` leaves it REQUESTED for
another admin of client certificates to approve (`services.approve`).
"""
from __future__ import annotations

from datetime import datetime
from typing import Iterable

from cryptography import x509
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core import audit, validators
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import InvalidInput
from certdesk.core.i18n import msg
from certdesk.persons.models import Person
from certdesk.tenancy.models import CertType

from . import checks, escrow, issuance, services
from . import csr as csr_module
from .errors import CertificateError, NameNotAuthorized, WeakKey, WrongState
from .models import Certificate, EscrowedKey, Profile
from .states import SIGNED_STATUSES, Status

SMIME = CertType.SMIME
COMMON_NAME_LENGTH = 64

# SCM `requestedVia` of client certificates (spec §7.2).
REQUESTED_VIA = {
    Interface.PORTAL: "Admin Enroll",
    Interface.API: "REST Enroll API",
    Interface.WORKER: "Admin Enroll",
    Interface.CLI: "Admin Enroll",
}


class PersonOutsideOrganization(CertificateError):
    code = -1601


# ---------------------------------------------------------------------------
# Checks (also run again at issuance when stale: services._recheck)


def emails_of(person: Person) -> list[str]:
    """The person's addresses, primary first, each once."""
    out, seen = [], set()
    for address in [person.email, *(person.secondary_emails or [])]:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            out.append(address)
    return out


def check_email_domains(organization, emails: Iterable[str]) -> None:
    """Every address's domain delegated (ACTIVE, for client certificates) to this organization or
    department, the domain itself active; the refusal names the domains."""
    from certdesk.persons.services import email_domain_delegated

    refused = []
    for address in emails:
        domain = address.rpartition("@")[2].lower()
        if domain not in refused and not email_domain_delegated(organization, address):
            refused.append(domain)
    if refused:
        raise NameNotAuthorized(
            msg("The email domain(s) %(domains)s are not delegated to %(organization)s for client certificates "
                "(or the delegation or the domain is not active): delegate them, certificate type Client "
                "certificate, before requesting.", domains=", ".join(refused), organization=str(organization)),
            field="email")


def recheck(cert: Certificate, now: datetime) -> None:
    """The rules that may change between request and issuance."""
    check_organization(cert.organization, cert.profile, now)
    check_email_domains(cert.organization, cert.names)


def check_organization(organization, profile: Profile, now: datetime) -> None:
    """Validated, with the identity an S/MIME sponsor-validated subject needs, in plain ASCII."""
    checks.check_organization(organization, profile, now)
    problem = issuance.smime_subject_problem(organization)
    if problem is not None:
        raise problem


def subject_for(cert: Certificate) -> x509.Name:
    person = cert.person
    return issuance.smime_subject_name(cert.organization, cert.profile, cert.common_name,
                                       given_name=person.first_name if person else "",
                                       surname=person.last_name if person else "")


def _common_name(person: Person, value: str | None) -> str:
    text = validators.plain_text(value if value not in (None, "") else person.common_name, field="commonName",
                                 label="Common name", max_length=COMMON_NAME_LENGTH)
    if not text:
        text = f"{person.first_name} {person.last_name}"[:COMMON_NAME_LENGTH]
    if checks.looks_like_mojibake(text):
        raise InvalidInput(msg("The common name '%(name)s' looks like mojibake (UTF-8 text read with the wrong "
                               "encoding).", name=text), field="commonName")
    return text


# ---------------------------------------------------------------------------
# Request


def request_smime(
    actor: Actor,
    person: Person,
    profile: Profile,
    term,
    *,
    csr_pem: str | None = None,
    key_algorithm: str | None = None,
    key_size=None,
    common_name: str | None = None,
    comments: str = "",
    requested_via: str | None = None,
    auto_approve: bool | None = None,
    renewal_of: Certificate | None = None,
    replaces: Certificate | None = None,
) -> Certificate:
    """Request a client certificate for `person`; with no CSR, generate the key (`key_algorithm` RSA
    with `key_size` 2048/3072/4096, or EC with P-256/P-384) and keep it in escrow. Every rule is
    checked before anything is stored; nothing is issued on a refusal."""
    policy.require(actor, Perm.VIEW_PERSON, person)
    organization = person.organization
    policy.require(actor, Perm.REQUEST_SMIME, organization)
    now = timezone.now()
    comments = validators.plain_text(comments, field="comments", label="Comments", max_length=1024)
    cn = _common_name(person, common_name)
    checks.check_profile(profile, organization, kind=SMIME)
    term = checks.check_term(profile, term, now)
    key = None
    if csr_pem not in (None, ""):
        parsed = csr_module.parse(csr_pem)
    else:
        algorithm = (key_algorithm or "RSA").strip().upper() if isinstance(key_algorithm, str) else "RSA"
        if algorithm in ("ECC", "ECDSA"):
            algorithm = "EC"
        default = "P-256" if algorithm == "EC" else "2048"
        wanted = str(key_size).strip() if key_size not in (None, "") else default
        if algorithm == "EC" and wanted.upper() in ("256", "P256"):
            wanted = "P-256"
        if algorithm == "EC" and wanted.upper() in ("384", "P384"):
            wanted = "P-384"
        allowed = {str(k).upper(): [str(v) for v in vs] for k, vs in (profile.key_types or {}).items()}
        if algorithm in allowed and wanted.upper() not in [v.upper() for v in allowed[algorithm]]:
            from .errors import KeySizeRefused

            raise KeySizeRefused(msg("%(algorithm)s %(size)s keys are not offered for %(profile)s (offered: "
                                     "%(offered)s).", algorithm=algorithm, size=wanted, profile=profile,
                                     offered=", ".join(allowed[algorithm])), field="keySize")
        key = escrow.generate_key(algorithm, wanted)
        parsed = csr_module.parse(escrow.csr_for(key))
    csr_module.check_key(parsed, profile.key_types)
    if Certificate.objects.filter(spki_sha256=parsed.spki_sha256, revocation_reason=services.KEY_COMPROMISE).exists():
        raise WeakKey("The CSR key is refused: a certificate for this key was revoked for key compromise. "
                      "Generate a new key pair.", field="csr")
    check_organization(organization, profile, now)
    emails = emails_of(person)
    check_email_domains(organization, emails)
    auto = True if auto_approve is None else bool(auto_approve)
    if actor.admin is None and auto_approve is None:
        auto = False  # not an admin (self-enrollment to come): another admin approves
    via = requested_via or REQUESTED_VIA.get(actor.interface, "Admin Enroll")

    def keep_key(cert: Certificate) -> None:
        if key is not None:
            escrow.seal(cert, key)

    return services.create_request(
        actor, kind=SMIME, organization=organization, profile=profile, parsed=parsed, common_name=cn,
        names=emails, term=term, auto=auto, now=now, comments=comments, requested_via=via, renewal_of=renewal_of,
        replaces=replaces, person=person, link=keep_key,
        note="" if key is None else f"key generated by certdesk ({parsed.key_algorithm} {parsed.key_param}), "
                                    "held in escrow",
    )


# ---------------------------------------------------------------------------
# After issuance


def _fresh(cert: Certificate) -> Certificate:
    return Certificate.objects.select_related("organization", "organization__parent", "profile", "customer",
                                              "person", "person__organization").get(pk=cert.pk)


def is_escrowed(cert: Certificate) -> bool:
    return EscrowedKey.objects.filter(certificate_id=cert.pk).exists()


def renew_smime(actor: Actor, cert: Certificate, *, csr_pem: str | None = None,
                requested_via: str | None = None) -> Certificate:
    """A new request for the same person, profile and term. A server-generated key is replaced by a
    new one (escrowed too); a CSR-based certificate keeps its key unless a new CSR is given."""
    cert = _fresh(cert)
    policy.require(actor, Perm.RENEW_SSL, cert)
    if cert.kind != SMIME or cert.person is None:
        raise WrongState("Only client certificates of a person can be renewed here.")
    if cert.status not in services.RENEWABLE:
        raise WrongState(msg("Only issued or expired certificates can be renewed; this one is %(status)s.",
                             status=Status(cert.status).label))
    escrowed = is_escrowed(cert)
    return request_smime(actor, cert.person, cert.profile, cert.term,
                         csr_pem=csr_pem or (None if escrowed else cert.csr_pem),
                         key_algorithm=cert.key_algorithm, key_size=cert.key_param,
                         common_name=cert.common_name, comments=cert.comments,
                         requested_via=requested_via or cert.requested_via, renewal_of=cert)


def replace_smime(actor: Actor, cert: Certificate, *, csr_pem: str | None = None, reason: str = "",
                  requested_via: str | None = None) -> Certificate:
    """A successor with a new key (the CSR given, else a new escrowed key); once it is issued the old
    one is REPLACED and revoked as superseded (services._supersede)."""
    cert = _fresh(cert)
    policy.require(actor, Perm.RENEW_SSL, cert)
    policy.require(actor, Perm.REVOKE_SSL, cert)
    if cert.kind != SMIME or cert.person is None:
        raise WrongState("Only client certificates of a person can be replaced here.")
    if cert.status != Status.ISSUED:
        raise WrongState(msg("Only issued certificates can be replaced; this one is %(status)s.",
                             status=Status(cert.status).label))
    reason = validators.plain_text(reason, field="reason", label="Reason", max_length=512)
    comments = cert.comments
    if reason:
        comments = ((f"{comments}\n" if comments else "") + f"Replacement: {reason}")[:1024]
    return request_smime(actor, cert.person, cert.profile, cert.term, csr_pem=csr_pem or None,
                         key_algorithm=cert.key_algorithm, key_size=cert.key_param, common_name=cert.common_name,
                         comments=comments, requested_via=requested_via, replaces=cert)


def certificates_of(actor: Actor, person: Person):
    """The client certificates of a person, in the actor's scope, newest first."""
    from . import queries

    return queries.visible_certificates(actor, kind=SMIME).filter(person=person)


def revoke_person(actor: Actor, person: Person, reason_code=0, *, reason: str = "") -> list[Certificate]:
    """Revoke every issued client certificate of the person (SCM `POST /api/smime/v1/revoke` by email),
    all or none: one refusal rolls every revocation back."""
    policy.require(actor, Perm.VIEW_PERSON, person)
    with transaction.atomic():
        issued = list(certificates_of(actor, person).filter(status=Status.ISSUED).order_by("id"))
        return [services.revoke(actor, cert, reason_code, reason=reason) for cert in issued]


def keystore(actor: Actor, cert: Certificate, *, passphrase, encryption_type=None) -> bytes:
    """The PKCS #12 of an escrowed key with its certificate and chain, encrypted with `passphrase`;
    audited as a key recovery."""
    encryption = escrow.encryption_type(encryption_type)
    passphrase = escrow.check_passphrase(passphrase)
    policy.require(actor, Perm.RECOVER_KEY, cert)
    if cert.status not in SIGNED_STATUSES or cert.ca_id is None:
        from .errors import NotCollectable

        if cert.status in (Status.REQUESTED, Status.APPLIED):
            raise NotCollectable()
        raise WrongState(msg("The request was %(status)s: there is no certificate to download.",
                             status=Status(cert.status).label.lower()))
    key = escrow.unseal(cert)
    from certdesk.ca.queries import chain as ca_chain

    chain = [ca.certificate() for ca in ca_chain(cert.ca)]
    data = escrow.pkcs12_bytes(key=key, certificate=cert.certificate(), chain=chain, passphrase=passphrase,
                               encryption=encryption, friendly_name=cert.common_name)
    with transaction.atomic():
        EscrowedKey.objects.filter(certificate_id=cert.pk).update(
            recovered_count=F("recovered_count") + 1)
        services._event(cert, actor, "key downloaded", message=f"PKCS #12 ({encryption})")
        audit.record(actor, "certificate.key_recovered", cert, customer=cert.customer, encryption=encryption,
                     serial=cert.serial_hex)
    return data


# ---------------------------------------------------------------------------
# Key import (SCM `POST /api/person/v2/{id}/import-key`)


def import_key(actor: Actor, person: Person, *, p12: bytes, password: str | None) -> list[dict]:
    """Put into escrow the private key(s) a PKCS #12 file holds for client certificates of `person`
    that certdesk issued (matched by the certificate's SHA-1). One entry per certificate in the file:
    `cert` (the matched certificate or None), `alias`, `md5`, `sha1`, `message`. Nothing is stored
    when the file cannot be opened; a certificate already holding a key keeps it."""
    import hashlib

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    policy.require(actor, Perm.MANAGE_PERSON, person)
    try:
        loaded = pkcs12.load_pkcs12(p12, password.encode("utf-8") if password else None)
    except (ValueError, TypeError):
        raise InvalidInput("The PKCS #12 file cannot be opened: wrong password, or not a PKCS #12 file.",
                           field="p12") from None
    key = loaded.key
    entries = []
    candidates = [loaded.cert] if loaded.cert is not None else []
    if not candidates:
        raise InvalidInput("The PKCS #12 file holds no certificate with its key.", field="p12")
    with transaction.atomic():
        for item in candidates:
            der = item.certificate.public_bytes(serialization.Encoding.DER)
            sha1 = hashlib.sha1(der).hexdigest()
            md5 = hashlib.md5(der, usedforsecurity=False).hexdigest()
            alias = (item.friendly_name or b"").decode("utf-8", "replace")
            entry = {"cert": None, "alias": alias, "md5": md5.upper(), "sha1": sha1.upper(), "message": ""}
            cert = certificates_of(actor, person).filter(sha1_hash=sha1).first()
            if cert is None:
                entry["message"] = "No client certificate of this person matches this certificate."
            elif key is None or key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) != \
                    item.certificate.public_key().public_bytes(serialization.Encoding.DER,
                                                               serialization.PublicFormat.SubjectPublicKeyInfo):
                entry.update(cert=cert, message="The file's private key does not belong to this certificate.")
            elif is_escrowed(cert):
                entry.update(cert=cert, message="The key of this certificate is already held in escrow.")
            else:
                escrow.seal(cert, key)
                services._event(cert, actor, "key imported", message="private key put into escrow (PKCS #12)")
                audit.record(actor, "certificate.key_imported", cert, customer=cert.customer,
                             serial=cert.serial_hex, person=person.pk)
                entry.update(cert=cert, message="Imported.")
            entries.append(entry)
    return entries
