"""The verbs of tenancy: organizations, departments and their validation (OV anchor)."""
from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core import audit, validators
from certdesk.core.actor import Actor
from certdesk.core.errors import InvalidInput, PermissionDenied
from certdesk.core.i18n import msg

from .errors import DuplicateOrganization, OrganizationRefused
from .models import CertType, Customer, Organization, OrganizationValidation
from .states import ValidationLevel, ValidationRequestStatus, ValidationStatus, check

# Fields any editor may set, with how they are cleaned.
TEXT_FIELDS = {
    "name": ("Name", True, 64),
    "secondary_name": ("Secondary organization name", False, 64),
    "address1": ("Street", False, 128),
    "address2": ("Address line 2", False, 128),
    "address3": ("Address line 3", False, 128),
    "city": ("Locality", False, 128),
    "state_province": ("State or province", False, 128),
    "postal_code": ("Postal code", False, 40),
}
PLAIN_FIELDS = {
    "alias": ("Organization alias", 64),
    "academic_code": ("Academic code (SCHAC home organization)", 128),
}
EV_FIELDS = (
    "ev_jurisdiction_country", "ev_jurisdiction_state", "ev_jurisdiction_locality",
    "ev_business_category", "ev_registration_number", "ev_incorporation_date",
)
EV_BUSINESS_CATEGORIES = ("Private Organization", "Government Entity", "Business Entity", "Non-Commercial Entity")
FLAG_FIELDS = ("ssl_certs_api_enabled", "client_certs_api_enabled")
AUDITED = tuple(TEXT_FIELDS) + tuple(PLAIN_FIELDS) + ("country", "contact_emails", "cert_types") + EV_FIELDS + FLAG_FIELDS


def _clean(values: dict[str, Any], *, creating: bool, is_department: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, (label, required, max_length) in TEXT_FIELDS.items():
        if name in values or (creating and required):
            cleaned[name] = validators.subject_text(
                values.get(name), field=name, label=label, required=required, max_length=max_length
            )
    for name, (label, max_length) in PLAIN_FIELDS.items():
        if name in values:
            cleaned[name] = validators.plain_text(values[name], field=name, label=label, max_length=max_length)
    if "country" in values or (creating and not is_department):
        cleaned["country"] = validators.country(values.get("country"), required=not is_department)
    if creating and not is_department and not (values.get("city") or values.get("state_province")):
        raise InvalidInput("Locality or state/province is required.", field="city")
    if "contact_emails" in values:
        emails = values["contact_emails"] or []
        if isinstance(emails, str):
            emails = [e for e in emails.replace(";", ",").split(",") if e.strip()]
        if not isinstance(emails, list):
            raise InvalidInput("Contact emails must be a list.", field="contact_emails")
        cleaned["contact_emails"] = [validators.email(e, field="contact_emails", label="Contact email") for e in emails]
    if "cert_types" in values:
        types = values["cert_types"] or []
        allowed = {c.value for c in CertType}
        if not isinstance(types, list) or any(not isinstance(t, str) or t not in allowed for t in types):
            raise InvalidInput(msg("Certificate types must be among %(allowed)s.",
                                   allowed=', '.join(sorted(allowed))), field="cert_types")
        cleaned["cert_types"] = [c.value for c in CertType if c.value in types]  # canonical order
    for name in FLAG_FIELDS:
        if name in values:
            if not isinstance(values[name], bool):
                raise InvalidInput(msg("%(name)s must be true or false.", name=name), field=name)
            cleaned[name] = values[name]
    return cleaned


def _clean_ev(values: dict[str, Any]) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "ev_jurisdiction_country" in values:
        cleaned["ev_jurisdiction_country"] = validators.country(
            values["ev_jurisdiction_country"], field="ev_jurisdiction_country", required=False
        )
    for name, label in (("ev_jurisdiction_state", "Jurisdiction state"),
                        ("ev_jurisdiction_locality", "Jurisdiction locality"),
                        ("ev_registration_number", "Registration number")):
        if name in values:
            cleaned[name] = validators.subject_text(values[name], field=name, label=label, max_length=128)
    if "ev_business_category" in values:
        value = values["ev_business_category"] or ""
        if not isinstance(value, str):
            raise InvalidInput("Business category must be text.", field="ev_business_category")
        value = value.strip()
        if value and value not in EV_BUSINESS_CATEGORIES:
            raise InvalidInput(msg("Business category must be one of: %(categories)s.",
                                   categories=", ".join(EV_BUSINESS_CATEGORIES)),
                               field="ev_business_category")
        cleaned["ev_business_category"] = value
    if "ev_incorporation_date" in values:
        cleaned["ev_incorporation_date"] = _parse_date(values["ev_incorporation_date"], field="ev_incorporation_date",
                                                       label="Incorporation date")
    return cleaned


def _parse_date(value: Any, *, field: str, label: str) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidInput(msg("%(label)s must be a date (YYYY-MM-DD).", label=msg(label)), field=field)


def _clean_details(value: Any, depth: int = 0) -> Any:
    """Free-form validation details: JSON scalars, lists and objects, bounded, no control characters."""
    if depth > 5:
        raise InvalidInput("organizationDetails is nested too deeply.", field="organizationDetails")
    if isinstance(value, dict):
        if len(value) > 100:
            raise InvalidInput("organizationDetails has too many fields.", field="organizationDetails")
        return {_clean_details(str(k), depth + 1): _clean_details(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        if len(value) > 100:
            raise InvalidInput("organizationDetails has too many items.", field="organizationDetails")
        return [_clean_details(v, depth + 1) for v in value]
    if isinstance(value, str):
        return validators.plain_text(value, field="organizationDetails", label="organizationDetails",
                                     max_length=1024)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    raise InvalidInput("organizationDetails holds an unsupported value.", field="organizationDetails")


def _save_unique(org: Organization) -> None:
    try:
        with transaction.atomic():
            org.save()
    except IntegrityError:
        if org.parent_id:
            refusal = msg("An organization or department named '%(name)s' already exists in %(parent)s.",
                          name=org.name, parent=org.parent.name)
        else:
            refusal = msg("An organization or department named '%(name)s' already exists for this customer.",
                          name=org.name)
        raise DuplicateOrganization(refusal, field="name") from None


@transaction.atomic
def create_organization(actor: Actor, **values: Any) -> Organization:
    policy.require(actor, Perm.CREATE_ORGANIZATION)
    ev_values = {k: values.pop(k) for k in list(values) if k in EV_FIELDS}
    org = Organization(customer=actor.customer, **_clean(values, creating=True, is_department=False))
    for key, value in _clean_ev(ev_values).items():
        setattr(org, key, value)
    if not org.cert_types:
        org.cert_types = [c.value for c in CertType]
    _save_unique(org)
    audit.record(actor, "organization.created", org, after=audit.snapshot(org, AUDITED))
    return org


@transaction.atomic
def create_department(actor: Actor, parent: Organization, **values: Any) -> Organization:
    policy.require(actor, Perm.CREATE_DEPARTMENT, parent)
    if any(k in EV_FIELDS for k in values):
        raise InvalidInput("Departments have no EV details of their own.")
    cleaned = _clean(values, creating=True, is_department=True)
    dept = Organization(customer=parent.customer, parent=parent, **cleaned)
    if not dept.cert_types:
        dept.cert_types = list(parent.cert_types)
    _save_unique(dept)
    audit.record(actor, "department.created", dept, after=audit.snapshot(dept, AUDITED))
    return dept


@transaction.atomic
def update_organization(actor: Actor, org: Organization, **values: Any) -> Organization:
    org = Organization.objects.select_for_update(of=("self",)).select_related("parent").get(pk=org.pk)
    policy.require(actor, Perm.EDIT_ORGANIZATION, org)
    before = audit.snapshot(org, AUDITED)
    ev_values = {k: values.pop(k) for k in list(values) if k in EV_FIELDS}
    if ev_values:
        if org.is_department:
            raise InvalidInput("Departments have no EV details of their own.")
        policy.require(actor, Perm.EDIT_EV_DETAILS, org)
    for key, value in _clean(values, creating=False, is_department=org.is_department).items():
        setattr(org, key, value)
    for key, value in _clean_ev(ev_values).items():
        setattr(org, key, value)
    after = audit.snapshot(org, AUDITED)
    changes = audit.diff(before, after)
    if changes:
        _save_unique(org)
        audit.record(actor, "department.updated" if org.is_department else "organization.updated", org,
                     changes=changes)
    return org


@transaction.atomic
def delete_organization(actor: Actor, org: Organization) -> None:
    org = Organization.objects.select_for_update().get(pk=org.pk)
    policy.require(actor, Perm.DELETE_ORGANIZATION, org)
    if not org.is_department and org.departments.exists():
        raise OrganizationRefused("Delete the organization's departments first.")
    if org.credentials.exists():
        raise OrganizationRefused("Admins still hold roles on it: remove those roles first.")
    # Records that must outlive nothing they belong to (certificates: on_delete=PROTECT) refuse the
    # deletion here, with a message, instead of a ProtectedError after the audit row was written.
    for relation in org._meta.related_objects:
        if relation.on_delete is models.PROTECT and relation.related_model._default_manager.filter(
                **{relation.field.name: org}).exists():
            raise OrganizationRefused(msg(
                "%(name)s still has %(records)s: they keep it for the inventory and the audit trail, "
                "so it cannot be deleted.", name=org.name, records=relation.related_model._meta.verbose_name_plural))
    audit.record(actor, "department.deleted" if org.is_department else "organization.deleted", org,
                 before=audit.snapshot(org, AUDITED))
    org.delete()


# ---------------------------------------------------------------------------
# Organization validation (the OV/EV anchor)


@transaction.atomic
def submit_validation(actor: Actor, org: Organization, *, level: str = ValidationLevel.OV_SSL,
                      details: dict | None = None) -> OrganizationValidation:
    """An MRAO triggers validation: the organization becomes PENDING."""
    org = Organization.objects.select_for_update().get(pk=org.pk)
    policy.require(actor, Perm.SUBMIT_VALIDATION, org)
    if org.is_department:
        raise OrganizationRefused("Departments follow their organization's validation: validate the organization.")
    if level not in ValidationLevel.values:
        raise InvalidInput(msg("Validation level must be one of %(levels)s.", levels=", ".join(ValidationLevel.values)),
                           field="validationLevel")
    status = org.effective_validation_status()
    check("submit", status)
    if details is not None and not isinstance(details, dict):
        raise InvalidInput("organizationDetails must be an object.", field="organizationDetails")
    details = _clean_details(details or {})
    validation = OrganizationValidation.objects.create(
        organization=org, level=level, details=details or {}, submitted_by=actor.admin,
    )
    before = org.validation_status
    org.validation_status = ValidationStatus.PENDING
    org.save(update_fields=["validation_status", "modified"])
    audit.record(actor, "organization.validation_submitted", org, level=level, validation_id=validation.pk,
                 status=[before, org.validation_status])
    return validation


def _decide_checks(actor: Actor, validation: OrganizationValidation) -> Organization:
    org = Organization.objects.select_for_update().get(pk=validation.organization_id)
    policy.require(actor, Perm.DECIDE_VALIDATION, org)
    if validation.status != ValidationRequestStatus.PENDING:
        raise OrganizationRefused(msg("This validation is already %(status)s.", status=validation.status))
    if actor.admin is not None and validation.submitted_by_id == actor.admin.pk:
        raise PermissionDenied(
            "The MRAO who triggered the validation cannot decide it: another MRAO must approve or reject it.",
            code=-3,
        )
    check("approve", org.validation_status)
    return org


@transaction.atomic
def approve_validation(actor: Actor, validation: OrganizationValidation) -> OrganizationValidation:
    validation = OrganizationValidation.objects.select_for_update().get(pk=validation.pk)
    org = _decide_checks(actor, validation)
    now = timezone.now()
    validation.status = ValidationRequestStatus.VALIDATED
    validation.decided_by, validation.decided_at = actor.admin, now
    validation.expires = OrganizationValidation.expiry_from(now, settings.ORG_VALIDATION_DAYS)
    validation.save()
    org.validation_status = ValidationStatus.VALIDATED
    org.validated_at, org.validation_expires = now, validation.expires
    org.save(update_fields=["validation_status", "validated_at", "validation_expires", "modified"])
    audit.record(actor, "organization.validation_approved", org, validation_id=validation.pk,
                 level=validation.level, expires=validation.expires, status=[ValidationStatus.PENDING,
                                                                            ValidationStatus.VALIDATED])
    return validation


@transaction.atomic
def reject_validation(actor: Actor, validation: OrganizationValidation, *, reason: str) -> OrganizationValidation:
    validation = OrganizationValidation.objects.select_for_update().get(pk=validation.pk)
    reason = validators.plain_text(reason, field="reason", label="Reason", required=True, max_length=512)
    org = _decide_checks(actor, validation)
    now = timezone.now()
    validation.status = ValidationRequestStatus.REJECTED
    validation.decided_by, validation.decided_at, validation.reason = actor.admin, now, reason
    validation.save()
    org.validation_status = ValidationStatus.NOT_VALIDATED
    org.validated_at, org.validation_expires = None, None
    org.save(update_fields=["validation_status", "validated_at", "validation_expires", "modified"])
    audit.record(actor, "organization.validation_rejected", org, validation_id=validation.pk, reason=reason,
                 status=[ValidationStatus.PENDING, ValidationStatus.NOT_VALIDATED])
    return validation


@transaction.atomic
def update_customer_settings(actor: Actor, *, rao_can_create_rao: bool) -> Customer:
    """Customer-wide settings (MRAO only): whether RAOs may create other RAOs of their organization."""
    if not policy.is_mrao(actor) and actor.admin is not None:
        raise PermissionDenied("Only an MRAO can change the customer's settings.")
    if not isinstance(rao_can_create_rao, bool):
        raise InvalidInput("rao_can_create_rao must be true or false.", field="rao_can_create_rao")
    customer = Customer.objects.select_for_update().get(pk=actor.customer.pk)
    if customer.rao_can_create_rao != rao_can_create_rao:
        before = customer.rao_can_create_rao
        customer.rao_can_create_rao = rao_can_create_rao
        customer.save(update_fields=["rao_can_create_rao"])
        audit.record(actor, "customer.settings_changed", customer,
                     changes={"rao_can_create_rao": [before, rao_can_create_rao]})
    return customer
