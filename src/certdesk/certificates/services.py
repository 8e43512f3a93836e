"""The verbs of certificates: the one request pipeline and everything after it.

Portal, REST enroll, self-enrollment and ACME finalize all call `request_ssl`; approval,
issuance, renewal, replacement, revocation and expiry live here too. Each verb checks,
changes, records a CertificateEvent, audits in the same transaction and sends its signal
on commit. Checks that reach the network (CAA) run before any transaction opens.
The worker's sweeps (expiry, notices, auto-renewal) are in `sweeps`.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.accounts.roles import Privilege
from certdesk.core import audit, validators
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import DomainError, InvalidInput, PermissionDenied
from certdesk.core.i18n import msg
from certdesk.tenancy.models import CertType, Organization

from . import checks, issuance, signals, states
from . import csr as csr_module
from .errors import InvalidReason, SecondApprovalRequired, WeakKey, WrongState
from .models import Certificate, CertificateEvent, Profile
from .states import Status

logger = logging.getLogger(__name__)

# SCM `requestedVia` by interface (spec §7.1).
REQUESTED_VIA = {
    Interface.PORTAL: "Client Admin",
    Interface.API: "Web API",
    Interface.ACME: "ACME",
    Interface.WORKER: "Client Admin",
    Interface.CLI: "Client Admin",
}
ENROLLMENT_FORM = "Enrollment Form"

# RFC 5280 §5.3.1 CRLReason codes admins may give (spec §8).
REVOCATION_REASONS = {
    0: "unspecified", 1: "keyCompromise", 3: "affiliationChanged", 4: "superseded", 5: "cessationOfOperation",
}
SUPERSEDED = 4
KEY_COMPROMISE = 1

AUDITED = ("status", "organization_id", "profile_id", "common_name", "subject_alt_names", "term", "auto_renew",
           "days_before", "external_requester", "comments")


# ---------------------------------------------------------------------------
# Helpers


def _now() -> datetime:
    return timezone.now()


def _event(cert: Certificate, actor: Actor, action: str, *, old: str = "", new: str = "", message: str = "",
           at: datetime | None = None) -> None:
    CertificateEvent.objects.create(
        certificate=cert, at=at or _now(), action=action, status_from=old, status_to=new,
        actor=actor.label if actor else "system", admin=actor.admin if actor else None, message=message[:1024],
    )


def _lock(cert_or_id) -> Certificate:
    pk = cert_or_id.pk if isinstance(cert_or_id, Certificate) else cert_or_id
    return (Certificate.objects.select_for_update(of=("self",))
            .select_related("organization", "organization__parent", "profile", "customer").get(pk=pk))


def _fresh(cert: Certificate) -> Certificate:
    """The certificate as stored now (a caller's instance may predate a revocation)."""
    return Certificate.objects.select_related("organization", "organization__parent", "profile", "customer").get(
        pk=cert.pk)


def system_actor(customer, label: str = "certdesk worker") -> Actor:
    return Actor.system(customer, interface=Interface.WORKER, label=label)


def _clean_emails(value) -> str:
    if value in (None, ""):
        return ""
    items = value if isinstance(value, (list, tuple)) else str(value).replace(";", ",").split(",")
    emails = [validators.email(str(e).strip(), field="externalRequester", label="External requester")
              for e in items if str(e).strip()]
    text = ",".join(emails)
    if len(text) > 1024:
        raise InvalidInput("Too many external requesters.", field="externalRequester")
    return text


def _clean_days_before(value) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise InvalidInput("Days before expiration must be a number.", field="daysBeforeExpiration") from None
    if not 1 <= days <= 365:
        raise InvalidInput("Days before expiration must be between 1 and 365.", field="daysBeforeExpiration")
    return days


def _auto_approves(actor: Actor, profile: Profile, wanted: bool | None) -> bool:
    """"SSL auto approve" (autoApproveCertificates), or an adapter's own setting for system actors
    (self-enrollment account "automatically approve", ACME); never for EV nor EV anchors."""
    has = actor.admin is not None and actor.admin.has_privilege(Privilege.AUTO_APPROVE_CERTIFICATES)
    if wanted is None:
        wanted = has
    elif wanted and actor.admin is not None and not has:
        raise PermissionDenied("You do not have the SSL auto approve privilege (autoApproveCertificates).")
    return bool(wanted) and not profile.needs_second_approval


@dataclass
class _Checked:
    """What passed the checks: ready to be stored."""

    parsed: csr_module.ParsedCsr
    plan: checks.NamePlan
    term: int
    note: str


def _run_checks(*, organization: Organization, profile: Profile, csr_pem, term, common_name, sans, now: datetime,
                caa_account_uri: str | None, caa_validation_method: str | None) -> _Checked:
    """Every rule of a request, in the order users fix them; raises the first refusal."""
    checks.check_profile(profile, organization)
    term = checks.check_term(profile, term, now)
    parsed = csr_module.parse(csr_pem)
    csr_module.check_key(parsed, profile.key_types)
    if Certificate.objects.filter(spki_sha256=parsed.spki_sha256, revocation_reason=KEY_COMPROMISE).exists():
        # BR §6.1.1.3 (4): a key we revoked for key compromise is never certified again.
        raise WeakKey("The CSR key is refused: a certificate for this key was revoked for key compromise. "
                      "Generate a new key pair.", field="csr")
    checks.check_organization(organization, profile, now)
    sans = checks.split_names(sans)
    if not sans and not common_name and not parsed.common_name:
        sans = list(parsed.dns_names)  # ACME-style CSRs carry their names in the SAN extension only
    cn = (common_name or parsed.common_name or (sans[0] if sans else "")).strip()
    plan = checks.plan_names(profile, common_name=cn, sans=sans)
    checks.check_names_for_issuance(organization, profile, plan.names, now, account_uri=caa_account_uri,
                                    validation_method=caa_validation_method)
    note = ""
    if plan.automatic:
        why = checks.automatic_name_usable(organization, plan.automatic, now, account_uri=caa_account_uri,
                                           validation_method=caa_validation_method, ev=profile.is_ev)
        if why:
            note = f"The automatic name {plan.automatic} was left out: {why}"
        else:
            plan.names.append(plan.automatic)
    return _Checked(parsed=parsed, plan=plan, term=term, note=note)


# ---------------------------------------------------------------------------
# Request


def request_ssl(
    actor: Actor,
    *,
    organization: Organization,
    profile: Profile,
    csr_pem: str,
    term: int,
    subject_alt_names=(),
    common_name: str | None = None,
    external_requester=None,
    comments: str = "",
    auto_renew: bool = False,
    days_before: int = 30,
    requested_via: str | None = None,
    auto_approve: bool | None = None,
    caa_account_uri: str | None = None,
    caa_validation_method: str | None = None,
    link: Callable[[Certificate], None] | None = None,
) -> Certificate:
    """Request an SSL certificate; every rule is checked before anything is stored or issued.

    `link(cert)` runs in the transaction that stores the request (ACME ties its order to the
    certificate there: a process that dies before signing leaves an APPLIED certificate that the
    worker's resume job issues, never an order that a retry would issue twice).

    The common name comes from `common_name`, else the CSR's CN, else the first SAN; a CSR
    with only a SAN extension (ACME) gives its names when none are passed. The result is
    REQUESTED (awaiting approval), or — with auto-approval, never for EV — issued at once
    (ISSUED, or INVALID when lint-before-signing refuses it).
    """
    return _request(actor, organization=organization, profile=profile, csr_pem=csr_pem, term=term,
                    subject_alt_names=subject_alt_names, common_name=common_name,
                    external_requester=external_requester, comments=comments, auto_renew=auto_renew,
                    days_before=days_before, requested_via=requested_via, auto_approve=auto_approve,
                    caa_account_uri=caa_account_uri, caa_validation_method=caa_validation_method, link=link)


def _request(actor: Actor, *, organization: Organization, profile: Profile, csr_pem, term, subject_alt_names,
             common_name, external_requester, comments, auto_renew, days_before, requested_via, auto_approve,
             caa_account_uri=None, caa_validation_method=None, renewal_of: Certificate | None = None,
             replaces: Certificate | None = None, link: Callable[[Certificate], None] | None = None) -> Certificate:
    policy.require(actor, Perm.REQUEST_SSL, organization)
    now = _now()
    external = _clean_emails(external_requester)
    comments = validators.plain_text(comments, field="comments", label="Comments", max_length=1024)
    days_before = _clean_days_before(days_before)
    if not isinstance(auto_renew, bool):
        raise InvalidInput("Auto renew must be true or false.", field="autoRenew")
    checked = _run_checks(organization=organization, profile=profile, csr_pem=csr_pem, term=term,
                          common_name=common_name, sans=subject_alt_names, now=now,
                          caa_account_uri=caa_account_uri, caa_validation_method=caa_validation_method)
    auto = _auto_approves(actor, profile, auto_approve)
    parsed, plan = checked.parsed, checked.plan
    return create_request(actor, kind=CertType.SSL, organization=organization, profile=profile, parsed=parsed,
                          common_name=plan.common_name, names=plan.names, term=checked.term, auto=auto, now=now,
                          external=external, comments=comments, auto_renew=auto_renew, days_before=days_before,
                          requested_via=requested_via, renewal_of=renewal_of, replaces=replaces, note=checked.note,
                          link=link)


def create_request(actor: Actor, *, kind: str, organization: Organization, profile: Profile,
                   parsed: csr_module.ParsedCsr, common_name: str, names: list[str], term: int, auto: bool,
                   now: datetime, external: str = "", comments: str = "", auto_renew: bool = False,
                   days_before: int = 30, requested_via: str | None = None, renewal_of: Certificate | None = None,
                   replaces: Certificate | None = None, note: str = "", person=None,
                   link: Callable[[Certificate], None] | None = None) -> Certificate:
    """Store a request that passed its kind's checks (SSL: `_request`; client certificates:
    `smime.request_smime`), with its events, audit row and signal, then issue it at once when
    auto-approved. `link(cert)` runs in the same transaction (ACME's order; the client-certificate
    key escrow)."""
    via = requested_via or REQUESTED_VIA.get(actor.interface, "Client Admin")
    with transaction.atomic():
        cert = Certificate.objects.create(
            kind=kind, customer_id=organization.customer_id, organization=organization, profile=profile,
            status=Status.APPLIED if auto else Status.REQUESTED, requester=actor.admin,
            requester_label=actor.label[:200], external_requester=external, requested_via=via[:32],
            comments=comments, csr_pem=parsed.pem, common_name=common_name, subject_alt_names=names,
            names_index=checks.NamePlan(common_name, names).index, term=term,
            key_algorithm=parsed.key_algorithm, key_size=parsed.key_size, key_param=parsed.key_param,
            spki_sha256=parsed.spki_sha256, auto_renew=auto_renew, days_before=days_before, checked_at=now,
            renewal_of=renewal_of, replaces=replaces, approver=actor.admin if auto else None,
            approved_at=now if auto else None, person=person,
        )
        action = "renewal requested" if renewal_of else "replacement requested" if replaces else "requested"
        events = [CertificateEvent(certificate=cert, at=now, action=action, status_to=Status.REQUESTED,
                                   actor=actor.label, admin=actor.admin, message=note[:1024])]
        if auto:
            events.append(CertificateEvent(certificate=cert, at=now, action="auto-approved",
                                           status_from=Status.REQUESTED, status_to=Status.APPLIED,
                                           actor=actor.label, admin=actor.admin))
        CertificateEvent.objects.bulk_create(events)
        audit.record(actor, f"certificate.{action.replace(' ', '_')}", cert, customer=organization.customer,
                     status=cert.status, organization=organization.pk, profile=profile.name,
                     names=names, term=term, requested_via=via, key=f"{parsed.key_algorithm} "
                     f"{parsed.key_param}", renewal_of=getattr(renewal_of, "pk", None),
                     replaces=getattr(replaces, "pk", None), auto_approved=auto,
                     **({"kind": kind, "person": person.pk} if person is not None else {}))
        if link is not None:
            link(cert)
        if auto:
            signals.send_in_transaction(signals.approved, cert, approver_id=getattr(actor.admin, "pk", None))
        else:
            signals.send_in_transaction(signals.awaiting_approval, cert)
    if auto:
        return _issue(cert, actor)
    return cert


# ---------------------------------------------------------------------------
# Approval


def approve(actor: Actor, cert: Certificate, *, message: str = "") -> Certificate:
    """Approve a REQUESTED certificate, then issue it. Two admins approving at the same moment
    produce one certificate: the row is locked and the status checked under the lock."""
    message = validators.plain_text(message, field="message", label="Message", max_length=512)
    with transaction.atomic():
        locked = _lock(cert)
        policy.require(actor, Perm.APPROVE_SSL, locked)
        states.check(locked.status, Status.APPLIED)
        if locked.profile.needs_second_approval:
            if actor.admin is None:
                raise SecondApprovalRequired("EV certificates and EV anchors are approved by an admin.")
            if locked.requester_id == actor.admin.pk:
                raise SecondApprovalRequired("EV certificates and EV anchors need a second admin: you requested "
                                             "this one, so another admin must approve it.")
        now = _now()
        old = states.move(locked, Status.APPLIED)
        locked.approver, locked.approved_at = actor.admin, now
        locked.save(update_fields=["status", "approver", "approved_at", "modified"])
        _event(locked, actor, "approved", old=old, new=Status.APPLIED, message=message, at=now)
        audit.record(actor, "certificate.approved", locked, customer=locked.customer, status=[old, Status.APPLIED],
                     message=message)
        signals.send_in_transaction(signals.approved, locked, approver_id=getattr(actor.admin, "pk", None))
    return _issue(locked, actor)


def decline(actor: Actor, cert: Certificate, reason: str) -> Certificate:
    reason = validators.plain_text(reason, field="message", label="Reason", required=True, max_length=512)
    with transaction.atomic():
        locked = _lock(cert)
        policy.require(actor, Perm.DECLINE_SSL, locked)
        states.check(locked.status, Status.DECLINED)
        now = _now()
        old = states.move(locked, Status.DECLINED)
        locked.reason, locked.declined_at = reason, now
        locked.save(update_fields=["status", "reason", "declined_at", "modified"])
        _event(locked, actor, "declined", old=old, new=Status.DECLINED, message=reason, at=now)
        audit.record(actor, "certificate.declined", locked, customer=locked.customer,
                     status=[old, Status.DECLINED], reason=reason)
        signals.send_in_transaction(signals.declined, locked, reason=reason)
    return locked


# ---------------------------------------------------------------------------
# Issuance


def _fail(actor: Actor, cert: Certificate, reason: str) -> Certificate:
    old = states.move(cert, Status.INVALID)
    cert.reason = reason[:1024]
    cert.save(update_fields=["status", "reason", "modified"])
    _event(cert, actor, "issuance failed", old=old, new=Status.INVALID, message=reason)
    audit.record(actor, "certificate.issuance_failed", cert, customer=cert.customer, status=[old, Status.INVALID],
                 reason=reason[:1024])
    signals.send_in_transaction(signals.issuance_failed, cert, reason=cert.reason)
    return cert


def _recheck(cert: Certificate, now: datetime) -> str:
    """Run the request's checks again when they are stale; '' when they pass, else why not."""
    if cert.checked_at and (now - cert.checked_at).total_seconds() <= settings.ISSUE_RECHECK_SECONDS:
        return ""
    try:
        if cert.kind == CertType.SMIME:
            from . import smime  # client certificates: email domains, not DNS names

            smime.recheck(cert, now)
        else:
            checks.check_organization(cert.organization, cert.profile, now)
            checks.check_names_for_issuance(cert.organization, cert.profile, cert.names, now)
    except DomainError as exc:
        return exc.message
    return ""


def issue(cert_id: int, *, actor: Actor | None = None) -> Certificate:
    """Issue an APPLIED certificate: build it, lint it, sign it (or mark it INVALID with the reason).

    Idempotent and safe to call concurrently: anything but APPLIED is returned unchanged. The
    worker may call it with just the id. A CA signer failure (unreadable key) propagates and
    leaves the request APPLIED, to be issued again once the operator fixes it.
    """
    cert = Certificate.objects.select_related("organization", "organization__parent", "profile", "customer").get(
        pk=cert_id)
    return _issue(cert, actor or system_actor(cert.customer, "certdesk issuer"))


@dataclass
class _Prepared:
    """A certificate built and linted for a request, waiting for the CA signature."""

    inputs: tuple
    ca: object
    serial: int
    not_before: datetime
    not_after: datetime
    builder: object
    linted: issuance.Linted | None
    failure: issuance.LintFailed | None

    def matches(self, cert: Certificate) -> bool:
        return self.inputs == _issuance_inputs(cert)


def _issuance_inputs(cert: Certificate) -> tuple:
    return (cert.pk, cert.csr_pem, tuple(cert.names), cert.profile_id, cert.organization_id, cert.term,
            cert.common_name)


def _prepare(cert: Certificate, now: datetime) -> _Prepared:
    """Build the certificate (CA, serial, validity, extensions) and lint it with the throwaway key."""
    profile = cert.profile
    ca = issuance.issuing_ca(profile)
    parsed = csr_module.parse(cert.csr_pem)
    not_before, not_after = issuance.validity(profile, cert.term, now, ca)
    serial = issuance.new_serial()
    subject = None
    if cert.kind == CertType.SMIME:
        from . import smime

        subject = smime.subject_for(cert)
    builder = issuance.builder_for(ca=ca, profile=profile, organization=cert.organization, names=cert.names,
                                   public_key=parsed.public_key, not_before=not_before, not_after=not_after,
                                   serial=serial, subject=subject)
    linted = failure = None
    if settings.LINT_BEFORE_SIGNING:
        try:
            linted = issuance.lint_builder(ca=ca, profile=profile, builder=builder)
        except issuance.LintFailed as exc:
            failure = exc
    return _Prepared(inputs=_issuance_inputs(cert), ca=ca, serial=serial, not_before=not_before,
                     not_after=not_after, builder=builder, linted=linted, failure=failure)


def _issue(cert: Certificate, actor: Actor) -> Certificate:
    cert_id = cert.pk
    if cert.status != Status.APPLIED:
        return cert
    problem = _recheck(cert, _now())  # DNS (CAA) outside the transaction
    # Build and lint before locking (no CA key involved); only the CA signature runs under the lock.
    prepared = _prepare(cert, _now()) if not problem and not cert.profile.validation_only else None
    with transaction.atomic():
        locked = _lock(cert_id)
        if locked.status != Status.APPLIED:
            return locked
        if problem:
            return _fail(actor, locked, problem)
        now = _now()
        profile = locked.profile
        if profile.validation_only:
            # EV anchor: a validation record, nothing to sign.
            locked.not_before = now.replace(microsecond=0)
            locked.not_after = locked.not_before + timedelta(days=min(locked.term, profile.max_days(now)))
        else:
            if prepared is None or not prepared.matches(locked):  # changed meanwhile: build it again
                prepared = _prepare(locked, now)
            if prepared.failure is not None:
                return _fail(actor, locked, prepared.failure.message)
            ca, serial, not_before, not_after = prepared.ca, prepared.serial, prepared.not_before, prepared.not_after
            signed = issuance.sign(ca=ca, profile=profile, builder=prepared.builder, serial=serial,
                                   lint_first=settings.LINT_BEFORE_SIGNING, linted=prepared.linted)
            locked.ca = ca
            locked.serial_hex = f"{serial:040x}"
            locked.der = signed.der
            locked.not_before, locked.not_after = not_before, not_after
            locked.sha1_hash, locked.md5_hash = issuance.fingerprints(signed.der)
            locked.crl_shard = serial % max(1, settings.CRL_SHARDS)
        old = states.move(locked, Status.ISSUED)
        locked.issued_at = now
        locked.auto_renew_at = locked.renewal_moment()
        locked.save()
        _event(locked, actor, "issued", old=old, new=Status.ISSUED, at=now,
               message=f"serial {locked.serial_hex}" if locked.serial_hex else "validation only")
        audit.record(actor, "certificate.issued", locked, customer=locked.customer, status=[old, Status.ISSUED],
                     ca=locked.ca.slug if locked.ca_id else None, serial=locked.serial_hex,
                     not_before=locked.not_before, not_after=locked.not_after,
                     linted=bool(settings.LINT_BEFORE_SIGNING and not profile.validation_only))
        signals.send_in_transaction(signals.issued, locked, ca_id=locked.ca_id, serial_hex=locked.serial_hex)
        if locked.replaces_id:
            _supersede(actor, locked.replaces_id, locked, now)
    return locked


def _supersede(actor: Actor, old_id: int, new: Certificate, now: datetime) -> None:
    """The replaced certificate, once its successor is issued: REPLACED and revoked as superseded."""
    old_cert = _lock(old_id)
    if old_cert.status != Status.ISSUED:
        return
    before = states.move(old_cert, Status.REPLACED)
    old_cert.replaced_by = new
    old_cert.revoked_at, old_cert.revocation_reason = now, SUPERSEDED
    old_cert.revocation_comment = f"replaced by certificate {new.pk}"
    old_cert.save(update_fields=["status", "replaced_by", "revoked_at", "revocation_reason", "revocation_comment",
                                 "modified"])
    _event(old_cert, actor, "replaced", old=before, new=Status.REPLACED, at=now,
           message=f"replaced by certificate {new.pk}; revoked (superseded)")
    audit.record(actor, "certificate.replaced", old_cert, customer=old_cert.customer,
                 status=[before, Status.REPLACED], replaced_by=new.pk, reason_code=SUPERSEDED)
    signals.send_in_transaction(signals.replaced, old_cert, ca_id=old_cert.ca_id, serial_hex=old_cert.serial_hex,
                           crl_shard=old_cert.crl_shard, replaced_by_id=new.pk)


# ---------------------------------------------------------------------------
# Life after issuance


def revoke(actor: Actor, cert: Certificate, reason_code: int | None = 0, *, reason: str = "") -> Certificate:
    """Revoke an issued certificate with an RFC 5280 reason (0, 1, 3, 4, 5; spec §8)."""
    if reason_code in (None, ""):
        reason_code = 0
    try:
        code = int(reason_code)
    except (TypeError, ValueError):
        code = -1
    if code not in REVOCATION_REASONS or isinstance(reason_code, bool):
        raise InvalidReason(f"Revocation reason code {reason_code!r} is not allowed: use "
                            + ", ".join(f"{k} ({v})" for k, v in REVOCATION_REASONS.items()) + ".",
                            field="reasonCode")
    reason = validators.plain_text(reason, field="reason", label="Reason", max_length=512)
    with transaction.atomic():
        locked = _lock(cert)
        policy.require(actor, Perm.REVOKE_SSL, locked)
        states.check(locked.status, Status.REVOKED)
        now = _now()
        old = states.move(locked, Status.REVOKED)
        locked.revoked_at, locked.revocation_reason, locked.revocation_comment = now, code, reason
        locked.save(update_fields=["status", "revoked_at", "revocation_reason", "revocation_comment", "modified"])
        _event(locked, actor, "revoked", old=old, new=Status.REVOKED, at=now,
               message=f"{REVOCATION_REASONS[code]}" + (f": {reason}" if reason else ""))
        audit.record(actor, "certificate.revoked", locked, customer=locked.customer, status=[old, Status.REVOKED],
                     reason_code=code, reason=reason, serial=locked.serial_hex)
        signals.send_in_transaction(signals.revoked, locked, ca_id=locked.ca_id, serial_hex=locked.serial_hex,
                               crl_shard=locked.crl_shard, reason_code=code)
    return locked


RENEWABLE = (Status.ISSUED, Status.EXPIRED)


def renew(actor: Actor, cert: Certificate, *, csr_pem: str | None = None, requested_via: str | None = None,
          auto_approve: bool | None = None) -> Certificate:
    """A new request with the same organization, profile, term, names and options, with the same
    CSR (same key) or a new one; it goes through every check again. The old one stays ISSUED."""
    cert = _fresh(cert)
    policy.require(actor, Perm.RENEW_SSL, cert)
    if cert.status not in RENEWABLE:
        raise WrongState(msg("Only issued or expired certificates can be renewed; this one is "
                             "%(status)s.", status=Status(cert.status).label))
    return _request(actor, organization=cert.organization, profile=cert.profile, csr_pem=csr_pem or cert.csr_pem,
                    term=cert.term, subject_alt_names=cert.names[1:], common_name=cert.common_name,
                    external_requester=cert.external_requester, comments=cert.comments, auto_renew=cert.auto_renew,
                    days_before=cert.days_before, requested_via=requested_via or cert.requested_via,
                    auto_approve=auto_approve, renewal_of=cert)


def replace(actor: Actor, cert: Certificate, *, csr_pem: str, common_name: str | None = None,
            subject_alt_names=None, reason: str = "", requested_via: str | None = None,
            auto_approve: bool | None = None) -> Certificate:
    """Request a successor (new CSR, optionally new names); once it is issued, the old certificate
    becomes REPLACED and is revoked as superseded. Until then the old one stays ISSUED."""
    cert = _fresh(cert)
    policy.require(actor, Perm.RENEW_SSL, cert)
    policy.require(actor, Perm.REVOKE_SSL, cert)
    if cert.status != Status.ISSUED:
        raise WrongState(msg("Only issued certificates can be replaced; this one is %(status)s.",
                             status=Status(cert.status).label))
    reason = validators.plain_text(reason, field="reason", label="Reason", max_length=512)
    sans = cert.names[1:] if subject_alt_names is None else subject_alt_names
    comments = cert.comments
    if reason:
        comments = (f"{comments}\n" if comments else "") + f"Replacement: {reason}"
    return _request(actor, organization=cert.organization, profile=cert.profile, csr_pem=csr_pem, term=cert.term,
                    subject_alt_names=sans, common_name=common_name or cert.common_name,
                    external_requester=cert.external_requester, comments=comments[:1024],
                    auto_renew=cert.auto_renew, days_before=cert.days_before,
                    requested_via=requested_via, auto_approve=auto_approve, replaces=cert)


def update_certificate(actor: Actor, cert: Certificate, *, comments: str | None = None,
                       external_requester=None, auto_renew: bool | None = None,
                       days_before: int | None = None) -> Certificate:
    """Change the details SCM lets admins change (PUT /api/ssl/v1): comments, external requester,
    auto-renewal. Needs "Allow SSL details changing" (sslManage) below MRAO."""
    with transaction.atomic():
        locked = _lock(cert)
        policy.require(actor, Perm.EDIT_SSL, locked)
        before = audit.snapshot(locked, AUDITED)
        if comments is not None:
            locked.comments = validators.plain_text(comments, field="comments", label="Comments", max_length=1024)
        if external_requester is not None:
            locked.external_requester = _clean_emails(external_requester)
        if auto_renew is not None:
            if not isinstance(auto_renew, bool):
                raise InvalidInput("Auto renew must be true or false.", field="autoRenew")
            locked.auto_renew = auto_renew
        if days_before is not None:
            locked.days_before = _clean_days_before(days_before)
        changes = audit.diff(before, audit.snapshot(locked, AUDITED))
        if changes:
            if locked.status == Status.ISSUED:
                locked.auto_renew_at = locked.renewal_moment()
            locked.save()
            _event(locked, actor, "edited", message=", ".join(sorted(changes)))
            audit.record(actor, "certificate.updated", locked, customer=locked.customer, **changes)
    return locked
