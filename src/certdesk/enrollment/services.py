"""The verbs of self-enrollment (seed 003 §7.4.2): manage SSL web form accounts, open a form with
its access code, and request a certificate through it.

Accounts are managed by whoever may request SSL certificates for their organization or
department (`Perm.MANAGE_WEB_FORM`). A request goes through the one certificate pipeline
(`certificates.services.request_ssl`) with every check of any other request; the form's
"automatically approve" never applies to EV (the pipeline refuses it).
"""
from __future__ import annotations

import secrets
import string
import time
from dataclasses import dataclass
from typing import Iterable

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from certdesk.accounts import policy, ratelimit
from certdesk.accounts.models import RateCounter
from certdesk.accounts.policy import Perm
from certdesk.accounts.roles import Privilege
from certdesk.certificates import services as certificates
from certdesk.certificates.models import Certificate, Profile
from certdesk.core import audit, validators
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import InvalidInput, NotFound, PermissionDenied
from certdesk.core.i18n import msg
from certdesk.tenancy.models import Organization

from . import queries
from .errors import AccessRefused, ProfileNotOffered, WebFormInvalid
from .models import WebFormAccount, WebFormRequest

ACCESS_CODE_MIN = 8
ACCESS_CODE_MAX = 128
GENERATED_CODE_LENGTH = 16
_CODE_ALPHABET = string.ascii_letters + string.digits
# One message for an unknown form, a disabled one, a wrong code and too many attempts (no oracle).
ACCESS_REFUSED = "This access code is not valid for this form, or the form is not available."
_DUMMY_HASH: str | None = None
_SESSION_SALT = "certdesk.enrollment.session"


# ---------------------------------------------------------------------------
# Account fields


def _clean_name(customer, name, *, exclude: int | None = None) -> str:
    name = validators.plain_text(name, field="name", label="Name", required=True, max_length=128)
    others = WebFormAccount.objects.filter(customer=customer, name__iexact=name)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise WebFormInvalid("A web form account with this name already exists.", field="name")
    return name


def _clean_profiles(customer, profiles: Iterable) -> list[Profile]:
    wanted = []
    for item in profiles or ():
        pk = item.pk if isinstance(item, Profile) else item
        try:
            wanted.append(int(pk))
        except (TypeError, ValueError):
            raise WebFormInvalid("Unknown certificate profile.", field="profiles") from None
    if not wanted:
        raise WebFormInvalid("Assign at least one certificate profile.", field="profiles")
    if Profile.objects.filter(pk__in=wanted, validation_only=True).exists():
        raise WebFormInvalid("The EV Anchor (validation only) profile cannot be offered on a web form: it is not a "
                             "certificate, and would only confuse self-enrolling users.", field="profiles")
    found = list(queries.offerable_profiles(customer).filter(pk__in=wanted))
    if len(found) != len(set(wanted)):
        raise WebFormInvalid("Unknown certificate profile.", field="profiles")
    return found


def _clean_flag(value, field: str, label: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(msg("%(label)s must be true or false.", label=label), field=field)
    return value


def _check_auto_approve(actor: Actor, auto_approve: bool) -> None:
    """Only an admin who may auto-approve its own requests lets a form auto-approve (no escalation
    through a form); an MRAO always may."""
    if auto_approve and actor.admin is not None and not policy.is_mrao(actor) and not actor.admin.has_privilege(
            Privilege.AUTO_APPROVE_CERTIFICATES):
        raise PermissionDenied("You do not have the SSL auto approve privilege (autoApproveCertificates), so your "
                               "web forms cannot approve requests automatically.", field="auto_approve")


def clean_access_code(code) -> str:
    if not isinstance(code, str):
        raise WebFormInvalid("The access code must be text.", field="access_code")
    if len(code) < ACCESS_CODE_MIN:
        raise WebFormInvalid("The access code must be at least 8 characters long.", field="access_code")
    if len(code) > ACCESS_CODE_MAX:
        raise WebFormInvalid("The access code must be at most 128 characters long.", field="access_code")
    if code != code.strip() or any(ord(ch) < 32 or ord(ch) == 127 for ch in code):
        raise WebFormInvalid("The access code cannot contain control characters or start or end with a space.",
                             field="access_code")
    return code


def generate_access_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(GENERATED_CODE_LENGTH))


def _require(actor: Actor, organization: Organization) -> None:
    if actor.customer is None or organization.customer_id != actor.customer.pk:
        raise NotFound("Organization not found.", code=-1023)
    policy.require(actor, Perm.MANAGE_WEB_FORM, organization)


def _locked(account: WebFormAccount) -> WebFormAccount:
    return WebFormAccount.objects.select_for_update().select_related("organization", "customer").get(pk=account.pk)


# ---------------------------------------------------------------------------
# Managing accounts


def create_account(actor: Actor, *, organization: Organization, name, profiles: Iterable, auto_approve: bool = False,
                   allow_auto_renew: bool = False, access_code: str | None = None) -> tuple[WebFormAccount, str]:
    """A new SSL web form account. Returns it and its access code (the one given, else a generated
    one), shown this once: only its hash is kept."""
    _require(actor, organization)
    name = _clean_name(actor.customer, name)
    chosen = _clean_profiles(actor.customer, profiles)
    auto_approve = _clean_flag(auto_approve, "auto_approve", "Automatically approve requests")
    allow_auto_renew = _clean_flag(allow_auto_renew, "allow_auto_renew", "Allow auto renew")
    _check_auto_approve(actor, auto_approve)
    code = generate_access_code() if access_code in (None, "") else clean_access_code(access_code)
    try:
        with transaction.atomic():
            account = WebFormAccount.objects.create(
                customer=actor.customer, organization=organization, name=name, auto_approve=auto_approve,
                allow_auto_renew=allow_auto_renew, access_code_hash=make_password(code), created_by=actor.admin,
                code_changed=timezone.now())
            account.profiles.set(chosen)
            audit.record(actor, "enrollment.web_form_created", account, customer=actor.customer, name=name,
                         organization=organization.pk, profiles=[p.name for p in chosen], auto_approve=auto_approve,
                         allow_auto_renew=allow_auto_renew)
    except IntegrityError:
        raise WebFormInvalid("A web form account with this name already exists.", field="name") from None
    return account, code


def update_account(actor: Actor, account: WebFormAccount, *, name=None, organization: Organization | None = None,
                   profiles: Iterable | None = None, auto_approve: bool | None = None,
                   allow_auto_renew: bool | None = None) -> WebFormAccount:
    """Change an account's settings (the access code has its own verb). Moving it to another
    organization or department needs the right on both."""
    with transaction.atomic():
        locked = _locked(account)
        _require(actor, locked.organization)
        changes: dict = {}
        if organization is not None and organization.pk != locked.organization_id:
            _require(actor, organization)
            changes["organization"] = [locked.organization_id, organization.pk]
            locked.organization = organization
        if name is not None:
            name = _clean_name(actor.customer, name, exclude=locked.pk)
            if name != locked.name:
                changes["name"] = [locked.name, name]
                locked.name = name
        for field, value, label in (("auto_approve", auto_approve, "Automatically approve requests"),
                                    ("allow_auto_renew", allow_auto_renew, "Allow auto renew")):
            if value is None:
                continue
            value = _clean_flag(value, field, label)
            if value != getattr(locked, field):
                changes[field] = [getattr(locked, field), value]
                setattr(locked, field, value)
        if changes.get("auto_approve", [None, False])[1]:
            _check_auto_approve(actor, True)
        if profiles is not None:
            chosen = _clean_profiles(actor.customer, profiles)
            before = sorted(p.name for p in locked.profiles.all())
            after = sorted(p.name for p in chosen)
            if before != after:
                locked.profiles.set(chosen)
                changes["profiles"] = [before, after]
        if changes:
            locked.save()
            audit.record(actor, "enrollment.web_form_updated", locked, customer=locked.customer, **changes)
    return locked


def regenerate_access_code(actor: Actor, account: WebFormAccount, *, access_code: str | None = None
                           ) -> tuple[WebFormAccount, str]:
    """A new access code (the one given, else a generated one), shown once. Forms opened with the
    old code stop working at once."""
    code = generate_access_code() if access_code in (None, "") else clean_access_code(access_code)
    with transaction.atomic():
        locked = _locked(account)
        _require(actor, locked.organization)
        locked.access_code_hash = make_password(code)
        locked.code_changed = timezone.now()
        locked.save(update_fields=["access_code_hash", "code_changed", "modified"])
        audit.record(actor, "enrollment.web_form_code_changed", locked, customer=locked.customer)
    return locked, code


def set_enabled(actor: Actor, account: WebFormAccount, enabled: bool) -> WebFormAccount:
    enabled = _clean_flag(enabled, "enabled", "Enabled")
    with transaction.atomic():
        locked = _locked(account)
        _require(actor, locked.organization)
        if locked.enabled != enabled:
            locked.enabled = enabled
            locked.save(update_fields=["enabled", "modified"])
            audit.record(actor, "enrollment.web_form_enabled" if enabled else "enrollment.web_form_disabled",
                         locked, customer=locked.customer, enabled=[not enabled, enabled])
    return locked


def delete_account(actor: Actor, account: WebFormAccount) -> None:
    """Delete the account; certificates requested through it stay, and so do their download links."""
    with transaction.atomic():
        locked = _locked(account)
        _require(actor, locked.organization)
        audit.record(actor, "enrollment.web_form_deleted", locked, customer=locked.customer, name=locked.name,
                     organization=locked.organization_id)
        locked.delete()


# ---------------------------------------------------------------------------
# The public form: opening it with the access code (rate-limited)


@dataclass(frozen=True)
class _Limit:
    bucket: str
    limit: int


def _limits(slug: str, ip: str) -> list[_Limit]:
    """Wrong codes allowed per window (CERTDESK_LOGIN_FAILURE_WINDOW), as for logins: from one address
    on one form (LOGIN_MAX_FAILURES), from one address on any form (4x), on one form from anywhere (10x)."""
    limit = settings.LOGIN_MAX_FAILURES
    out = [_Limit(f"enroll:form:{slug}:{ip}", limit), _Limit(f"enroll:form:{slug}", limit * 10)]
    if ip:
        out.append(_Limit(f"enroll:ip:{ip}", limit * 4))
    return out


def _blocked(limits: list[_Limit], now: float) -> bool:
    period = max(1, settings.LOGIN_FAILURE_WINDOW)
    window = int(now // period) * period
    hits = dict(RateCounter.objects.filter(bucket__in=[l.bucket[:160] for l in limits], window_start=window)
                .values_list("bucket", "hits"))
    return any(hits.get(l.bucket[:160], 0) >= l.limit for l in limits)


def _dummy_check(code: str) -> None:
    """Spend the time of a real check, so unknown forms are not told apart by timing."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = make_password(secrets.token_hex(16))
    check_password(code, _DUMMY_HASH)


def _clean_slug(slug) -> str:
    slug = slug if isinstance(slug, str) else ""
    return slug if 0 < len(slug) <= 64 and all(ch in _CODE_ALPHABET + "-_" for ch in slug) else ""


def session_stamp(account: WebFormAccount) -> str:
    """What a browser session keeps once the code was right: it stops matching when the code changes."""
    return salted_hmac(_SESSION_SALT, f"{account.pk}:{account.access_code_hash}", algorithm="sha256").hexdigest()[:32]


def open_form(slug, access_code, *, ip: str = "") -> WebFormAccount:
    """The enabled account of this form when `access_code` is its code; AccessRefused otherwise,
    with the same message whether the form is unknown, disabled, the code wrong or the address
    blocked after too many wrong codes."""
    code = access_code if isinstance(access_code, str) else ""
    slug = _clean_slug(slug)
    now = time.time()
    limits = _limits(slug or "-", ip or "")
    if not code or len(code) > ACCESS_CODE_MAX or _blocked(limits, now):
        _dummy_check(code[:ACCESS_CODE_MAX])
        if code:
            ratelimit.hit(*[(l.bucket, max(1, settings.LOGIN_FAILURE_WINDOW)) for l in limits], now=now)
        raise AccessRefused(ACCESS_REFUSED, field="access_code")
    account = (WebFormAccount.objects.select_related("customer", "organization", "organization__parent")
               .filter(slug=slug).first() if slug else None)
    if account is None:
        _dummy_check(code)
        ok = False
    else:
        ok = check_password(code, account.access_code_hash) and account.enabled
    if not ok:
        ratelimit.hit(*[(l.bucket, max(1, settings.LOGIN_FAILURE_WINDOW)) for l in limits], now=now)
        raise AccessRefused(ACCESS_REFUSED, field="access_code")
    return account


def form_for_session(slug, stamp) -> WebFormAccount:
    """The account of a form a browser opened earlier (its session stamp), while it is enabled and
    its code unchanged; AccessRefused otherwise."""
    slug = _clean_slug(slug)
    account = (WebFormAccount.objects.select_related("customer", "organization", "organization__parent")
               .filter(slug=slug, enabled=True).first() if slug else None)
    if account is None or not isinstance(stamp, str) or not secrets.compare_digest(session_stamp(account), stamp):
        raise AccessRefused(ACCESS_REFUSED, field="access_code")
    return account


def clean_requester_email(email) -> str:
    return validators.email(email, field="email", label="Your email address")


# ---------------------------------------------------------------------------
# The public form: requesting a certificate


def self_enrollment_actor(account: WebFormAccount, email: str, ip: str = "") -> Actor:
    """A self-enrolling user: no admin, the form's customer; recorded as requester by its email and form."""
    label = f"{email} (self-enrollment: {account.name})"[:200]
    return Actor(customer=account.customer, admin=None, interface=Interface.PORTAL, ip=ip or None,
                 label_override=label)


def request_certificate(account: WebFormAccount, *, email, profile_id, csr_pem, term, subject_alt_names="",
                        comments="", auto_renew: bool = False, ip: str = "") -> Certificate:
    """Request an SSL certificate through a web form, by the one pipeline every request takes:
    names delegated to the form's organization/department with a valid DCV, key strength, CAA,
    organization validated, EV anchor... The result is REQUESTED for the RAO/DRAO, or issued at
    once when the form approves automatically (never EV)."""
    account = (WebFormAccount.objects.select_related("customer", "organization", "organization__parent")
               .filter(pk=account.pk, enabled=True).first())
    if account is None:
        raise AccessRefused(ACCESS_REFUSED, field="access_code")
    email = clean_requester_email(email)
    try:
        profile_pk = int(profile_id)
    except (TypeError, ValueError):
        profile_pk = None
    profile = next((p for p in queries.offered_profiles(account) if p.pk == profile_pk), None)
    if profile is None:
        raise ProfileNotOffered("This certificate type is not offered by this form.", field="profile")
    if not isinstance(auto_renew, bool):
        raise InvalidInput("Auto renew must be true or false.", field="auto_renew")
    if auto_renew and not account.allow_auto_renew:
        raise InvalidInput("This form does not allow automatic renewal.", field="auto_renew")
    actor = self_enrollment_actor(account, email, ip)
    cert = certificates.request_ssl(
        actor, organization=account.organization, profile=profile, csr_pem=csr_pem, term=term,
        subject_alt_names=subject_alt_names or (), external_requester=email, comments=comments or "",
        auto_renew=auto_renew, requested_via=queries.REQUESTED_VIA, auto_approve=account.auto_approve)
    WebFormRequest.objects.create(account=account, account_name=account.name, certificate=cert, email=email,
                                  ip=(ip or "")[:45])
    return cert
