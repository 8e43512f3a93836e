"""Persons services: adding, changing and deleting persons, with every rule refused clearly."""
from __future__ import annotations

import json

import pytest

from certdesk.core.errors import DomainError, NotFound, PermissionDenied, RequiredField
from certdesk.core.models import AuditEvent
from certdesk.persons import queries, services
from certdesk.persons.errors import DuplicatePerson, EmailDomainNotDelegated, PersonInvalid, PersonNotFound
from certdesk.persons.models import Person
from certdesk.tenancy import services as tenancy
from certdesk.tenancy.errors import OrganizationRefused
from tests.conftest import actor_for

from .conftest import *  # noqa: F401,F403 - fixtures

pytestmark = pytest.mark.django_db


def _create(actor, org, **kw):
    values = {"email": "jean@univ-lyon.test", "first_name": "Jean", "last_name": "Dupont"}
    values.update(kw)
    return services.create_person(actor, org, **values)


# ---------------------------------------------------------------------------
# Create


def test_create_person_with_defaults_and_audit(mrao_actor, physics, person_domains):
    person = _create(mrao_actor, physics, middle_name="Paul", phone="+33 4 72 00 00 00",
                     secondary_emails=["j.dupont@univ-lyon.test", "JEAN@univ-lyon.test"], upn="jdupont@univ-lyon.test")
    assert person.common_name == "Jean Dupont"  # SCM's default: first and last name
    assert person.validation_type == "STANDARD"
    assert person.secondary_emails == ["j.dupont@univ-lyon.test"]  # the primary is not repeated
    assert person.created_by == person.modified_by == "mrao"
    assert person.customer_id == physics.customer_id
    event = AuditEvent.objects.filter(action="person.created").get()
    assert event.object_id == str(person.pk)
    assert json.loads(event.changes)["after"]["email"] == "jean@univ-lyon.test"


def test_email_domain_part_is_lower_cased_local_part_kept(mrao_actor, physics, person_domains):
    person = _create(mrao_actor, physics, email="Jean.Dupont@UNIV-LYON.test")
    assert person.email == "Jean.Dupont@univ-lyon.test"


def test_validation_type_high_and_explicit_common_name(mrao_actor, physics, person_domains):
    person = _create(mrao_actor, physics, validation_type="high", common_name="J. Dupont")
    assert (person.validation_type, person.common_name) == ("HIGH", "J. Dupont")


@pytest.mark.parametrize("email", ["jean@univ-lyon.test", "JEAN@UNIV-LYON.TEST", "Jean@univ-lyon.test"])
def test_duplicate_email_refused_whatever_its_case(mrao_actor, physics, univ, person_domains, email):
    _create(mrao_actor, physics)
    with pytest.raises(DuplicatePerson) as err:
        _create(mrao_actor, univ, email=email)
    assert err.value.field == "email" and err.value.code == -1601
    assert Person.objects.count() == 1


def test_same_email_allowed_in_another_customer(mrao_actor, physics, person_domains, other_mrao,
                                                other_customer_org):
    from certdesk.domains import services as domains

    _create(mrao_actor, physics)
    jisc = actor_for(other_mrao)
    domains.create_domain(jisc, "univ-lyon.test", delegations=[(other_customer_org, ["SMIME"])])
    assert _create(jisc, other_customer_org).customer_id == other_customer_org.customer_id


def test_duplicate_eppn_refused(mrao_actor, physics, person_domains, alice):
    with pytest.raises(DuplicatePerson) as err:
        _create(mrao_actor, physics, eppn="AMARTIN@univ-lyon.test")
    assert err.value.field == "eppn"


@pytest.mark.parametrize("email", ["", "not-an-email", "jean@", "@univ-lyon.test", "jean@univ lyon.test",
                                   "jean\x00@univ-lyon.test", "a" * 250 + "@univ-lyon.test"])
def test_bad_email_refused(mrao_actor, physics, person_domains, email):
    with pytest.raises(DomainError) as err:
        _create(mrao_actor, physics, email=email)
    assert err.value.field == "email" and err.value.code in (-7, -1601)
    assert not Person.objects.exists()


def test_email_domain_must_be_delegated_for_client_certificates(mrao_actor, physics, person_domains):
    with pytest.raises(EmailDomainNotDelegated) as err:
        _create(mrao_actor, physics, email="jean@ssl-only.univ-lyon.test")  # delegated for SSL only
    assert err.value.code == -704 and err.value.field == "email" and "client certificates" in err.value.message
    with pytest.raises(EmailDomainNotDelegated):
        _create(mrao_actor, physics, email="jean@elsewhere.example")  # not a domain of the customer
    with pytest.raises(EmailDomainNotDelegated):
        _create(mrao_actor, physics, email="jean@chem.univ-lyon.test")  # delegated to Chemistry only


def test_requested_delegation_does_not_count(mrao_actor, physics, person_domains):
    from certdesk.domains.models import Delegation
    from certdesk.domains.states import DelegationStatus

    Delegation.objects.filter(organization=physics, domain=person_domains["univ"]).update(
        status=DelegationStatus.REQUESTED)
    with pytest.raises(EmailDomainNotDelegated):
        _create(mrao_actor, physics)


def test_wildcard_delegation_covers_subdomain_emails(mrao_actor, physics):
    from certdesk.domains import services as domains

    domains.create_domain(mrao_actor, "*.labs.test", delegations=[(physics, ["SMIME"])])
    assert _create(mrao_actor, physics, email="jean@optics.labs.test").pk
    with pytest.raises(EmailDomainNotDelegated):
        _create(mrao_actor, physics, email="jean@labs.test")  # a wildcard covers names below only


def test_unknown_or_foreign_organization(mrao_actor, physics, person_domains, other_customer_org):
    with pytest.raises(NotFound) as err:
        _create(mrao_actor, other_customer_org)
    assert err.value.code == -1023


@pytest.mark.parametrize("field,value,code", [
    ("first_name", "", -7), ("last_name", "  ", -7), ("first_name", "x" * 65, -1601),
    ("middle_name", "x" * 65, -1601), ("last_name", "x" * 65, -1601), ("common_name", "x" * 65, -1601),
    ("phone", "1" * 33, -1601), ("phone", "call me", -1601), ("eppn", "x" * 257, -1601),
    ("eppn", "no-scope", -1601), ("upn", "two@@signs", -1601), ("validation_type", "EXTENDED", -1601),
    ("first_name", "Jean\nPaul", -1601), ("first_name", 12, -1601),
])
def test_field_rules(mrao_actor, physics, person_domains, field, value, code):
    with pytest.raises(DomainError) as err:
        _create(mrao_actor, physics, **{field: value})
    assert (err.value.field, err.value.code) == (field, code)
    assert not Person.objects.exists()


def test_field_lengths_at_the_limit_are_accepted(mrao_actor, physics, person_domains):
    person = _create(mrao_actor, physics, first_name="F" * 64, last_name="L" * 64, middle_name="M" * 64,
                     common_name="C" * 64, phone="+" + "1" * 31, eppn="e" * 240 + "@univ-lyon.test")
    assert len(person.first_name) == 64 and len(person.common_name) == 64


def test_default_common_name_too_long_asks_for_one(mrao_actor, physics, person_domains):
    with pytest.raises(PersonInvalid) as err:
        _create(mrao_actor, physics, first_name="F" * 40, last_name="L" * 40)
    assert err.value.field == "common_name"


def test_secondary_emails_rules(mrao_actor, physics, person_domains):
    with pytest.raises(DomainError) as err:
        _create(mrao_actor, physics, secondary_emails=["ok@univ-lyon.test", "broken"])
    assert err.value.field == "secondary_emails"
    with pytest.raises(PersonInvalid):
        _create(mrao_actor, physics, secondary_emails=[f"a{i}@univ-lyon.test" for i in range(21)])
    with pytest.raises(PersonInvalid):
        _create(mrao_actor, physics, secondary_emails={"not": "a list"})
    person = _create(mrao_actor, physics, secondary_emails="a@x.example, b@x.example;A@X.example")
    assert person.secondary_emails == ["a@x.example", "b@x.example"]


# ---------------------------------------------------------------------------
# Update


def test_update_changes_only_what_is_given_and_audits_the_diff(mrao_actor, alice):
    before = alice.modified
    person = services.update_person(mrao_actor, alice, phone="+33 1 23 45 67 89", middle_name="Zoe")
    assert (person.phone, person.middle_name, person.email) == ("+33 1 23 45 67 89", "Zoe", "alice@univ-lyon.test")
    assert person.modified > before
    event = AuditEvent.objects.filter(action="person.updated").get()
    changes = json.loads(event.changes)
    assert set(changes["changes"]) == {"phone", "middle_name"} and "identity_changed" not in changes


def test_update_without_change_writes_nothing(mrao_actor, alice):
    services.update_person(mrao_actor, alice, phone="")
    assert not AuditEvent.objects.filter(action="person.updated").exists()


def test_changing_identity_fields_is_flagged_in_the_audit(mrao_actor, alice):
    services.update_person(mrao_actor, alice, email="alice.martin@univ-lyon.test", eppn="")
    changes = json.loads(AuditEvent.objects.filter(action="person.updated").get().changes)
    assert changes["identity_changed"] == ["email", "eppn"]


def test_update_email_checks_domain_and_duplicates(mrao_actor, alice, bob):
    with pytest.raises(DuplicatePerson):
        services.update_person(mrao_actor, alice, email="BOB@univ-lyon.test")
    with pytest.raises(EmailDomainNotDelegated):
        services.update_person(mrao_actor, alice, email="alice@elsewhere.example")
    alice.refresh_from_db()
    assert alice.email == "alice@univ-lyon.test"
    # the own email in another case is not a duplicate
    assert services.update_person(mrao_actor, alice, email="Alice@univ-lyon.test").email == "Alice@univ-lyon.test"


def test_default_common_name_follows_the_names(mrao_actor, alice):
    person = services.update_person(mrao_actor, alice, last_name="Bernard")
    assert person.common_name == "Alice Bernard"
    person = services.update_person(mrao_actor, person, common_name="Dr Alice B.")
    person = services.update_person(mrao_actor, person, first_name="Alicia")
    assert person.common_name == "Dr Alice B."  # chosen by an admin: kept
    assert services.update_person(mrao_actor, person, common_name="").common_name == "Alicia Bernard"


def test_moving_a_person_checks_the_target_organization(mrao_actor, alice, univ, chemistry, person_domains):
    moved = services.update_person(mrao_actor, alice, organization=univ)  # univ-lyon.test is delegated to Lyon too
    assert moved.organization_id == univ.pk
    with pytest.raises(EmailDomainNotDelegated):
        services.update_person(mrao_actor, moved, organization=chemistry)


def test_primary_email_taken_from_secondary_ones(mrao_actor, alice):
    person = services.update_person(mrao_actor, alice, secondary_emails=["a.martin@univ-lyon.test"])
    person = services.update_person(mrao_actor, person, email="a.martin@univ-lyon.test")
    assert person.secondary_emails == []


def test_unknown_field_refused(mrao_actor, alice):
    with pytest.raises(PersonInvalid):
        services.update_person(mrao_actor, alice, customer_id=99)


# ---------------------------------------------------------------------------
# Delete, queries, organization deletion


def test_delete_person_is_audited(mrao_actor, alice):
    pk = alice.pk
    services.delete_person(mrao_actor, alice)
    assert not Person.objects.filter(pk=pk).exists()
    event = AuditEvent.objects.filter(action="person.deleted").get()
    assert json.loads(event.changes)["before"]["email"] == "alice@univ-lyon.test"
    with pytest.raises(PersonNotFound):
        services.delete_person(mrao_actor, alice)  # already gone: not found, not a crash


def test_department_with_persons_cannot_be_deleted(mrao_actor, alice, physics):
    from certdesk.tenancy.models import Organization

    with pytest.raises(OrganizationRefused) as err:
        tenancy.delete_organization(mrao_actor, physics)
    assert "Persons still belong" in err.value.message
    assert Organization.objects.filter(pk=physics.pk).exists() and Person.objects.filter(pk=alice.pk).exists()
    services.delete_person(mrao_actor, alice)
    tenancy.delete_organization(mrao_actor, physics)
    assert not Organization.objects.filter(pk=physics.pk).exists()


def test_queries_filter_like_scm(mrao_actor, alice, bob, claire, physics):
    services.update_person(mrao_actor, bob, secondary_emails=["robert@univ-lyon.test"], phone="+33 4 11")

    def ids(**kw):
        return {p.pk for p in queries.visible_persons(mrao_actor, **kw)}

    assert ids() == {alice.pk, bob.pk, claire.pk}
    assert ids(name="ali") == {alice.pk}
    assert ids(name="bob durand") == {bob.pk}
    assert ids(organization_id=physics.pk) == {alice.pk}
    assert ids(email="ALICE@univ-lyon.test") == {alice.pk}
    assert ids(email="lice@univ-lyon.test") == set()  # exact address, not a part of one
    assert ids(common_name="petit") == {claire.pk}
    assert ids(phone="4 11") == {bob.pk}
    assert ids(secondary_email="Robert@univ-lyon.test") == {bob.pk}
    assert ids(search="robert@") == {bob.pk}
    assert ids(search="chem.univ") == {claire.pk}
    assert queries.get_person_by_email(mrao_actor, "BOB@univ-lyon.test").pk == bob.pk
    for bad in ("nobody@univ-lyon.test", "not an email", "x\x00@y.z"):
        with pytest.raises(PersonNotFound) as err:
            queries.get_person_by_email(mrao_actor, bad)
        assert err.value.code == -105 and err.value.status == 404


def test_create_refused_for_ssl_admin_writes_nothing(rao_univ, physics, person_domains):
    with pytest.raises(PermissionDenied):
        _create(actor_for(rao_univ), physics)
    assert not Person.objects.exists() and not AuditEvent.objects.filter(action__startswith="person.").exists()


def test_required_field_error_type(mrao_actor, physics, person_domains):
    with pytest.raises(RequiredField):
        _create(mrao_actor, physics, email="")
