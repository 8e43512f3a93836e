"""The verbs of accounts: authenticate, create and change admins, passwords."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from certdesk.core import audit, events, validators
from certdesk.core.actor import Actor
from certdesk.core.errors import InvalidInput
from certdesk.core.i18n import msg
from certdesk.core.net import client_ip  # noqa: F401  (re-exported for adapters)
from certdesk.tenancy.models import Customer, Organization

from . import access, policy, signals
from .errors import DuplicateLogin, InvalidCredentials, PasswordRejected, PrivilegeRefused, RoleRefused
from .models import Admin, AdminType, Credential, LoginFailure
from .policy import Perm
from .roles import PRIVILEGES_BY_ROLE, Level, Privilege, Role, parse_privilege, parse_role

GENERIC_LOGIN_ERROR = "Invalid customer, login or password."
_LOGIN_RE = re.compile(r"^[A-Za-z0-9._@+-]{3,128}$")
_DUMMY_HASH = None

AUDITED = ("login", "email", "forename", "surname", "telephone", "type", "is_active", "privileges",
           "certificate_serial_number")


# ---------------------------------------------------------------------------
# Authentication


def _dummy_check(password: str) -> None:
    """Spend the same time as a real check so unknown logins are not told apart by timing."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password(secrets.token_hex(16))
    from django.contrib.auth.hashers import check_password

    check_password(password or "", _DUMMY_HASH)


def _too_many_failures(customer_uri: str, login: str, ip: str) -> bool:
    """Three limits over the window: a login from one address (LOGIN_MAX_FAILURES), one address over
    all logins (4x), one login over all addresses (10x). Keying the first on the address keeps a
    stranger's wrong passwords from locking an API robot out from its own address for long."""
    since = timezone.now() - timedelta(seconds=settings.LOGIN_FAILURE_WINDOW)
    recent = LoginFailure.objects.filter(at__gte=since)
    limit = settings.LOGIN_MAX_FAILURES
    by_login = recent.filter(customer_uri=customer_uri, login=login)
    if by_login.filter(ip=ip or "").count() >= limit:
        return True
    if ip and recent.filter(ip=ip).count() >= limit * 4:
        return True
    return by_login.count() >= limit * 10


def authenticate(customer_uri: str | None, login: str | None, password: str | None, *, ip: str = "") -> Admin:
    """Return the enabled admin for these credentials, or raise InvalidCredentials (one generic message)."""
    customer_uri = (customer_uri or "").strip().lower()[:64] if isinstance(customer_uri, str) else ""
    login = (login or "").strip()[:128] if isinstance(login, str) else ""
    if not customer_uri or not login or not isinstance(password, str) or not password:
        raise InvalidCredentials(GENERIC_LOGIN_ERROR)
    if any(ord(ch) < 32 for ch in customer_uri + login) or len(password) > 1024:
        # Control characters cannot be in a login (and PostgreSQL refuses NUL in text).
        raise InvalidCredentials(GENERIC_LOGIN_ERROR)
    if _too_many_failures(customer_uri, login, ip):
        _dummy_check(password)
        raise InvalidCredentials(GENERIC_LOGIN_ERROR)
    admin = (
        Admin.objects.select_related("customer")
        .filter(customer__uri=customer_uri, login=login)
        .first()
    )
    if admin is None:
        _dummy_check(password)
        ok = False
    else:
        ok = admin.check_password(password) and admin.is_active
    if not ok:
        LoginFailure.objects.create(customer_uri=customer_uri, login=login, ip=ip or "", at=timezone.now())
        raise InvalidCredentials(GENERIC_LOGIN_ERROR)
    LoginFailure.objects.filter(customer_uri=customer_uri, login=login, ip=ip or "").delete()
    # IP access-control lists (issue 6): checked once the password is proved, so only its holder
    # learns that the account exists and is fenced.
    access.require_address_allowed(admin, ip)
    return admin


def authenticate_certificate(customer_uri: str | None, login: str | None, serial: str, *, ip: str = "") -> Admin:
    """The enabled admin `login` of the customer whose registered certificate serial is `serial`
    (the TLS client certificate a trusted reverse proxy verified; spec §2), or InvalidCredentials."""
    customer_uri = (customer_uri or "").strip().lower()[:64] if isinstance(customer_uri, str) else ""
    login = (login or "").strip()[:128] if isinstance(login, str) else ""
    if not customer_uri or not login or any(ord(ch) < 32 for ch in customer_uri + login):
        raise InvalidCredentials(GENERIC_LOGIN_ERROR)
    if _too_many_failures(customer_uri, login, ip):
        raise InvalidCredentials(GENERIC_LOGIN_ERROR)
    admin = Admin.objects.select_related("customer").filter(customer__uri=customer_uri, login=login).first()
    if (admin is None or not admin.is_active or not admin.certificate_serial_number or not serial
            or not secrets.compare_digest(admin.certificate_serial_number, serial)):
        LoginFailure.objects.create(customer_uri=customer_uri, login=login, ip=ip or "", at=timezone.now())
        raise InvalidCredentials(GENERIC_LOGIN_ERROR)
    access.require_address_allowed(admin, ip)
    return admin


# ---------------------------------------------------------------------------
# Input shapes


@dataclass(frozen=True)
class CredentialSpec:
    role: Role
    organization: Organization | None


def parse_credentials(actor: Actor, items: Iterable[Any]) -> list[CredentialSpec]:
    """Turn [{"role": "RAO_SSL", "orgId": 3}, ...] into specs; unknown or invisible orgs are refused."""
    from certdesk.tenancy.queries import visible_organizations

    specs: list[CredentialSpec] = []
    if not isinstance(items, (list, tuple)):
        raise InvalidInput("credentials must be a list of {role, orgId}.", field="credentials")
    for item in items:
        if isinstance(item, CredentialSpec):
            specs.append(item)
            continue
        if not isinstance(item, dict):
            raise InvalidInput("Each credential must be an object {role, orgId}.", field="credentials")
        role = parse_role(item.get("role", ""))
        if role is None:
            raise RoleRefused(msg("Unknown role '%(role)s'.", role=item.get("role")), field="credentials")
        org_id = item.get("orgId")
        if role is Role.MRAO:
            if org_id not in (None, "", 0):
                raise RoleRefused("The MRAO role takes no orgId.", field="credentials")
            specs.append(CredentialSpec(role, None))
            continue
        if org_id in (None, ""):
            raise RoleRefused(msg("The %(role)s role needs an orgId.", role=role.value), field="credentials")
        try:
            org_id = int(org_id)
        except (TypeError, ValueError):
            raise RoleRefused("orgId must be a number.", field="credentials") from None
        org = visible_organizations(actor).filter(pk=org_id).first() if actor.admin else (
            Organization.objects.filter(pk=org_id, customer=actor.customer).first()
        )
        if org is None:
            raise RoleRefused(msg("Organization %(org_id)s not found.", org_id=org_id), field="credentials", status=400)
        specs.append(CredentialSpec(role, org))
    return specs


def parse_privileges(items: Iterable[Any]) -> list[Privilege]:
    if items is None:
        return []
    if not isinstance(items, (list, tuple, set)):
        raise InvalidInput("privileges must be a list of privilege names.", field="privileges")
    out: list[Privilege] = []
    for name in items:
        priv = name if isinstance(name, Privilege) else parse_privilege(str(name))
        if priv is None:
            raise PrivilegeRefused(msg("Unknown privilege '%(name)s'.", name=name), field="privileges")
        if priv not in out:
            out.append(priv)
    return out


def _check_grant(actor: Actor, specs: list[CredentialSpec], privileges: list[Privilege],
                 *, keep: Iterable[CredentialSpec] = ()) -> None:
    if not specs:
        raise RoleRefused("An admin needs at least one role (credential).", field="credentials")
    kept = set(keep)
    for spec in specs:
        if spec in kept:
            continue
        if spec.role is not Role.MRAO:
            level_ok = (spec.role.level is Level.ORGANIZATION) == (spec.organization.parent_id is None)
            if not level_ok:
                kind = msg("an organization") if spec.role.level is Level.ORGANIZATION else msg("a department")
                raise RoleRefused(msg("The %(role)s role must be given on %(kind)s.",
                                      role=spec.role.value, kind=kind), field="credentials")
        if not policy.can_grant_role(actor, spec.role, spec.organization):
            if spec.organization:
                refusal = msg("You cannot grant the %(role)s role on %(organization)s: it is outside your own "
                              "roles and scope.", role=spec.role.value, organization=str(spec.organization))
            else:
                refusal = msg("You cannot grant the %(role)s role: it is outside your own roles and scope.",
                              role=spec.role.value)
            raise RoleRefused(refusal, field="credentials", status=403)
    allowed: set[Privilege] = set()
    for spec in specs:
        allowed |= PRIVILEGES_BY_ROLE[spec.role]
    for priv in privileges:
        if priv not in allowed:
            raise PrivilegeRefused(msg("The privilege %(privilege)s cannot be given with the role(s) %(roles)s.",
                                       privilege=priv.value, roles=", ".join(sorted({s.role.value for s in specs}))),
                                   field="privileges")
    if not policy.can_grant_privileges(actor, privileges):
        held = actor.admin.privilege_set() if actor.admin else set(Privilege)
        missing = [p.value for p in privileges if p not in held]
        raise PrivilegeRefused(msg("You cannot grant privileges you do not hold yourself: %(missing)s.",
                                   missing=', '.join(missing)),
                               field="privileges", status=403)


def _check_password(password: str, admin: Admin) -> None:
    if not isinstance(password, str) or not password:
        raise PasswordRejected("A password is required.", field="password")
    if len(password) > 256:
        raise PasswordRejected("The password is too long (at most 256 characters).", field="password")
    try:
        validate_password(password, user=admin)
    except ValidationError as exc:
        raise PasswordRejected(" ".join(exc.messages), field="password") from None


def _clean_profile(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "login" in values or creating:
        login = values.get("login")
        if not isinstance(login, str) or not _LOGIN_RE.match(login.strip()):
            raise InvalidInput("Login must be 3 to 128 characters: letters, digits and . _ @ + - only.",
                               field="login")
        cleaned["login"] = login.strip()
    if "email" in values or creating:
        cleaned["email"] = validators.email(values.get("email"), field="email", label="Email")
    for name, label in (("forename", "Forename"), ("surname", "Surname")):
        if name in values or creating:
            cleaned[name] = validators.plain_text(values.get(name), field=name, label=label, required=True,
                                                  max_length=64)
    if "telephone" in values:
        cleaned["telephone"] = validators.plain_text(values["telephone"], field="telephone", label="Telephone",
                                                     max_length=32)
    if "type" in values and values["type"] is not None:
        value = str(values["type"]).upper()
        if value not in AdminType.values:
            raise InvalidInput(msg("Admin type must be one of %(values)s.",
                                   values=', '.join(AdminType.values)), field="type")
        cleaned["type"] = value
    if "is_active" in values and values["is_active"] is not None:
        if not isinstance(values["is_active"], bool):
            raise InvalidInput("Active status must be true or false.", field="activeStatus")
        cleaned["is_active"] = values["is_active"]
    for name in ("language", "time_zone"):
        if name in values:
            cleaned[name] = validators.plain_text(values[name], field=name, label=name, max_length=64)
    if "certificate_serial_number" in values:
        cleaned["certificate_serial_number"] = access.normalize_serial(values["certificate_serial_number"])
    return cleaned


def _save_admin(admin: Admin) -> None:
    try:
        with transaction.atomic():
            admin.save()
    except IntegrityError:
        raise DuplicateLogin(msg("The login '%(login)s' is already used in this customer.",
                                 login=admin.login), field="login") from None


def _set_credentials(admin: Admin, specs: list[CredentialSpec]) -> None:
    admin.credentials.all().delete()
    Credential.objects.bulk_create(
        [Credential(admin=admin, role=s.role.value, organization=s.organization) for s in dict.fromkeys(specs)]
    )
    admin.forget_credentials()


def _credential_summary(admin: Admin) -> list[str]:
    return sorted(str(c.role if c.organization_id is None else f"{c.role}@{c.organization_id}")
                  for c in admin.credential_list())


# ---------------------------------------------------------------------------
# Verbs


@transaction.atomic
def create_admin(actor: Actor, *, password: str, credentials: Iterable[Any], privileges: Iterable[Any] = (),
                 must_change_password: bool = True, **values: Any) -> Admin:
    """Create an admin with roles and privileges the actor may grant. The new admin must change
    its password at first login unless told otherwise (bootstrap from the environment)."""
    policy.require(actor, Perm.CREATE_ADMIN)
    cleaned = _clean_profile(values, creating=True)
    specs = parse_credentials(actor, credentials)
    privs = parse_privileges(privileges)
    _check_grant(actor, specs, privs)
    admin = Admin(customer=actor.customer, created_by=actor.admin, **cleaned)
    admin.privileges = [p.value for p in privs]
    _check_password(password, admin)
    admin.set_password(password)
    admin.must_change_password = must_change_password
    admin.password_changed_at = timezone.now()
    _save_admin(admin)
    _set_credentials(admin, specs)
    audit.record(actor, "admin.created", admin, after={**audit.snapshot(admin, AUDITED),
                                                       "credentials": _credential_summary(admin)})
    events.emit(signals.admin_created, Admin, admin_id=admin.pk, customer_id=admin.customer_id,
                created_by_id=admin.created_by_id)
    return admin


@transaction.atomic
def update_admin(actor: Actor, admin: Admin, *, credentials: Iterable[Any] | None = None,
                 privileges: Iterable[Any] | None = None, password: str | None = None, **values: Any) -> Admin:
    admin = Admin.objects.select_for_update().get(pk=admin.pk)
    policy.require(actor, Perm.EDIT_ADMIN, admin)
    before = {**audit.snapshot(admin, AUDITED), "credentials": _credential_summary(admin)}
    cleaned = _clean_profile(values, creating=False)
    current = [CredentialSpec(c.role_enum, c.organization) for c in admin.credential_list()]
    specs = parse_credentials(actor, credentials) if credentials is not None else current
    privs = parse_privileges(privileges) if privileges is not None else [
        p for p in (parse_privilege(n) for n in admin.privileges) if p is not None
    ]
    # Privileges the target already holds may stay even if the actor lacks them; new ones may not.
    new_privs = [p for p in privs if p.value not in admin.privileges]
    _check_grant(actor, specs, new_privs, keep=current)
    allowed: set[Privilege] = set()
    for spec in specs:
        allowed |= PRIVILEGES_BY_ROLE[spec.role]
    stale = [p.value for p in privs if p not in allowed]
    if stale:
        raise PrivilegeRefused(msg("The privilege(s) %(stale)s cannot be kept with the new roles.",
                                   stale=', '.join(stale)),
                               field="privileges")
    for key, value in cleaned.items():
        setattr(admin, key, value)
    admin.privileges = [p.value for p in privs]
    if password:
        _check_password(password, admin)
        admin.set_password(password)
        admin.must_change_password = True
        admin.password_changed_at = timezone.now()
    _save_admin(admin)
    if credentials is not None:
        _set_credentials(admin, specs)
        # The target must stay inside the actor's scope after the change (no moving out).
        policy.require(actor, Perm.EDIT_ADMIN, admin)
    after = {**audit.snapshot(admin, AUDITED), "credentials": _credential_summary(admin)}
    changes = audit.diff(before, after)
    if password:
        changes["password"] = "reset"
    if changes:
        audit.record(actor, "admin.updated", admin, changes=changes)
    return admin


@transaction.atomic
def set_admin_active(actor: Actor, admin: Admin, active: bool) -> Admin:
    admin = Admin.objects.select_for_update().get(pk=admin.pk)
    policy.require(actor, Perm.EDIT_ADMIN, admin)
    if admin.is_active != active:
        admin.is_active = active
        admin.save(update_fields=["is_active", "modified"])
        audit.record(actor, "admin.enabled" if active else "admin.disabled", admin)
    return admin


@transaction.atomic
def reset_password(actor: Actor, admin: Admin, new_password: str | None = None) -> tuple[Admin, str]:
    """Another admin of the same scope sets a new password; it must be changed at next login.
    Returns the admin and the password (generated when none is given)."""
    admin = Admin.objects.select_for_update().get(pk=admin.pk)
    policy.require(actor, Perm.RESET_PASSWORD, admin)
    password = new_password or generate_password()
    _check_password(password, admin)
    admin.set_password(password)
    admin.must_change_password = True
    admin.password_changed_at = timezone.now()
    admin.save(update_fields=["password", "must_change_password", "password_changed_at", "modified"])
    audit.record(actor, "admin.password_reset", admin)
    return admin, password


@transaction.atomic
def change_own_password(actor: Actor, new_password: str, *, current_password: str | None = None) -> Admin:
    """The admin changes its own password (also the way out of a forced change)."""
    admin = Admin.objects.select_for_update().get(pk=actor.admin.pk)
    if current_password is not None and not admin.check_password(current_password):
        raise PasswordRejected("The current password is wrong.", field="current_password", code=-976)
    if not isinstance(new_password, str) or not new_password:
        raise PasswordRejected("A new password is required.", field="new_password", code=-7)
    if admin.check_password(new_password):
        raise PasswordRejected("The new password must differ from the current one.", field="new_password",
                               code=-977)
    try:
        _check_password(new_password, admin)
    except PasswordRejected as exc:
        exc.field = "new_password"
        raise
    admin.set_password(new_password)
    admin.must_change_password = False
    admin.password_changed_at = timezone.now()
    admin.save(update_fields=["password", "must_change_password", "password_changed_at", "modified"])
    audit.record(actor, "admin.password_changed", admin)
    return admin


@transaction.atomic
def delete_admin(actor: Actor, admin: Admin) -> None:
    admin = Admin.objects.select_for_update().get(pk=admin.pk)
    policy.require(actor, Perm.DELETE_ADMIN, admin)
    audit.record(actor, "admin.deleted", admin, before={**audit.snapshot(admin, AUDITED),
                                                        "credentials": _credential_summary(admin)})
    admin.delete()


@transaction.atomic
def set_own_preferences(actor: Actor, *, language: str | None = None, time_zone: str | None = None) -> Admin:
    """The admin's own display preferences (portal language, time zone)."""
    import zoneinfo

    admin = Admin.objects.select_for_update().get(pk=actor.admin.pk)
    before = audit.snapshot(admin, ("language", "time_zone"))
    if language is not None:
        if language not in dict(settings.LANGUAGES):
            raise InvalidInput(msg("Unknown language '%(language)s'.", language=language), field="language")
        admin.language = language
    if time_zone is not None:
        if time_zone and time_zone not in zoneinfo.available_timezones():
            raise InvalidInput(msg("Unknown time zone '%(time_zone)s'.", time_zone=time_zone), field="time_zone")
        admin.time_zone = time_zone
    changes = audit.diff(before, audit.snapshot(admin, ("language", "time_zone")))
    if changes:
        admin.save(update_fields=["language", "time_zone", "modified"])
        audit.record(actor, "admin.preferences_changed", admin, changes=changes)
    return admin


def generate_password() -> str:
    return secrets.token_urlsafe(15)


# ---------------------------------------------------------------------------
# Bootstrap


@transaction.atomic
def bootstrap(customer_uri: str, login: str, password: str | None) -> tuple[Customer, Admin, str | None, bool]:
    """Create (once) the customer and its MRAO. Returns (customer, admin, generated_password, created).

    A password from the environment is taken as chosen by the operator: no forced change.
    """
    uri = customer_uri.strip().lower()
    if not re.match(r"^[a-z0-9][a-z0-9-]{0,62}$", uri):
        raise InvalidInput("The customer URI must be lowercase letters, digits and '-'.", field="customerUri")
    customer, _ = Customer.objects.get_or_create(uri=uri, defaults={"name": uri})
    system = Actor.system(customer, label="bootstrap")
    admin = Admin.objects.filter(customer=customer, login=login).first()
    if admin is not None:
        return customer, admin, None, False
    generated = None
    if not password:
        generated = password = generate_password()
    admin = create_admin(
        system, login=login, email=f"{login}@{uri}.invalid", forename="Master", surname="Administrator",
        password=password, credentials=[CredentialSpec(Role.MRAO, None)], privileges=list(Privilege),
        must_change_password=generated is not None,
    )
    return customer, admin, generated, True
