"""Persons fixtures: client-certificate admins beside the SSL ones of tests/conftest.py, and the
domains persons' emails live in (delegated for client certificates, SMIME).

    univ-lyon.test          delegated to Universite de Lyon (SMIME) and to Physics (SMIME)
    chem.univ-lyon.test     delegated to Chemistry (SMIME)
    ssl-only.univ-lyon.test delegated to Physics for SSL only
    univ-nantes.test        delegated to Universite de Nantes (SMIME)
"""
from __future__ import annotations

import pytest

from certdesk.accounts import services as accounts
from certdesk.domains import services as domains
from certdesk.persons import services as persons
from tests.conftest import PASSWORD, actor_for


def _admin(mrao_actor, login, role, org):
    return accounts.create_admin(
        mrao_actor, login=login, email=f"{login}@admins.example", forename=login.split("_")[0].title(),
        surname="Admin", password=PASSWORD, credentials=[{"role": role, "orgId": org.pk}], privileges=[],
        must_change_password=False,
    )


@pytest.fixture
def person_domains(mrao_actor, univ, physics, chemistry, other_org):
    return {
        "univ": domains.create_domain(mrao_actor, "univ-lyon.test", delegations=[(univ, ["SMIME"]),
                                                                                 (physics, ["SMIME", "SSL"])]),
        "chem": domains.create_domain(mrao_actor, "chem.univ-lyon.test", delegations=[(chemistry, ["SMIME"])]),
        "ssl_only": domains.create_domain(mrao_actor, "ssl-only.univ-lyon.test", delegations=[(physics, ["SSL"])]),
        "nantes": domains.create_domain(mrao_actor, "univ-nantes.test", delegations=[(other_org, ["SMIME"])]),
    }


@pytest.fixture
def rao_smime(mrao_actor, univ):
    return _admin(mrao_actor, "rao_smime", "RAO_SMIME", univ)


@pytest.fixture
def drao_smime_physics(mrao_actor, physics):
    return _admin(mrao_actor, "drao_smime_physics", "DRAO_SMIME", physics)


@pytest.fixture
def drao_smime_chemistry(mrao_actor, chemistry):
    return _admin(mrao_actor, "drao_smime_chemistry", "DRAO_SMIME", chemistry)


@pytest.fixture
def rao_smime_nantes(mrao_actor, other_org):
    return _admin(mrao_actor, "rao_smime_nantes", "RAO_SMIME", other_org)


@pytest.fixture
def alice(mrao_actor, physics, person_domains):
    """A person of Physics."""
    return persons.create_person(mrao_actor, physics, email="alice@univ-lyon.test", first_name="Alice",
                                 last_name="Martin", eppn="amartin@univ-lyon.test")


@pytest.fixture
def bob(mrao_actor, univ, person_domains):
    """A person of the organization itself."""
    return persons.create_person(mrao_actor, univ, email="bob@univ-lyon.test", first_name="Bob", last_name="Durand")


@pytest.fixture
def claire(mrao_actor, chemistry, person_domains):
    """A person of Chemistry."""
    return persons.create_person(mrao_actor, chemistry, email="claire@chem.univ-lyon.test", first_name="Claire",
                                 last_name="Petit")


@pytest.fixture
def nina(mrao_actor, other_org, person_domains):
    """A person of another organization (Universite de Nantes)."""
    return persons.create_person(mrao_actor, other_org, email="nina@univ-nantes.test", first_name="Nina",
                                 last_name="Leroy")


__all__ = ["actor_for", "PASSWORD"]
