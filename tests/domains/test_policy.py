"""Who may do what to which domain, in and out of scope (one table, as tests/accounts/test_policy.py)."""
import pytest

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core.errors import NotFound, PermissionDenied
from certdesk.domains import queries, services
from certdesk.domains.models import Delegation

from ..conftest import actor_for

ALLOW, DENY, HIDDEN = "allow", "deny", "hidden"


@pytest.fixture
def domains(mrao_actor, univ, physics, chemistry, other_org, other_customer_org, other_mrao):
    make = services.create_domain
    out = {
        "univ_domain": make(mrao_actor, "univ-lyon.test", delegations=[(univ, ["SSL"])]),
        "physics_domain": make(mrao_actor, "physics.univ-lyon.test", delegations=[(physics, ["SSL"])]),
        "chemistry_domain": make(mrao_actor, "chemistry.univ-lyon.test", delegations=[(chemistry, ["SSL"])]),
        "nantes_domain": make(mrao_actor, "univ-nantes.test", delegations=[(other_org, ["SSL"])]),
        "jisc_domain": make(actor_for(other_mrao), "bristol.test", delegations=[(other_customer_org, ["SSL"])]),
    }
    return out


MATRIX = [
    ("mrao", Perm.VIEW_DOMAIN, "univ_domain", ALLOW),
    ("mrao", Perm.DELETE_DOMAIN, "physics_domain", ALLOW),
    ("mrao", Perm.VIEW_DOMAIN, "jisc_domain", HIDDEN),
    ("rao_univ", Perm.VIEW_DOMAIN, "univ_domain", ALLOW),
    ("rao_univ", Perm.VIEW_DOMAIN, "physics_domain", ALLOW),
    ("rao_univ", Perm.VIEW_DOMAIN, "nantes_domain", HIDDEN),
    ("rao_univ", Perm.VIEW_DOMAIN, "jisc_domain", HIDDEN),
    ("rao_univ", Perm.DELETE_DOMAIN, "univ_domain", DENY),  # only an MRAO deletes (seed 000)
    ("rao_univ", Perm.EDIT_DOMAIN, "univ_domain", ALLOW),
    ("rao_univ", Perm.DELEGATE_DOMAIN, "physics_domain", ALLOW),
    ("rao_univ", Perm.MANAGE_DCV, "univ_domain", ALLOW),
    ("rao_univ", Perm.SUSPEND_DOMAIN, "univ_domain", DENY),
    ("rao_univ", Perm.EDIT_DOMAIN_CONTACTS, "univ_domain", DENY),
    ("drao_physics", Perm.VIEW_DOMAIN, "physics_domain", ALLOW),
    ("drao_physics", Perm.MANAGE_DCV, "physics_domain", ALLOW),
    ("drao_physics", Perm.VIEW_DOMAIN, "univ_domain", HIDDEN),
    ("drao_physics", Perm.VIEW_DOMAIN, "chemistry_domain", HIDDEN),
    ("drao_physics", Perm.MANAGE_DCV, "chemistry_domain", HIDDEN),
    ("drao_physics", Perm.DELETE_DOMAIN, "physics_domain", DENY),
    ("drao_physics", Perm.EDIT_DOMAIN, "physics_domain", DENY),  # no allowManageDomains
    ("drao_chemistry", Perm.MANAGE_DCV, "chemistry_domain", DENY),  # no allowDCV
    ("rao_other", Perm.VIEW_DOMAIN, "univ_domain", HIDDEN),
    ("rao_other", Perm.MANAGE_DCV, "nantes_domain", DENY),  # no allowDCV
    ("other_mrao", Perm.VIEW_DOMAIN, "univ_domain", HIDDEN),
]


@pytest.mark.parametrize("who, perm, what, expected", MATRIX)
def test_domain_policy_matrix(request, domains, who, perm, what, expected):
    actor = actor_for(request.getfixturevalue(who))
    obj = domains[what]
    if expected == ALLOW:
        policy.require(actor, perm, obj)
    elif expected == DENY:
        with pytest.raises(PermissionDenied):
            policy.require(actor, perm, obj)
    else:
        with pytest.raises(NotFound):
            policy.require(actor, perm, obj)


def test_create_domain_needs_allow_manage_domains(drao_physics, rao_univ, mrao):
    assert not policy.can(actor_for(drao_physics), Perm.CREATE_DOMAIN)
    assert policy.can(actor_for(rao_univ), Perm.CREATE_DOMAIN)
    assert policy.can(actor_for(mrao), Perm.CREATE_DOMAIN)


def test_approving_delegations(domains, rao_univ, rao_other, drao_physics, physics, other_org):
    physics_delegation = Delegation.objects.get(domain=domains["physics_domain"], organization=physics)
    assert policy.can(actor_for(rao_univ), Perm.APPROVE_DELEGATION, physics_delegation)
    assert not policy.can(actor_for(drao_physics), Perm.APPROVE_DELEGATION, physics_delegation)
    assert not policy.can(actor_for(rao_other), Perm.APPROVE_DELEGATION, physics_delegation)
    nantes = Delegation.objects.get(domain=domains["nantes_domain"], organization=other_org)
    with pytest.raises(NotFound):
        policy.require(actor_for(rao_univ), Perm.APPROVE_DELEGATION, nantes)


def test_lists_are_scoped(domains, rao_univ, drao_physics, mrao, other_mrao):
    assert {d.name for d in queries.visible_domains(actor_for(drao_physics))} == {"physics.univ-lyon.test"}
    assert {d.name for d in queries.visible_domains(actor_for(rao_univ))} == {
        "univ-lyon.test", "physics.univ-lyon.test", "chemistry.univ-lyon.test"}
    assert queries.visible_domains(actor_for(mrao)).count() == 4
    assert [d.name for d in queries.visible_domains(actor_for(other_mrao))] == ["bristol.test"]


def test_out_of_scope_lookup_answers_like_missing(domains, drao_physics):
    actor = actor_for(drao_physics)
    with pytest.raises(NotFound) as hidden:
        queries.get_domain(actor, domains["chemistry_domain"].pk)
    with pytest.raises(NotFound) as missing:
        queries.get_domain(actor, 999999)
    assert hidden.value.code == missing.value.code and hidden.value.message == missing.value.message
