"""Who sees and manages persons: one table, role × person × in/out of scope, against accounts.policy,
the queries and the services.

Persons belong to client-certificate administration: MRAO (the customer), RAO_SMIME (its
organization and departments), DRAO_SMIME (its department). SSL admins see none; out of scope
answers exactly like missing (-105).
"""
from __future__ import annotations

import pytest

from certdesk.accounts import policy
from certdesk.accounts.policy import Perm
from certdesk.core.errors import NotFound, PermissionDenied
from certdesk.persons import queries, services
from certdesk.persons.errors import PersonNotFound
from tests.conftest import actor_for

from .conftest import *  # noqa: F401,F403 - fixtures

pytestmark = pytest.mark.django_db

# actor fixture -> the persons it sees (alice: Physics, bob: Lyon, claire: Chemistry, nina: Nantes)
SEES = {
    "mrao": {"alice", "bob", "claire", "nina"},
    "rao_smime": {"alice", "bob", "claire"},
    "drao_smime_physics": {"alice"},
    "drao_smime_chemistry": {"claire"},
    "rao_univ": set(),  # RAO SSL of Lyon
    "drao_physics": set(),  # DRAO SSL of Physics
    "rao_smime_nantes": {"nina"},
    "other_mrao": set(),  # MRAO of another customer
}
# actor fixture -> organization fixture -> outcome of adding a person there
ADDS = {
    "mrao": {"univ": "ok", "physics": "ok", "other_org": "ok"},
    "rao_smime": {"univ": "ok", "physics": "ok", "other_org": "missing"},
    "drao_smime_physics": {"univ": "missing", "physics": "ok", "chemistry": "missing"},
    "rao_univ": {"univ": "denied", "physics": "denied", "other_org": "missing"},
    "drao_physics": {"physics": "denied", "univ": "missing"},
    "rao_smime_nantes": {"other_org": "ok", "univ": "missing"},
    "other_mrao": {"univ": "missing"},
}
EMAIL_OF = {"univ": "new@univ-lyon.test", "physics": "new@univ-lyon.test", "chemistry": "new@chem.univ-lyon.test",
            "other_org": "new@univ-nantes.test"}


@pytest.fixture
def world(request, alice, bob, claire, nina, rao_smime, drao_smime_physics, drao_smime_chemistry, rao_univ,
          drao_physics, rao_smime_nantes, other_mrao):
    return {"alice": alice, "bob": bob, "claire": claire, "nina": nina}


@pytest.mark.parametrize("who", sorted(SEES))
def test_scope_matrix_view_and_manage(request, world, who):
    actor = actor_for(request.getfixturevalue(who))
    listed = {p.email.split("@")[0] for p in queries.visible_persons(actor)}
    assert listed == SEES[who]
    for name, person in world.items():
        inside = name in SEES[who]
        assert policy.can(actor, Perm.VIEW_PERSON, person) is inside, (who, name)
        assert policy.can(actor, Perm.MANAGE_PERSON, person) is inside, (who, name)
        if inside:
            assert queries.get_person(actor, person.pk).pk == person.pk
            assert services.update_person(actor, person, phone="+33 1").phone == "+33 1"
        else:
            with pytest.raises(PersonNotFound) as err:
                queries.get_person(actor, person.pk)
            assert err.value.code == -105
            with pytest.raises(NotFound) as err:
                services.update_person(actor, person, phone="+33 2")
            assert err.value.code == -105
            with pytest.raises(NotFound):
                services.delete_person(actor, person)


@pytest.mark.parametrize("who,org_name,outcome", [(w, o, r) for w, orgs in sorted(ADDS.items())
                                                  for o, r in sorted(orgs.items())])
def test_scope_matrix_add(request, person_domains, who, org_name, outcome):
    actor = actor_for(request.getfixturevalue(who))
    org = request.getfixturevalue(org_name)
    call = lambda: services.create_person(actor, org, email=EMAIL_OF[org_name], first_name="New",  # noqa: E731
                                          last_name="Person")
    if outcome == "ok":
        assert call().organization_id == org.pk
    elif outcome == "missing":
        with pytest.raises(NotFound) as err:
            call()
        assert err.value.code == -1023
    else:
        with pytest.raises(PermissionDenied) as err:
            call()
        assert "client certificate role" in err.value.message


def test_drao_cannot_move_a_person_out_of_its_department(drao_smime_physics, alice, chemistry, univ):
    actor = actor_for(drao_smime_physics)
    for target in (chemistry, univ):
        with pytest.raises(NotFound):
            services.update_person(actor, alice, organization=target)
    alice.refresh_from_db()
    assert alice.organization.name == "Physics"


def test_rao_moves_persons_between_its_organization_and_departments(rao_smime, alice, univ):
    moved = services.update_person(actor_for(rao_smime), alice, organization=univ)
    assert moved.organization_id == univ.pk


def test_person_organizations_are_the_client_certificate_scope(rao_smime, drao_smime_physics, rao_univ, mrao_actor,
                                                               univ, physics, chemistry, other_org):
    assert set(queries.person_organizations(actor_for(rao_smime))) == {univ, physics, chemistry}
    assert set(queries.person_organizations(actor_for(drao_smime_physics))) == {physics}
    assert not queries.person_organizations(actor_for(rao_univ)).exists()
    assert set(queries.person_organizations(mrao_actor)) == {univ, physics, chemistry, other_org}
