"""Who may come in from where and with what (issue 6): IP access-control lists, per-admin API
tokens, client-certificate serials, and a department's Web API secret key (seed 001)."""
from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from certdesk.core import audit, validators
from certdesk.core.actor import Actor
from certdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from certdesk.core.i18n import msg
from certdesk.tenancy.models import Organization

from . import policy
from .errors import InvalidCredentials
from .models import AccessControlEntry, Admin, ApiToken, Credential
from .policy import Perm

MAX_ENTRIES_PER_ACL = 100
MAX_TOKENS_PER_ADMIN = 20
MAX_TOKEN_DAYS = 3650
TOKEN_PREFIX = "cdk_"
_TOKEN_RE = re.compile(r"^cdk_[A-Za-z0-9_-]{20,128}$")


class AddressNotAllowed(InvalidCredentials):
    """Right credentials, wrong place: the client address is outside an ACL that binds the admin.

    A subclass of InvalidCredentials so that every login path refuses it like a failed login
    (401), but with its own code and a message that names the address (only someone who proved
    the password or certificate ever sees it)."""

    code = -3


# ---------------------------------------------------------------------------
# IP access-control lists


def parse_network(value: object, *, field: str = "network") -> str:
    """A CIDR (or a bare address, taken as /32 or /128) in its normalized text form."""
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise InvalidInput("Give a network in CIDR form, e.g. 192.0.2.0/24 or 2001:db8::/48.", field=field)
    text = value.strip()
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise InvalidInput(msg("'%(text)s' is not an IPv4 or IPv6 network in CIDR form "
                               "(e.g. 192.0.2.0/24 or 2001:db8::/48).", text=text[:64]), field=field) from None
    if isinstance(network, ipaddress.IPv6Network) and network.prefixlen >= 96 and network[0].ipv4_mapped:
        network = ipaddress.ip_network(f"{network[0].ipv4_mapped}/{network.prefixlen - 96}", strict=False)
    return str(network)


def _address(ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address((ip or "").strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _in_any(address, networks: Iterable[str]) -> bool:
    if address is None:
        return False
    for text in networks:
        try:
            if address in ipaddress.ip_network(text, strict=False):
                return True
        except (ValueError, TypeError):
            continue
    return False


def _binding_scopes(admin: Admin) -> set[int | None]:
    """The ACL scopes that bind this admin: None (the customer) for an MRAO credential, the
    organization or department id for the others. Only the scope a credential sits on counts:
    the ACL of a university does not bind the DRAO a department gave to a third party (seed 001)."""
    return {None if c.organization_id is None else c.organization_id for c in admin.credential_list()}


def _binding_entries(admin_ref: str, customer_ref: str) -> QuerySet[AccessControlEntry]:
    """The entries binding the admin of an outer query (as a subquery)."""
    credentials = Credential.objects.filter(admin_id=OuterRef(OuterRef(admin_ref)))
    return AccessControlEntry.objects.filter(customer_id=OuterRef(customer_ref)).filter(
        Q(organization_id__in=credentials.filter(organization__isnull=False).values("organization_id"))
        | (Q(organization__isnull=True) & Q(Exists(credentials.filter(organization__isnull=True))))
    )


def with_acl_flag(admins: QuerySet[Admin]) -> QuerySet[Admin]:
    """Admins annotated with `acl_bound` (whether any ACL binds them), in the same query: an
    unfenced admin then costs no ACL query at all on each API call."""
    return admins.annotate(acl_bound=Exists(_binding_entries("pk", "customer_id")))


def acls_binding(admin: Admin) -> dict[int | None, list[str]]:
    """{scope: [networks]} of the ACLs that bind this admin (scopes without entries left out)."""
    scopes = _binding_scopes(admin)
    if not scopes:
        return {}
    condition = Q(organization_id__in=[s for s in scopes if s is not None])
    if None in scopes:
        condition |= Q(organization__isnull=True)
    acls: dict[int | None, list[str]] = {}
    rows = AccessControlEntry.objects.filter(condition, customer_id=admin.customer_id)
    for scope, network in rows.values_list("organization_id", "network"):
        acls.setdefault(scope, []).append(network)
    return acls


def address_allowed(admin: Admin, ip: str | None) -> bool:
    """Whether the admin may act from `ip`: inside every ACL that binds one of its credentials."""
    if getattr(admin, "acl_bound", None) is False:
        return True
    address = _address(ip)
    return all(_in_any(address, networks) for networks in acls_binding(admin).values())


def require_address_allowed(admin: Admin, ip: str | None) -> None:
    if not address_allowed(admin, ip):
        raise AddressNotAllowed(
            msg("Access to this account is not allowed from your address (%(ip)s): "
                "it is outside the IP access control list of the organization or department it administers.",
                ip=(ip or 'unknown')[:64])
        )


def acl_entries(customer, organization: Organization | None) -> QuerySet[AccessControlEntry]:
    qs = AccessControlEntry.objects.filter(customer=customer)
    return qs.filter(organization=organization) if organization is not None else qs.filter(organization__isnull=True)


def acl_networks(organization: Organization) -> list[str]:
    """The networks of an organization's or department's ACL, in the order they were added."""
    return list(AccessControlEntry.objects.filter(organization=organization).order_by("id")
                .values_list("network", flat=True))


def _binds_actor(actor: Actor, organization: Organization | None) -> bool:
    if actor.admin is None:
        return False
    target = None if organization is None else organization.pk
    return target in _binding_scopes(actor.admin)


def _check_lockout(actor: Actor, organization: Organization | None, networks: list[str]) -> None:
    """Refuse a change after which the acting admin could no longer come in from where it is."""
    if not actor.ip or not networks or not _binds_actor(actor, organization):
        return
    if not _in_any(_address(actor.ip), networks):
        raise InvalidInput(msg("This change would lock you out: your address (%(ip)s) would no longer be "
                               "allowed. Add a network that contains it first.", ip=actor.ip), field="network")


def _scope_label(actor: Actor, organization: Organization | None) -> str:
    return f"customer {actor.customer.uri}" if organization is None else str(organization)


def _audit_target(actor: Actor, organization: Organization | None):
    return actor.customer if organization is None else organization


@transaction.atomic
def add_acl_entry(actor: Actor, organization: Organization | None, network: str, *,
                  description: str = "") -> AccessControlEntry:
    """Add a network to the ACL of the customer (organization None), an organization or a department."""
    policy.require(actor, Perm.MANAGE_ACCESS_CONTROL, organization)
    network = parse_network(network)
    description = validators.plain_text(description, field="description", label="Description", max_length=128)
    current = list(acl_entries(actor.customer, organization).select_for_update().values_list("network", flat=True))
    if network in current:
        raise InvalidInput(msg("%(network)s is already in this access control list.", network=network), field="network")
    if len(current) >= MAX_ENTRIES_PER_ACL:
        raise InvalidInput(msg("An access control list holds at most %(max_entries_per_acl)s networks.",
                               max_entries_per_acl=MAX_ENTRIES_PER_ACL), field="network")
    _check_lockout(actor, organization, current + [network])
    try:
        with transaction.atomic():
            entry = AccessControlEntry.objects.create(customer=actor.customer, organization=organization,
                                                      network=network, description=description,
                                                      created_by=actor.admin)
    except IntegrityError:
        raise InvalidInput(msg("%(network)s is already in this access control list.",
                               network=network), field="network") from None
    audit.record(actor, "access_control.added", _audit_target(actor, organization),
                 scope=_scope_label(actor, organization), network=network)
    return entry


@transaction.atomic
def remove_acl_entry(actor: Actor, entry: AccessControlEntry) -> None:
    organization = entry.organization
    policy.require(actor, Perm.MANAGE_ACCESS_CONTROL, organization)
    remaining = list(acl_entries(actor.customer, organization).select_for_update().exclude(pk=entry.pk)
                     .values_list("network", flat=True))
    _check_lockout(actor, organization, remaining)
    entry.delete()
    audit.record(actor, "access_control.removed", _audit_target(actor, organization),
                 scope=_scope_label(actor, organization), network=entry.network)


@transaction.atomic
def set_acl(actor: Actor, organization: Organization | None, networks: Iterable[object]) -> list[str]:
    """Replace a whole ACL (the API's `ipAcl`); an empty list removes every restriction."""
    policy.require(actor, Perm.MANAGE_ACCESS_CONTROL, organization)
    if not isinstance(networks, (list, tuple)):
        raise InvalidInput("ipAcl must be a list of networks in CIDR form.", field="ipAcl")
    wanted = list(dict.fromkeys(parse_network(n, field="ipAcl") for n in networks))
    if len(wanted) > MAX_ENTRIES_PER_ACL:
        raise InvalidInput(msg("An access control list holds at most %(max_entries_per_acl)s networks.",
                               max_entries_per_acl=MAX_ENTRIES_PER_ACL), field="ipAcl")
    entries = {e.network: e for e in acl_entries(actor.customer, organization).select_for_update()}
    if set(wanted) == set(entries):
        return wanted
    try:
        _check_lockout(actor, organization, wanted)
    except InvalidInput as exc:
        exc.field = "ipAcl"
        raise
    for network, entry in entries.items():
        if network not in wanted:
            entry.delete()
    AccessControlEntry.objects.bulk_create([
        AccessControlEntry(customer=actor.customer, organization=organization, network=n, created_by=actor.admin)
        for n in wanted if n not in entries
    ])
    audit.record(actor, "access_control.replaced", _audit_target(actor, organization),
                 scope=_scope_label(actor, organization), before=sorted(entries), after=sorted(wanted))
    return wanted


def manageable_scopes(actor: Actor) -> list[Organization | None]:
    """The ACL scopes the actor may edit: None (the customer) first for an MRAO, then organizations
    and departments by name."""
    from certdesk.tenancy.queries import visible_organizations

    scopes: list[Organization | None] = [None] if policy.can(actor, Perm.MANAGE_ACCESS_CONTROL, None) else []
    orgs = sorted(visible_organizations(actor), key=lambda o: (o.organization.name.lower(), o.parent_id is not None,
                                                               o.name.lower(), o.pk))
    scopes.extend(o for o in orgs if policy.can(actor, Perm.MANAGE_ACCESS_CONTROL, o))
    return scopes


def get_acl_entry(actor: Actor, entry_id) -> AccessControlEntry:
    """An entry of an ACL the actor may see (the customer's needs an MRAO); otherwise NotFound."""
    try:
        entry_id = int(entry_id)
    except (TypeError, ValueError):
        raise NotFound("Access control entry not found.") from None
    entry = AccessControlEntry.objects.select_related("organization", "organization__parent").filter(
        pk=entry_id, customer=actor.customer).first()
    if entry is None:
        raise NotFound("Access control entry not found.")
    if entry.organization is None:
        if not policy.is_mrao(actor) and actor.admin is not None:
            raise NotFound("Access control entry not found.")
    else:
        policy.require(actor, Perm.VIEW_ORGANIZATION, entry.organization)
    return entry


# ---------------------------------------------------------------------------
# Web API switch and secret key of an organization or department (seed 001, step 1)


@transaction.atomic
def generate_web_api_secret(actor: Actor, organization: Organization) -> str:
    """A new random secret key for the Web API of this organization or department, returned once
    and stored hashed; the previous one stops working."""
    policy.require(actor, Perm.EDIT_ORGANIZATION, organization)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    secret = secrets.token_urlsafe(24)
    org.web_api_secret = make_password(secret)
    org.web_api_secret_created = timezone.now()
    org.save(update_fields=["web_api_secret", "web_api_secret_created", "modified"])
    audit.record(actor, "organization.web_api_secret_generated", org)
    return secret


@transaction.atomic
def clear_web_api_secret(actor: Actor, organization: Organization) -> None:
    policy.require(actor, Perm.EDIT_ORGANIZATION, organization)
    org = Organization.objects.select_for_update().get(pk=organization.pk)
    if org.web_api_secret:
        org.web_api_secret, org.web_api_secret_created = "", None
        org.save(update_fields=["web_api_secret", "web_api_secret_created", "modified"])
        audit.record(actor, "organization.web_api_secret_cleared", org)


def web_api_secret_matches(organization: Organization, secret: object) -> bool:
    if not organization.web_api_secret or not isinstance(secret, str) or not secret or len(secret) > 256:
        return False
    return check_password(secret, organization.web_api_secret)


# ---------------------------------------------------------------------------
# Per-admin API tokens


def token_digest(raw: str) -> str:
    # The token is 256 random bits: a plain SHA-256 cannot be brute-forced and costs nothing per request.
    return hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()


def own_tokens(actor: Actor) -> QuerySet[ApiToken]:
    if actor.admin is None:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(admin=actor.admin)


@transaction.atomic
def create_api_token(actor: Actor, *, name: object, days: object = None) -> tuple[ApiToken, str]:
    """A new token for the acting admin itself. Returns the token row and the token, shown once."""
    if actor.admin is None:
        raise PermissionDenied("Only an admin can hold API tokens.")
    admin = Admin.objects.select_for_update().get(pk=actor.admin.pk)
    name = validators.plain_text(name, field="name", label="Name", required=True, max_length=64)
    expires = None
    if days not in (None, ""):
        if isinstance(days, bool) or not isinstance(days, (int, str)):
            raise InvalidInput(msg("days must be a number of days from 1 to %(max_token_days)s.",
                                   max_token_days=MAX_TOKEN_DAYS), field="days")
        try:
            days = int(days)
        except ValueError:
            raise InvalidInput(msg("days must be a number of days from 1 to %(max_token_days)s.",
                                   max_token_days=MAX_TOKEN_DAYS), field="days") from None
        if not 1 <= days <= MAX_TOKEN_DAYS:
            raise InvalidInput(msg("days must be a number of days from 1 to %(max_token_days)s.",
                                   max_token_days=MAX_TOKEN_DAYS), field="days")
        expires = timezone.now() + timedelta(days=days)
    live = ApiToken.objects.filter(admin=admin, revoked__isnull=True).filter(
        Q(expires__isnull=True) | Q(expires__gt=timezone.now()))
    if live.count() >= MAX_TOKENS_PER_ADMIN:
        raise InvalidInput(msg("An admin holds at most %(max_tokens_per_admin)s live API tokens: revoke one first.",
                               max_tokens_per_admin=MAX_TOKENS_PER_ADMIN),
                           field="name")
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(admin=admin, name=name, prefix=raw[:12], digest=token_digest(raw),
                                    expires=expires)
    audit.record(actor, "admin.api_token_created", admin, token=token.pk, name=name, prefix=token.prefix,
                 expires=expires)
    return token, raw


def get_own_token(actor: Actor, token_id) -> ApiToken:
    try:
        token_id = int(token_id)
    except (TypeError, ValueError):
        raise NotFound("API token not found.") from None
    token = own_tokens(actor).filter(pk=token_id).first()
    if token is None:
        raise NotFound("API token not found.")
    return token


@transaction.atomic
def revoke_api_token(actor: Actor, token: ApiToken) -> ApiToken:
    token = ApiToken.objects.select_for_update().select_related("admin").get(pk=token.pk)
    if actor.admin is None or token.admin_id != actor.admin.pk:
        raise NotFound("API token not found.")
    if token.revoked is None:
        token.revoked = timezone.now()
        token.save(update_fields=["revoked"])
        audit.record(actor, "admin.api_token_revoked", token.admin, token=token.pk, name=token.name,
                     prefix=token.prefix)
    return token


def authenticate_token(raw: object) -> Admin:
    """The enabled admin a live token belongs to, or InvalidCredentials (one generic message)."""
    if not isinstance(raw, str) or not _TOKEN_RE.match(raw):
        raise InvalidCredentials("Unknown user: invalid, expired or revoked API token.")
    token = (ApiToken.objects.select_related("admin", "admin__customer")
             .annotate(acl_bound=Exists(_binding_entries("admin_id", "admin__customer_id")))
             .filter(digest=token_digest(raw)).first())
    now = timezone.now()
    if (token is None or token.revoked is not None or (token.expires is not None and token.expires <= now)
            or not token.admin.is_active):
        raise InvalidCredentials("Unknown user: invalid, expired or revoked API token.")
    if token.last_used is None or now - token.last_used > timedelta(seconds=60):
        # At most one write a minute per token: enough to show "last used" without a write per request.
        ApiToken.objects.filter(pk=token.pk).update(last_used=now)
    token.admin.acl_bound = token.acl_bound
    return token.admin


# ---------------------------------------------------------------------------
# Client certificates


_SERIAL_CLEAN_RE = re.compile(r"[\s:]")


def normalize_serial(value: object, *, field: str = "certificateSerialNumber") -> str:
    """A certificate serial as hex digits, upper case, without separators or leading zeros ("" = none).

    Accepts `0A:1B:...`, `0a1b...`, `0x0a1b...` (RFC 5280 §4.1.2.2: at most 20 octets)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str):
        raise InvalidInput("The certificate serial number must be hexadecimal text.", field=field)
    text = _SERIAL_CLEAN_RE.sub("", value)
    if text[:2].lower() == "0x":
        text = text[2:]
    if not text:
        return ""
    if len(text) > 64 or not re.fullmatch(r"[0-9A-Fa-f]+", text):
        raise InvalidInput("The certificate serial number must be hexadecimal (at most 20 octets).", field=field)
    text = text.upper().lstrip("0") or "0"
    if len(text) > 40:
        raise InvalidInput("The certificate serial number must be hexadecimal (at most 20 octets).", field=field)
    return text


def serial_of_certificate(pem: str) -> str:
    """The serial of a PEM certificate currently within its validity period, or InvalidCredentials."""
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise InvalidCredentials("Unknown user: the client certificate cannot be read.") from None
    now = timezone.now()
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        raise InvalidCredentials("Unknown user: the client certificate is not valid now.")
    return format(cert.serial_number, "X")


@transaction.atomic
def set_own_certificate_serial(actor: Actor, serial: object) -> Admin:
    """The admin registers (or, with "", removes) the serial of its own TLS client certificate."""
    if actor.admin is None:
        raise PermissionDenied("Only an admin can register a client certificate.")
    admin = Admin.objects.select_for_update().get(pk=actor.admin.pk)
    value = normalize_serial(serial)
    if value != admin.certificate_serial_number:
        before = admin.certificate_serial_number
        admin.certificate_serial_number = value
        admin.save(update_fields=["certificate_serial_number", "modified"])
        audit.record(actor, "admin.client_certificate_changed", admin,
                     certificate_serial_number=[before, value])
    return admin
