"""Organizations, departments, validation (OV anchor): rules and bad input."""
from datetime import timedelta

import pytest
from django.utils import timezone

from certdesk.core.errors import DomainError, InvalidInput, PermissionDenied, RequiredField
from certdesk.tenancy import services
from certdesk.tenancy.models import Organization
from certdesk.tenancy.states import ValidationStatus

from ..conftest import actor_for

GOOD = dict(name="Universite de Rennes", address1="2 rue du Thabor", city="Rennes", country="FR")


@pytest.mark.parametrize(("field", "value", "error"), [
    ("country", "ZZ", InvalidInput),
    ("country", "", RequiredField),
    ("name", "", RequiredField),
    ("name", "Université de Rennes", InvalidInput),
    ("name", "UniversitÃ© de Rennes", InvalidInput),  # mojibake
    ("city", "Saint-Étienne", InvalidInput),
    ("name", "x" * 65, InvalidInput),
    ("name", "Evil\x00Org", InvalidInput),
])
def test_bad_organization_input_is_refused_and_nothing_written(mrao_actor, field, value, error):
    before = Organization.objects.count()
    with pytest.raises(error) as err:
        services.create_organization(mrao_actor, **{**GOOD, field: value})
    assert err.value.field == field and err.value.message
    assert Organization.objects.count() == before


def test_duplicate_names(mrao_actor, univ, physics):
    with pytest.raises(DomainError):
        services.create_organization(mrao_actor, **{**GOOD, "name": univ.name})
    with pytest.raises(DomainError):
        services.create_department(mrao_actor, univ, name="Physics")
    # same department name in another organization is fine
    other = services.create_organization(mrao_actor, **GOOD)
    assert services.create_department(mrao_actor, other, name="Physics").pk


def test_only_mrao_creates_organizations(rao_univ):
    with pytest.raises(PermissionDenied):
        services.create_organization(actor_for(rao_univ), **GOOD)


def test_ev_details_only_by_mrao(rao_univ, univ, mrao_actor, customer):
    customer.rao_can_create_rao = True
    services.update_organization(mrao_actor, univ, ev_business_category="Government Entity",
                                 ev_jurisdiction_country="FR")
    univ.refresh_from_db()
    assert univ.ev_business_category == "Government Entity"
    with pytest.raises(PermissionDenied):
        services.update_organization(actor_for(rao_univ), univ, ev_business_category="Private Organization")


def test_validation_flow_needs_a_second_mrao(mrao_actor, mrao2):
    org = services.create_organization(mrao_actor, **GOOD)
    assert org.validation_status == ValidationStatus.NOT_VALIDATED
    validation = services.submit_validation(mrao_actor, org)
    org.refresh_from_db()
    assert org.validation_status == ValidationStatus.PENDING
    with pytest.raises(PermissionDenied) as err:
        services.approve_validation(mrao_actor, validation)
    assert "another MRAO" in err.value.message
    services.approve_validation(actor_for(mrao2), validation)
    org.refresh_from_db()
    assert org.validation_status == ValidationStatus.VALIDATED
    assert org.validation_expires > timezone.now() + timedelta(days=360)


def test_rejection_with_reason(mrao_actor, mrao2):
    org = services.create_organization(mrao_actor, **GOOD)
    validation = services.submit_validation(mrao_actor, org)
    with pytest.raises(RequiredField):
        services.reject_validation(actor_for(mrao2), validation, reason="")
    services.reject_validation(actor_for(mrao2), validation, reason="Address does not match the registry")
    org.refresh_from_db()
    validation.refresh_from_db()
    assert org.validation_status == ValidationStatus.NOT_VALIDATED
    assert validation.reason == "Address does not match the registry"


def test_departments_follow_their_organization_and_validation_expires(univ, physics, mrao_actor):
    assert physics.effective_validation_status() == ValidationStatus.VALIDATED
    with pytest.raises(DomainError):
        services.submit_validation(mrao_actor, physics)
    Organization.objects.filter(pk=univ.pk).update(validation_expires=timezone.now() - timedelta(days=1))
    physics.refresh_from_db()
    assert physics.effective_validation_status() == ValidationStatus.NOT_VALIDATED
    # an expired validation can be re-triggered
    services.submit_validation(mrao_actor, univ)


def test_rao_adds_and_edits_departments_of_its_organization(rao_univ, univ, other_org):
    dept = services.create_department(actor_for(rao_univ), univ, name="Biology")
    services.update_organization(actor_for(rao_univ), dept, name="Biology and Health")
    with pytest.raises(DomainError):
        services.create_department(actor_for(rao_univ), other_org, name="Biology")


@pytest.mark.parametrize("values", [
    {"cert_types": [{"x": 1}]},
    {"cert_types": ["SSL", "Bogus"]},
    {"ev_incorporation_date": "not a date"},
    {"ev_business_category": 42},
    {"ev_business_category": "Pirates"},
    {"contact_emails": ["not-an-email"]},
    {"ssl_certs_api_enabled": "yes"},
])
def test_bad_field_types_are_refused_cleanly(mrao_actor, univ, values):
    with pytest.raises(InvalidInput):
        services.update_organization(mrao_actor, univ, **values)


def test_validation_details_are_cleaned(mrao_actor):
    org = services.create_organization(mrao_actor, **GOOD)
    with pytest.raises(InvalidInput):
        services.submit_validation(mrao_actor, org, details={"generalDetails": {"name": "bad\x00name"}})
    org.refresh_from_db()
    assert org.validation_status == ValidationStatus.NOT_VALIDATED
    validation = services.submit_validation(mrao_actor, org, details={"generalDetails": {"name": "Rennes"}})
    assert validation.details == {"generalDetails": {"name": "Rennes"}}


def test_department_with_certificates_cannot_be_deleted(mrao_actor, physics):
    """Certificates keep their organization (PROTECT): the deletion is refused with a message (the
    portal and the REST API show it), never a ProtectedError, and nothing is written."""
    from certdesk.core.models import AuditEvent
    from certdesk.tenancy.errors import OrganizationRefused
    from certdesk.tenancy.models import Organization
    from tests.reports.factories import make_certs

    make_certs(physics, 1)
    audited = AuditEvent.objects.count()
    with pytest.raises(OrganizationRefused) as err:
        services.delete_organization(mrao_actor, physics)
    assert "still has certificates" in err.value.message
    assert Organization.objects.filter(pk=physics.pk).exists() and AuditEvent.objects.count() == audited
