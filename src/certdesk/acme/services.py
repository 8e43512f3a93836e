"""The verbs admins use on ACME accounts (portal and REST): create with EAB credentials, rename,
suspend, reactivate, delete, bind and unbind domains. Protocol verbs are in `protocol`."""
from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core import audit, validators
from certdesk.core.actor import Actor
from certdesk.core.errors import Conflict, InvalidInput, NotFound
from certdesk.domains import names as domain_names
from certdesk.domains import queries as domain_queries
from certdesk.domains.errors import InvalidDomainName
from certdesk.domains.models import Domain
from certdesk.tenancy.models import Organization

from .jws import b64encode
from .models import AccountStatus, AcmeAccount, AcmeEndpoint, ValidationType

# The endpoints every installation offers (created on first use: `endpoint`).
ENDPOINTS = {
    "OV": {"validation_type": ValidationType.OV, "profile_name": "OV Multi-Domain", "preauthorized": True},
    "EV": {"validation_type": ValidationType.EV, "profile_name": "EV Multi-Domain", "preauthorized": True},
    "DV": {"validation_type": ValidationType.DV, "profile_name": "OV Multi-Domain", "preauthorized": False},
}


class AcmeAccountNotFound(NotFound):
    code = -14



def _eab_value(generate) -> str:
    """A Key ID or HMAC key that does not start with '-': certbot would read `--eab-kid -x…` as an
    option and fail with "expected one argument"."""
    while True:
        value = generate()
        if value[0].isalnum():
            return value

def endpoints() -> list[AcmeEndpoint]:
    for name in ENDPOINTS:
        endpoint(name)
    return list(AcmeEndpoint.objects.order_by("id"))


def endpoint(name: str) -> AcmeEndpoint:
    """The endpoint called `name` (case-insensitive); NotFound for unknown names."""
    key = str(name or "").strip().upper()
    if key not in ENDPOINTS:
        found = AcmeEndpoint.objects.filter(name__iexact=key).first()
        if found is None:
            raise NotFound(f"Unknown ACME server {name!r}: use one of {', '.join(ENDPOINTS)}.", field="acmeServer")
        return found
    found, _ = AcmeEndpoint.objects.get_or_create(name=key, defaults=ENDPOINTS[key])
    return found


def visible_accounts(actor: Actor) -> QuerySet[AcmeAccount]:
    qs = AcmeAccount.objects.select_related("organization", "organization__parent", "endpoint")
    return policy.scope(actor, qs, field="organization", cert_type="SSL").order_by("id")


def get_account(actor: Actor, account_id) -> AcmeAccount:
    try:
        pk = int(account_id)
    except (TypeError, ValueError):
        raise AcmeAccountNotFound("ACME account not found.") from None
    account = visible_accounts(actor).filter(pk=pk).first()
    if account is None:
        raise AcmeAccountNotFound("ACME account not found.")
    return account


def _domains_for(account: AcmeAccount, wanted: Iterable[str]) -> tuple[list[Domain], list[str]]:
    """The domains that may be bound (delegated to the account's organization or department for SSL,
    active, DCV-validated) and the names refused."""
    ok: list[Domain] = []
    refused: list[str] = []
    for raw in wanted:
        try:
            name = domain_names.normalize(str(raw))
        except InvalidDomainName:
            refused.append(str(raw))
            continue
        domain = Domain.objects.filter(customer_id=account.customer_id, name=name).first()
        if domain is None or not domain_queries.is_name_authorized(account.organization, name, "SSL").ok:
            refused.append(str(raw))
            continue
        ok.append(domain)
    return ok, refused


@transaction.atomic
def create_account(actor: Actor, *, organization: Organization, endpoint_name: str, name: str,
                   domains: Iterable[str] = ()) -> AcmeAccount:
    """A new ACME account with fresh EAB credentials (status pending until a client binds)."""
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, organization)
    name = validators.plain_text(name, field="name", label="Name", required=True, max_length=128)
    server = endpoint(endpoint_name)
    if AcmeAccount.objects.filter(organization=organization, endpoint=server, name=name).exists():
        raise Conflict(f"An ACME account named {name} already exists for {organization} on {server}.",
                       field="name")
    account = AcmeAccount.objects.create(
        customer_id=organization.customer_id, organization=organization, endpoint=server, name=name,
        mac_id=_eab_value(lambda: secrets.token_urlsafe(16)),
        mac_key=_eab_value(lambda: b64encode(secrets.token_bytes(48))), created_by=actor.admin,
    )
    names = list(domains or [])
    if names:
        ok, refused = _domains_for(account, names)
        if refused:
            raise InvalidInput("These domains are not delegated to this organization or department with a valid "
                               f"DCV: {', '.join(refused)}.", field="domains")
        account.domains.add(*ok)
    audit.record(actor, "acme.account_created", account, customer=organization.customer, name=name,
                 endpoint=server.name, organization=organization.pk, domains=sorted(d.name for d in account.domains.all()))
    return account


@transaction.atomic
def rename_account(actor: Actor, account: AcmeAccount, name: str) -> AcmeAccount:
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    name = validators.plain_text(name, field="name", label="Name", required=True, max_length=128)
    old, account.name = account.name, name
    account.save(update_fields=["name"])
    audit.record(actor, "acme.account_renamed", account, customer=account.customer, name=[old, name])
    return account


@transaction.atomic
def set_suspended(actor: Actor, account: AcmeAccount, suspended: bool) -> AcmeAccount:
    """Suspend (every request of its clients refused, nothing issued) or reactivate."""
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    account = AcmeAccount.objects.select_for_update().get(pk=account.pk)
    old = account.status
    if suspended:
        account.status = AccountStatus.SUSPENDED
    elif account.status == AccountStatus.SUSPENDED:
        account.status = AccountStatus.VALID if account.clients.exists() else AccountStatus.PENDING
    if old != account.status:
        account.save(update_fields=["status"])
        audit.record(actor, "acme.account_status", account, customer=account.customer, status=[old, account.status])
    return account


@transaction.atomic
def delete_account(actor: Actor, account: AcmeAccount) -> None:
    """Delete the account and its clients and orders; the certificates it obtained stay."""
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    audit.record(actor, "acme.account_deleted", account, customer=account.customer, name=account.name,
                 mac_id=account.mac_id)
    account.delete()


@transaction.atomic
def bind_domains(actor: Actor, account: AcmeAccount, names: Iterable[str]) -> list[str]:
    """Bind domains; returns the names not added (not delegated to its scope, or no valid DCV)."""
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    ok, refused = _domains_for(account, names)
    if ok:
        account.domains.add(*ok)
        audit.record(actor, "acme.domains_bound", account, customer=account.customer,
                     domains=sorted(d.name for d in ok))
    return refused


@transaction.atomic
def unbind_domains(actor: Actor, account: AcmeAccount, names: Iterable[str]) -> list[str]:
    """Unbind domains; returns the names that were not bound."""
    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    bound = {d.name: d for d in account.domains.all()}
    removed, missing = [], []
    for raw in names:
        try:
            name = domain_names.normalize(str(raw))
        except InvalidDomainName:
            missing.append(str(raw))
            continue
        if name in bound:
            removed.append(bound[name])
        else:
            missing.append(str(raw))
    if removed:
        account.domains.remove(*removed)
        audit.record(actor, "acme.domains_unbound", account, customer=account.customer,
                     domains=sorted(d.name for d in removed))
    return missing


@transaction.atomic
def deactivate_client(actor: Actor, account: AcmeAccount, client_id) -> None:
    """An admin deactivates one ACME client (machine) of the account (spec §7.10 `.../client/{id}`)."""
    from .models import AcmeClient, ClientStatus

    policy.require(actor, Perm.MANAGE_ACME_ACCOUNT, account.organization)
    client = AcmeClient.objects.filter(account=account, pk=client_id if str(client_id).isdigit() else 0).first()
    if client is None:
        raise NotFound("ACME client not found.")
    if client.status != ClientStatus.DEACTIVATED:
        client.status = ClientStatus.DEACTIVATED
        client.save(update_fields=["status"])
        audit.record(actor, "acme.client_deactivated", client, customer=account.customer, client=client.token)
