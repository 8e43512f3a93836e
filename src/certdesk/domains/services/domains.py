"""Domains and delegations: add, edit, suspend, delete; delegate, approve, reject.

Every change is audited in the transaction that makes it; events go out on commit.
"""
from __future__ import annotations

from typing import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core import audit, validators
from certdesk.core.actor import Actor
from certdesk.core.errors import InvalidInput, RequiredField
from certdesk.core.i18n import msg
from certdesk.tenancy.models import CertType, Organization

from .. import names, queries, signals
from ..errors import CertificatesExist, DelegationNotFound, DomainExists, DomainRefused
from ..models import Delegation, Domain
from ..states import DcvStatus, DelegationStatus, DomainState, check_delegation

AUDITED = ("name", "description", "state", "contact_emails")


# ---------------------------------------------------------------------------
# Helpers


def lock_domain(domain: Domain) -> Domain:
    """Reload and lock the domain row: every verb that changes a domain or its DCV takes this lock first."""
    return Domain.objects.select_for_update(of=("self",)).select_related("customer").get(pk=domain.pk)


def _clean_cert_types(value, org: Organization) -> list[str]:
    if isinstance(value, str):
        value = [value]
    allowed = {c.value for c in CertType}
    aliases = {"CLIENT": CertType.SMIME.value, "CODESIGNING": CertType.CODESIGN.value, "CS": CertType.CODESIGN.value}
    cleaned = set()
    for item in value or []:
        text = str(item).strip()
        text = next((a for a in allowed if a.lower() == text.lower()), aliases.get(text.upper(), text))
        if text not in allowed:
            raise InvalidInput(msg("Unknown certificate type '%(item)s': use SSL, SMIME or CodeSign.",
                                   item=item), field="certTypes")
        cleaned.add(text)
    if not cleaned:
        raise RequiredField("Choose at least one certificate type (SSL, SMIME, CodeSign) for the delegation.",
                            field="certTypes")
    enabled = set(org.cert_types or []) or allowed
    refused = sorted(cleaned - enabled)
    if refused:
        raise InvalidInput(msg("%(org)s is not enabled for %(refused)s certificates.",
                               org=org, refused=', '.join(refused)), field="certTypes")
    return sorted(cleaned)


def _clean_delegations(actor: Actor, delegations) -> list[tuple[Organization, list[str]]]:
    if not delegations:
        raise RequiredField("Delegate the domain to at least one organization or department.", field="delegations")
    seen: set[int] = set()
    out = []
    for item in delegations:
        try:
            org, types = item
        except (TypeError, ValueError):
            raise InvalidInput("Each delegation is an organization and its certificate types.",
                               field="delegations") from None
        if not isinstance(org, Organization):
            raise InvalidInput("Each delegation names an organization or department.", field="delegations")
        policy.require(actor, Perm.DELEGATE_DOMAIN, org)
        if org.pk in seen:
            raise InvalidInput(msg("%(org)s is listed twice in the delegations.", org=org), field="delegations")
        seen.add(org.pk)
        out.append((org, _clean_cert_types(types, org)))
    return out


def _delegation_status(actor: Actor, org: Organization) -> str:
    """ACTIVE when the actor could approve it anyway, else REQUESTED (a DRAO's request, or a RAO without
    approveDomainDelegation)."""
    return DelegationStatus.ACTIVE if policy.approves_delegation_to(actor, org) else DelegationStatus.REQUESTED


def _delegation_events(delegation: Delegation) -> None:
    kwargs = dict(domain_id=delegation.domain_id, organization_id=delegation.organization_id,
                  delegation_id=delegation.pk, customer_id=delegation.domain.customer_id)
    if delegation.is_active:
        signals.send_in_transaction(signals.delegation_approved, **kwargs)
    else:
        signals.send_in_transaction(signals.delegation_requested, **kwargs)


def _maybe_dcv_needed(domain: Domain) -> None:
    state = queries.dcv_status_for(domain)
    if state.delegated and state.status != DcvStatus.VALIDATED:
        signals.send_in_transaction(signals.dcv_needed, domain_id=domain.pk, customer_id=domain.customer_id)


def _delegation_row(d: Delegation) -> dict:
    return {"organization": d.organization_id, "cert_types": list(d.cert_types), "status": d.status}


# ---------------------------------------------------------------------------
# Domains


@transaction.atomic
def create_domain(actor: Actor, name: str, *, description: str = "",
                  delegations: Iterable[tuple[Organization, Iterable[str]]] = (), active: bool = True) -> Domain:
    """Add a domain and its delegations (at least one). Nothing is written when any part is refused."""
    policy.require(actor, Perm.CREATE_DOMAIN)
    normalized = names.normalize(name)
    description = validators.plain_text(description, field="description", label="Description", max_length=256)
    cleaned = _clean_delegations(actor, list(delegations or []))
    existing = Domain.objects.filter(customer=actor.customer, name=normalized).first()
    if existing is not None:
        if policy.domain_visible(actor, existing):
            refusal = msg("The domain %(domain)s already exists. Add a delegation to it instead.",
                          domain=names.to_unicode(normalized))
        else:
            refusal = msg("The domain %(domain)s already exists. It is delegated elsewhere: ask an MRAO to "
                          "delegate it to you.", domain=names.to_unicode(normalized))
        raise DomainExists(refusal, field="name")
    domain = Domain(customer=actor.customer, name=normalized, description=description, created_by=actor.admin,
                    state=DomainState.ACTIVE if active else DomainState.SUSPENDED)
    try:
        with transaction.atomic():
            domain.save()
    except IntegrityError:
        raise DomainExists(msg("The domain %(domain)s already exists.",
                               domain=names.to_unicode(normalized)), field="name") from None
    rows = []
    for org, types in cleaned:
        status = _delegation_status(actor, org)
        now = timezone.now()
        rows.append(Delegation.objects.create(
            domain=domain, organization=org, cert_types=types, status=status, requested_by=actor.admin,
            approved_by=actor.admin if status == DelegationStatus.ACTIVE else None,
            approved_at=now if status == DelegationStatus.ACTIVE else None,
        ))
    audit.record(actor, "domain.created", domain, after=audit.snapshot(domain, AUDITED),
                 delegations=[_delegation_row(d) for d in rows])
    for row in rows:
        if not row.is_active:
            _delegation_events(row)
    _maybe_dcv_needed(domain)
    return domain


@transaction.atomic
def update_domain(actor: Actor, domain: Domain, *, description: str | None = None) -> Domain:
    domain = lock_domain(domain)
    policy.require(actor, Perm.EDIT_DOMAIN, domain)
    before = audit.snapshot(domain, AUDITED)
    if description is not None:
        domain.description = validators.plain_text(description, field="description", label="Description",
                                                   max_length=256)
    changes = audit.diff(before, audit.snapshot(domain, AUDITED))
    if changes:
        domain.save(update_fields=["description", "modified"])
        audit.record(actor, "domain.updated", domain, changes=changes)
    return domain


@transaction.atomic
def set_domain_contacts(actor: Actor, domain: Domain, emails: Iterable[str]) -> Domain:
    """The extra addresses offered for email DCV (an MRAO records them)."""
    domain = lock_domain(domain)
    policy.require(actor, Perm.EDIT_DOMAIN_CONTACTS, domain)
    if isinstance(emails, str):
        emails = [e for e in emails.replace(";", ",").split(",") if e.strip()]
    cleaned = []
    for email in emails or []:
        value = validators.email(email, field="contact_emails", label="Contact email").lower()
        if value not in cleaned:
            cleaned.append(value)
    before = list(domain.contact_emails or [])
    if cleaned != before:
        domain.contact_emails = cleaned
        domain.save(update_fields=["contact_emails", "modified"])
        audit.record(actor, "domain.contacts_changed", domain, contact_emails=[before, cleaned])
    return domain


@transaction.atomic
def set_domain_state(actor: Actor, domain: Domain, *, active: bool) -> Domain:
    """Activate or suspend a domain (SCM PUT /{id}/activate, /suspend): a suspended domain covers no name."""
    domain = lock_domain(domain)
    policy.require(actor, Perm.SUSPEND_DOMAIN, domain)
    target = DomainState.ACTIVE if active else DomainState.SUSPENDED
    if domain.state != target:
        before = domain.state
        domain.state = target
        domain.save(update_fields=["state", "modified"])
        audit.record(actor, "domain.activated" if active else "domain.suspended", domain, state=[before, target])
    return domain


@transaction.atomic
def delete_domain(actor: Actor, domain: Domain) -> None:
    """Only an MRAO deletes a domain (seed 000); its delegations and DCV history go with it."""
    domain = lock_domain(domain)
    policy.require(actor, Perm.DELETE_DOMAIN, domain)
    live = queries.live_certificate_count(domain)
    if live:
        raise CertificatesExist(
            msg("The domain %(domain)s cannot be deleted: %(live)s requested or issued certificate(s) use it. "
                "Revoke them or let them expire first.", domain=domain.name, live=live))
    delegations = [_delegation_row(d) for d in domain.delegations.all()]
    audit.record(actor, "domain.deleted", domain, before=audit.snapshot(domain, AUDITED), delegations=delegations,
                 dcv_status=domain.dcv_status, dcv_expires=domain.dcv_expires)
    domain.delete()


# ---------------------------------------------------------------------------
# Delegations


def _get_delegation(domain: Domain, org: Organization, *, lock: bool = True) -> Delegation:
    qs = Delegation.objects.select_related("domain", "organization", "organization__parent")
    if lock:
        qs = qs.select_for_update(of=("self",))
    delegation = qs.filter(domain=domain, organization=org).first()
    if delegation is None:
        raise DelegationNotFound(msg("The domain %(domain)s has no delegation to %(org)s.",
                                     domain=domain.name, org=org))
    return delegation


@transaction.atomic
def delegate_domain(actor: Actor, domain: Domain, organization: Organization, cert_types: Iterable[str]) -> Delegation:
    """Delegate a domain to an organization/department, or change the certificate types of its delegation."""
    domain = lock_domain(domain)
    policy.require(actor, Perm.DELEGATE_DOMAIN, domain)
    policy.require(actor, Perm.DELEGATE_DOMAIN, organization)
    types = _clean_cert_types(cert_types, organization)
    status = _delegation_status(actor, organization)
    delegation = Delegation.objects.select_for_update().filter(domain=domain, organization=organization).first()
    now = timezone.now()
    if delegation is None:
        delegation = Delegation.objects.create(
            domain=domain, organization=organization, cert_types=types, status=status, requested_by=actor.admin,
            approved_by=actor.admin if status == DelegationStatus.ACTIVE else None,
            approved_at=now if status == DelegationStatus.ACTIVE else None,
        )
        audit.record(actor, "domain.delegated", domain, **_delegation_row(delegation))
        if not delegation.is_active:
            _delegation_events(delegation)
        else:
            _maybe_dcv_needed(domain)
        return delegation
    before = _delegation_row(delegation)
    widened = not set(types) <= set(delegation.cert_types or [])
    delegation.cert_types = types
    if status == DelegationStatus.ACTIVE and not delegation.is_active:
        delegation.status, delegation.approved_by, delegation.approved_at = status, actor.admin, now
    elif status == DelegationStatus.REQUESTED and widened:
        # A wider delegation asked by someone who cannot approve it waits for approval again.
        delegation.status, delegation.approved_by, delegation.approved_at = status, None, None
    after = _delegation_row(delegation)
    if after != before:
        delegation.save()
        audit.record(actor, "domain.delegation_changed", domain, changes=audit.diff(before, after),
                     organization=organization.pk)
        if after["status"] != before["status"]:
            _delegation_events(delegation)
    return delegation


@transaction.atomic
def undelegate_domain(actor: Actor, domain: Domain, organization: Organization) -> None:
    domain = lock_domain(domain)
    policy.require(actor, Perm.VIEW_DOMAIN, domain)  # out of scope answers like missing, first
    delegation = _get_delegation(domain, organization)
    policy.require(actor, Perm.DELEGATE_DOMAIN, delegation)
    if not domain.delegations.exclude(pk=delegation.pk).exists():
        raise DomainRefused("A domain keeps at least one delegation: an MRAO can delete the domain instead.")
    audit.record(actor, "domain.undelegated", domain, **_delegation_row(delegation))
    delegation.delete()


@transaction.atomic
def approve_delegation(actor: Actor, domain: Domain, organization: Organization) -> Delegation:
    domain = lock_domain(domain)
    policy.require(actor, Perm.VIEW_DOMAIN, domain)  # out of scope answers like missing, first
    delegation = _get_delegation(domain, organization)
    policy.require(actor, Perm.APPROVE_DELEGATION, delegation)
    check_delegation("approve", delegation.status)
    delegation.status = DelegationStatus.ACTIVE
    delegation.approved_by, delegation.approved_at = actor.admin, timezone.now()
    delegation.save(update_fields=["status", "approved_by", "approved_at"])
    audit.record(actor, "domain.delegation_approved", domain, organization=organization.pk,
                 cert_types=list(delegation.cert_types), status=[DelegationStatus.REQUESTED, DelegationStatus.ACTIVE])
    _delegation_events(delegation)
    _maybe_dcv_needed(domain)
    return delegation


@transaction.atomic
def reject_delegation(actor: Actor, domain: Domain, organization: Organization) -> bool:
    """Refuse a requested delegation. A domain left with no delegation and no DCV history (a DRAO's
    request that was refused) is removed too, so it can be asked for again; returns whether it was."""
    domain = lock_domain(domain)
    policy.require(actor, Perm.VIEW_DOMAIN, domain)  # out of scope answers like missing, first
    delegation = _get_delegation(domain, organization)
    policy.require(actor, Perm.APPROVE_DELEGATION, delegation)
    check_delegation("reject", delegation.status)
    audit.record(actor, "domain.delegation_rejected", domain, **_delegation_row(delegation))
    delegation.delete()
    if not domain.delegations.exists() and not domain.dcv_orders.exists() and domain.dcv_validated_at is None:
        audit.record(actor, "domain.deleted", domain, before=audit.snapshot(domain, AUDITED),
                     reason="its only delegation request was rejected")
        domain.delete()
        return True
    return False
