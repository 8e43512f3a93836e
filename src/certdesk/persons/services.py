"""The verbs of persons: add, change, delete (SCM's Persons menu and `/api/person`).

Who may: accounts.policy (MRAO; RAO/DRAO of client certificates in their organizations and
departments). What a person must be:

- first and last name (at most 64 characters each), an email unique in the customer whatever
  its case, a validation type STANDARD or HIGH; a common name, by default "First Last";
- the email's domain delegated (ACTIVE, for client certificates) to the person's own
  organization or department, as a certificate name must be (domains.queries
  `is_name_authorized`): seed 000 needs the domain before person certificate requests, and SCM
  offers only those domains when a person is added. DCV is not required here: it is checked
  when a certificate is requested;
- secondary emails: valid, distinct addresses (their domains are checked when a certificate
  names them, not here); EPPN and UPN `user@scope`; an EPPN is unique in the customer too.

Changing the email, the secondary emails or the EPPN of a person who holds client certificates
may, in SCM, revoke them. certdesk issues no client certificates yet: nothing is revoked, the
audit row says which of those fields changed (`identity_changed`).
"""
from __future__ import annotations

import re
from typing import Any, Iterable

from django.db import IntegrityError, transaction

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core import audit, validators
from certdesk.core.actor import Actor
from certdesk.core.i18n import msg
from certdesk.domains import names
from certdesk.domains.errors import InvalidDomainName
from certdesk.domains.models import Delegation, Domain
from certdesk.domains.queries import covering_domain_names
from certdesk.domains.states import DelegationStatus, DomainState
from certdesk.tenancy.models import Organization

from .errors import DuplicatePerson, EmailDomainNotDelegated, PersonInvalid, PersonNotFound
from .models import Person, ValidationType

NAME_LENGTH = 64
COMMON_NAME_LENGTH = 64  # X.520 ub-common-name
PHONE_LENGTH = 32
ID_LENGTH = 256  # EPPN, UPN
MAX_SECONDARY_EMAILS = 20
IDENTITY_FIELDS = ("email", "secondary_emails", "eppn")
AUDITED = ("organization", "email", "first_name", "middle_name", "last_name", "validation_type", "phone",
           "common_name", "secondary_emails", "eppn", "upn")
EDITABLE = AUDITED

_PHONE_RE = re.compile(r"^\+?[0-9 ().\-/]{1,32}(?: ?(?:x|ext\.?) ?[0-9]{1,8})?$")
_PRINCIPAL_RE = re.compile(r"^[^@\s]+@[^@\s]+$")
# Field labels as messages, so the portal shows them translated inside the validators' refusals.
LABELS = {
    "first_name": msg("First name"), "middle_name": msg("Middle name"), "last_name": msg("Last name"),
    "common_name": msg("Common name"), "phone": msg("Phone"), "eppn": msg("EPPN"), "upn": msg("UPN"),
    "email": msg("Email"), "secondary_emails": msg("Secondary email"),
}


# ---------------------------------------------------------------------------
# Cleaning (shape and rules of each field)


def _email(value, *, field: str = "email", label: str = LABELS["email"]) -> str:
    value = validators.email(value, field=field, label=label)
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _secondary_emails(value, primary: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [part for part in re.split(r"[\s,;]+", value) if part]
    if not isinstance(value, (list, tuple)):
        raise PersonInvalid(msg("Secondary emails must be a list of email addresses."), field="secondary_emails")
    out: list[str] = []
    seen = {primary.lower()}
    for item in value:
        address = _email(item, field="secondary_emails", label=LABELS["secondary_emails"])
        if address.lower() in seen:
            continue  # the primary email, or given twice: kept once
        seen.add(address.lower())
        out.append(address)
    if len(out) > MAX_SECONDARY_EMAILS:
        raise PersonInvalid(msg("At most %(count)s secondary emails.", count=MAX_SECONDARY_EMAILS),
                            field="secondary_emails")
    return out


def _principal(value, *, field: str) -> str:
    label = LABELS[field]
    value = validators.plain_text(value, field=field, label=label, max_length=ID_LENGTH)
    if value and not _PRINCIPAL_RE.match(value):
        raise PersonInvalid(msg("%(label)s must read user@scope (for example jdupont@univ-example.fr).",
                                label=label), field=field)
    return value


def _phone(value) -> str:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    value = validators.plain_text(value, field="phone", label=LABELS["phone"], max_length=PHONE_LENGTH)
    if value and not _PHONE_RE.match(value):
        raise PersonInvalid(msg("Phone may hold digits, spaces, + ( ) . - / and an extension (x123) only."),
                            field="phone")
    return value


def _validation_type(value) -> str:
    if value in (None, ""):
        return ValidationType.STANDARD
    text = str(value).strip().upper() if isinstance(value, str) else ""
    if text not in ValidationType.values:
        raise PersonInvalid(msg("Validation type must be STANDARD or HIGH."), field="validation_type")
    return text


def _clean(values: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name in ("first_name", "last_name", "middle_name"):
        if name in values or (creating and name != "middle_name"):
            cleaned[name] = validators.plain_text(values.get(name), field=name, label=LABELS[name],
                                                  required=name != "middle_name", max_length=NAME_LENGTH)
    if "email" in values or creating:
        cleaned["email"] = _email(values.get("email"))
    if "validation_type" in values or creating:
        cleaned["validation_type"] = _validation_type(values.get("validation_type"))
    if "phone" in values:
        cleaned["phone"] = _phone(values["phone"])
    if "common_name" in values:
        cleaned["common_name"] = validators.plain_text(values["common_name"], field="common_name",
                                                       label=LABELS["common_name"], max_length=COMMON_NAME_LENGTH)
    for name in ("eppn", "upn"):
        if name in values:
            cleaned[name] = _principal(values[name], field=name)
    return cleaned


def _default_common_name(first_name: str, last_name: str) -> str:
    common_name = f"{first_name} {last_name}"
    if len(common_name) > COMMON_NAME_LENGTH:
        raise PersonInvalid(msg("The common name “%(name)s” made of the first and last names is longer than "
                                "%(count)s characters: give a shorter common name.", name=common_name,
                                count=COMMON_NAME_LENGTH), field="common_name")
    return common_name


def email_domain_delegated(organization: Organization, email: str) -> bool:
    """Whether the email's domain is delegated (ACTIVE, for client certificates) to exactly this
    organization or department, by its own name or a wildcard above it, the domain not suspended."""
    try:
        domain_name = names.normalize(email.rpartition("@")[2])
    except InvalidDomainName:
        return False
    candidates = [d for d in Domain.objects.filter(customer_id=organization.customer_id, state=DomainState.ACTIVE,
                                                   name__in=covering_domain_names(domain_name))
                  if names.delegation_covers(d.name, domain_name)]
    if not candidates:
        return False
    return any("SMIME" in (delegation.cert_types or []) for delegation in Delegation.objects.filter(
        domain__in=candidates, organization=organization, status=DelegationStatus.ACTIVE))


def _require_email_domain(organization: Organization, email: str) -> None:
    if not email_domain_delegated(organization, email):
        raise EmailDomainNotDelegated(msg("The domain of %(email)s is not delegated to %(organization)s for client "
                                          "certificates: delegate it "
                                          "(Domains menu, certificate type Client certificate) before adding "
                                          "persons with this address.",
                                          email=email, organization=str(organization)), field="email")


def _require_unique(customer_id: int, *, email: str | None = None, eppn: str | None = None,
                    exclude: int | None = None) -> None:
    others = Person.objects.filter(customer_id=customer_id)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if email and others.filter(email__iexact=email).exists():
        raise DuplicatePerson(msg("A person with the email %(email)s already exists.", email=email), field="email")
    if eppn and others.filter(eppn__iexact=eppn).exists():
        raise DuplicatePerson(msg("A person with the EPPN %(eppn)s already exists.", eppn=eppn), field="eppn")


def _save(person: Person, *, email: str, eppn: str, update_fields: Iterable[str] | None = None) -> None:
    """Save; a concurrent twin that passed the uniqueness check at the same moment is refused the same way."""
    try:
        with transaction.atomic():
            person.save(update_fields=update_fields)
    except IntegrityError:
        _require_unique(person.customer_id, email=email, eppn=eppn, exclude=person.pk)
        raise DuplicatePerson(msg("A person with the email %(email)s already exists.", email=email),
                              field="email") from None


# ---------------------------------------------------------------------------
# The verbs


def _locked(person: Person) -> Person:
    """The person's row, locked; gone meanwhile (deleted by another admin) reads as not found."""
    locked = Person.objects.select_for_update().select_related("organization").filter(pk=person.pk).first()
    if locked is None:
        raise PersonNotFound("Person not found.")
    return locked


@transaction.atomic
def create_person(actor: Actor, organization: Organization, *, email: str, first_name: str, last_name: str,
                  middle_name: str = "", validation_type: str = ValidationType.STANDARD, phone: str = "",
                  common_name: str = "", secondary_emails: Iterable[str] | None = None, eppn: str = "",
                  upn: str = "") -> Person:
    """Add a person to an organization or department in the actor's client-certificate scope."""
    policy.require(actor, Perm.MANAGE_PERSON, organization)
    values = _clean({"email": email, "first_name": first_name, "last_name": last_name, "middle_name": middle_name,
                     "validation_type": validation_type, "phone": phone, "common_name": common_name,
                     "eppn": eppn, "upn": upn}, creating=True)
    values["secondary_emails"] = _secondary_emails(secondary_emails, values["email"])
    if not values["common_name"]:
        values["common_name"] = _default_common_name(values["first_name"], values["last_name"])
    _require_unique(organization.customer_id, email=values["email"], eppn=values["eppn"])
    _require_email_domain(organization, values["email"])
    person = Person(customer_id=organization.customer_id, organization=organization, created_by=actor.label,
                    modified_by=actor.label, **values)
    _save(person, email=values["email"], eppn=values["eppn"])
    audit.record(actor, "person.created", person, after=audit.snapshot(person, AUDITED))
    return person


@transaction.atomic
def update_person(actor: Actor, person: Person, *, organization: Organization | None = None,
                  **changes: Any) -> Person:
    """Change the fields given (any of EDITABLE; absent = unchanged, "" clears an optional one), and
    move the person to `organization` when given (the actor must manage persons there too)."""
    person = _locked(person)
    policy.require(actor, Perm.MANAGE_PERSON, person)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise PersonInvalid(msg("Unknown person field(s): %(fields)s.", fields=", ".join(sorted(unknown))))
    if organization is not None and organization.pk != person.organization_id:
        policy.require(actor, Perm.MANAGE_PERSON, organization)
        if organization.customer_id != person.customer_id:  # pragma: no cover - the policy refuses it first
            raise PersonInvalid("A person cannot move to another customer.", field="organization")
    target = organization or person.organization
    before = audit.snapshot(person, AUDITED)
    values = _clean(changes, creating=False)
    email = values.get("email", person.email)
    if "secondary_emails" in changes:
        values["secondary_emails"] = _secondary_emails(changes["secondary_emails"], email)
    elif "email" in values:  # the new primary may have been one of the secondary emails
        values["secondary_emails"] = [e for e in person.secondary_emails or [] if e.lower() != email.lower()]
    first, last = values.get("first_name", person.first_name), values.get("last_name", person.last_name)
    if "common_name" in values and not values["common_name"]:
        values["common_name"] = _default_common_name(first, last)
    elif "common_name" not in values and person.common_name == f"{person.first_name} {person.last_name}":
        # a common name that was the default follows the names it was made of
        values["common_name"] = _default_common_name(first, last)
    _require_unique(person.customer_id, email=values.get("email"), eppn=values.get("eppn"), exclude=person.pk)
    if "email" in values and values["email"].lower() != person.email.lower() or target.pk != person.organization_id:
        _require_email_domain(target, email)
    for name, value in values.items():
        setattr(person, name, value)
    person.organization = target
    after = audit.snapshot(person, AUDITED)
    changed = audit.diff(before, after)
    if not changed:
        return person
    person.modified_by = actor.label
    _save(person, email=person.email, eppn=person.eppn)
    identity = sorted(name for name in IDENTITY_FIELDS if name in changed)
    extra = {"identity_changed": identity} if identity else {}
    audit.record(actor, "person.updated", person, changes=changed, **extra)
    return person


@transaction.atomic
def delete_person(actor: Actor, person: Person) -> None:
    person = _locked(person)
    policy.require(actor, Perm.MANAGE_PERSON, person)
    from certdesk.certificates.models import Certificate

    held = Certificate.objects.filter(person_id=person.pk).count()
    if held:
        raise PersonInvalid(msg("%(person)s holds %(count)s client certificate(s): a person with certificates "
                                "cannot be deleted (revoke them if needed; the history is kept).",
                                person=str(person), count=held))
    audit.record(actor, "person.deleted", person, before=audit.snapshot(person, AUDITED))
    person.delete()
