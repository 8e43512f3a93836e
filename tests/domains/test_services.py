"""Domains and delegations: add, request, approve/reject, undelegate, delete; refusals write nothing."""
import pytest

from certdesk.core import audit
from certdesk.core.errors import InvalidInput, NotFound, PermissionDenied, RequiredField
from certdesk.core.models import AuditEvent
from certdesk.domains import queries, services, signals
from certdesk.domains.errors import (
    DelegationStateRefused,
    DomainExists,
    DomainRefused,
    InvalidDomainName,
)
from certdesk.domains.models import Delegation, Domain
from certdesk.domains.states import DelegationStatus, DisplayStatus

from ..conftest import actor_for


@pytest.fixture
def events():
    """Domain events received (they fire on commit: pytest-django's capture runs the callbacks)."""
    received = []
    names_ = ["delegation_requested", "delegation_approved", "dcv_needed", "dcv_submitted", "dcv_validated",
              "dcv_expiring", "dcv_expired"]
    handlers = []
    for name in names_:
        def handler(sender, _name=name, **kwargs):
            received.append((_name, kwargs))
        getattr(signals, name).connect(handler, weak=False)
        handlers.append((name, handler))
    yield received
    for name, handler in handlers:
        getattr(signals, name).disconnect(handler)


def test_mrao_adds_a_domain_delegated_at_once(mrao_actor, univ, physics, django_capture_on_commit_callbacks,
                                              events):
    with django_capture_on_commit_callbacks(execute=True):
        domain = services.create_domain(mrao_actor, "École.Univ-Lyon.test.", description="Main site",
                                        delegations=[(univ, ["SSL", "SMIME"]), (physics, ["SSL"])])
    assert domain.name == "xn--cole-9oa.univ-lyon.test"
    assert domain.unicode_name == "école.univ-lyon.test"
    rows = {d.organization_id: d for d in domain.delegations.all()}
    assert rows[univ.pk].status == DelegationStatus.ACTIVE and rows[univ.pk].cert_types == ["SMIME", "SSL"]
    assert rows[physics.pk].status == DelegationStatus.ACTIVE
    state = queries.dcv_status_for(domain)
    assert state.display == DisplayStatus.ACTION_REQUIRED and state.status == "NOT_VALIDATED"
    assert [e for e, _ in events] == ["dcv_needed"]
    event = AuditEvent.objects.filter(action="domain.created").get()
    assert event.object_id == str(domain.pk)


def test_drao_request_waits_for_the_rao_approval(drao_domains, rao, physics, django_capture_on_commit_callbacks,
                                                 events):
    with django_capture_on_commit_callbacks(execute=True):
        domain = services.create_domain(drao_domains, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])
    delegation = domain.delegations.get()
    assert delegation.status == DelegationStatus.REQUESTED
    assert [e for e, _ in events] == ["delegation_requested"]
    assert queries.dcv_status_for(domain).requires_approval
    assert [d.domain_id for d in queries.delegations_awaiting_approval(rao)] == [domain.pk]
    assert [d.pk for d in queries.visible_domains(rao, delegation_status="requested")] == [domain.pk]
    # the DRAO cannot approve its own request
    with pytest.raises(PermissionDenied):
        services.approve_delegation(drao_domains, domain, physics)
    with django_capture_on_commit_callbacks(execute=True):
        approved = services.approve_delegation(rao, domain, physics)
    assert approved.status == DelegationStatus.ACTIVE and approved.approved_by.login == "rao_univ"
    assert [e for e, _ in events][1:] == ["delegation_approved", "dcv_needed"]
    assert not queries.dcv_status_for(domain).requires_approval
    with pytest.raises(DelegationStateRefused):
        services.approve_delegation(rao, domain, physics)


def test_rao_of_another_organization_cannot_approve(drao_domains, rao_other, physics, mrao_actor):
    domain = services.create_domain(drao_domains, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])
    with pytest.raises(NotFound):
        services.approve_delegation(actor_for(rao_other), domain, physics)
    assert domain.delegations.get().status == DelegationStatus.REQUESTED
    services.approve_delegation(mrao_actor, domain, physics)  # an MRAO may
    assert domain.delegations.get().status == DelegationStatus.ACTIVE


def test_rao_without_the_approval_privilege_requests_too(rao_no_approve, univ, rao):
    domain = services.create_domain(rao_no_approve, "univ-lyon.test", delegations=[(univ, ["SSL"])])
    assert domain.delegations.get().status == DelegationStatus.REQUESTED
    services.approve_delegation(rao, domain, univ)


def test_rejecting_the_only_request_removes_the_domain(drao_domains, rao, physics):
    domain = services.create_domain(drao_domains, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])
    assert services.reject_delegation(rao, domain, physics) is True
    assert not Domain.objects.filter(pk=domain.pk).exists()
    # the DRAO can ask again
    services.create_domain(drao_domains, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])


def test_rejecting_one_of_several_keeps_the_domain(mrao_actor, rao_no_approve, drao_domains, rao, univ, physics):
    domain = services.create_domain(mrao_actor, "univ-lyon.test", delegations=[(univ, ["SSL"])])
    # a DRAO does not even see its organization's domain, so cannot ask for it
    with pytest.raises(NotFound):
        services.delegate_domain(drao_domains, domain, physics, ["SSL"])
    services.delegate_domain(rao_no_approve, domain, physics, ["SSL"])
    assert Delegation.objects.get(domain=domain, organization=physics).status == DelegationStatus.REQUESTED
    assert services.reject_delegation(rao, domain, physics) is False
    assert list(domain.delegations.values_list("organization_id", flat=True)) == [univ.pk]


def test_drao_cannot_delegate_to_another_department(drao_domains, chemistry):
    with pytest.raises(NotFound):
        services.create_domain(drao_domains, "chem.univ-lyon.test", delegations=[(chemistry, ["SSL"])])
    assert not Domain.objects.exists()


def test_drao_without_domain_privilege_cannot_add(drao_physics, physics):
    with pytest.raises(PermissionDenied):
        services.create_domain(actor_for(drao_physics), "physics.univ-lyon.test", delegations=[(physics, ["SSL"])])


def test_only_an_mrao_deletes_a_domain(make_domain, univ, rao, drao_domains, physics, mrao_actor):
    domain = make_domain("physics.univ-lyon.test", physics)
    for actor in (rao, drao_domains):
        with pytest.raises(PermissionDenied):
            services.delete_domain(actor, domain)
    services.delete_domain(mrao_actor, domain)
    assert not Domain.objects.exists() and not Delegation.objects.exists()
    assert AuditEvent.objects.filter(action="domain.deleted").count() == 1


@pytest.mark.parametrize("bad", ["com", "ac.uk", "gouv.fr", "192.0.2.7", "www.*.univ-lyon.test", "a..b.test",
                                 "x" * 64 + ".test"])
def test_bad_names_write_nothing(mrao_actor, univ, bad):
    before = AuditEvent.objects.count()
    with pytest.raises(InvalidDomainName):
        services.create_domain(mrao_actor, bad, delegations=[(univ, ["SSL"])])
    assert not Domain.objects.exists() and AuditEvent.objects.count() == before


def test_duplicate_and_already_delegated_elsewhere(mrao_actor, make_domain, other_org, univ, rao):
    make_domain("univ-nantes.test", other_org)
    before = AuditEvent.objects.count()
    with pytest.raises(DomainExists) as exc:
        services.create_domain(rao, "UNIV-NANTES.test", delegations=[(univ, ["SSL"])])
    assert exc.value.code == -700 and "delegated elsewhere" in exc.value.message
    with pytest.raises(DomainExists) as exc:
        services.create_domain(mrao_actor, "univ-nantes.test", delegations=[(univ, ["SSL"])])
    assert "Add a delegation" in exc.value.message
    assert Domain.objects.count() == 1 and Delegation.objects.count() == 1
    assert AuditEvent.objects.count() == before


def test_half_bad_delegations_write_nothing(mrao_actor, univ, physics):
    with pytest.raises(InvalidInput):
        services.create_domain(mrao_actor, "univ-lyon.test", delegations=[(univ, ["SSL"]), (physics, ["Bogus"])])
    with pytest.raises(RequiredField):
        services.create_domain(mrao_actor, "univ-lyon.test", delegations=[])
    with pytest.raises(InvalidInput):
        services.create_domain(mrao_actor, "univ-lyon.test", delegations=[(univ, ["SSL"]), (univ, ["SSL"])])
    assert not Domain.objects.exists() and not Delegation.objects.exists()


def test_same_domain_in_two_customers_is_independent(make_domain, univ, other_mrao, other_customer_org):
    make_domain("shared.test", univ)
    services.create_domain(actor_for(other_mrao), "shared.test", delegations=[(other_customer_org, ["SSL"])])
    assert Domain.objects.filter(name="shared.test").count() == 2


def test_delegation_changes_and_undelegate(make_domain, univ, physics, rao, drao_domains, mrao_actor):
    domain = make_domain("univ-lyon.test", univ)
    services.delegate_domain(rao, domain, physics, ["SSL"])
    assert Delegation.objects.get(domain=domain, organization=physics).status == DelegationStatus.ACTIVE
    # a DRAO widening its department's delegation needs approval again
    services.delegate_domain(drao_domains, domain, physics, ["SSL", "SMIME"])
    row = Delegation.objects.get(domain=domain, organization=physics)
    assert row.status == DelegationStatus.REQUESTED and row.cert_types == ["SMIME", "SSL"]
    services.undelegate_domain(drao_domains, domain, physics)
    with pytest.raises(DomainRefused):
        services.undelegate_domain(mrao_actor, domain, univ)  # the last one stays
    with pytest.raises(NotFound):  # the DRAO no longer sees the domain once its delegation is gone
        services.undelegate_domain(drao_domains, domain, univ)


def test_cert_types_must_be_enabled_for_the_organization(mrao_actor, univ, physics):
    physics.cert_types = ["SSL"]
    physics.save()
    with pytest.raises(InvalidInput):
        services.create_domain(mrao_actor, "physics.univ-lyon.test", delegations=[(physics, ["CodeSign"])])


def test_description_contacts_and_state(make_domain, univ, rao, mrao_actor):
    domain = make_domain("univ-lyon.test", univ)
    services.update_domain(rao, domain, description="Main")
    with pytest.raises(PermissionDenied):
        services.set_domain_contacts(rao, domain, ["dns@univ-lyon.test"])
    services.set_domain_contacts(mrao_actor, domain, "DNS@univ-lyon.test; noc@univ-lyon.test")
    domain.refresh_from_db()
    assert domain.description == "Main" and domain.contact_emails == ["dns@univ-lyon.test", "noc@univ-lyon.test"]
    with pytest.raises(InvalidInput):
        services.set_domain_contacts(mrao_actor, domain, ["not-an-email"])
    services.set_domain_state(mrao_actor, domain, active=False)
    domain.refresh_from_db()
    assert domain.state == "SUSPENDED"


def test_audit_chain_still_verifies(make_domain, univ, physics, rao, rao_no_approve, validate):
    domain = make_domain("univ-lyon.test", univ)
    services.delegate_domain(rao_no_approve, domain, physics, ["SSL"])
    services.approve_delegation(rao, domain, physics)
    validate(domain)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"domain.created", "domain.delegated", "domain.delegation_approved", "dcv.started", "dcv.submitted",
            "dcv.validated"} <= actions
    assert audit.verify().ok
