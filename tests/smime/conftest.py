"""Client (S/MIME) certificate fixtures: the CAs and CSR keys of tests/certificates, the seeded
client-certificate profiles, persons whose email domains are delegated for client certificates,
and the admins of client certificates.

    people.example.org   delegated to Physics for client certificates (SMIME), ACTIVE
    staff.example.org    delegated to Physics for SSL only
    chem.example.org     delegated to Chemistry (SMIME)

(RFC 2606 names: pkilint refuses internal names such as .test in rfc822Name.)
"""
from __future__ import annotations

import pytest

from certdesk.accounts import services as accounts
from certdesk.ca import keystore
from certdesk.ca.models import CertificateAuthority
from certdesk.certificates import profiles as profile_data
from certdesk.certificates.models import Profile
from certdesk.domains.models import Delegation, Domain
from certdesk.domains.states import DelegationStatus
from certdesk.persons import services as persons
from certdesk.tenancy.models import Organization
from tests.certificates.conftest import (  # noqa: F401 - fixtures re-exported for this directory
    _certificate_settings,
    _dns_server,
    _domain_settings,
    csr,
    dns,
    keys,
    make_csr,
    profiles,
)
from tests.conftest import PASSWORD, actor_for


@pytest.fixture(autouse=True)
def _session_ca_keys(monkeypatch, ca_keys):
    """The session's CA keys instead of decrypting a fresh RSA-4096 key file for every signature."""
    real = keystore.load_key

    def load_key(key_ref):
        ca = CertificateAuthority.objects.filter(key_ref=key_ref).first()
        return ca_keys[ca.slug] if ca is not None else real(key_ref)  # OCSP responders: their own key files

    monkeypatch.setattr(keystore, "load_key", load_key)


@pytest.fixture
def smime_profiles(db):
    """The seeded client-certificate profiles by name (re-created after a transactional test flushed them)."""
    for position, spec in enumerate(profile_data.SEEDED_SMIME_PROFILES, start=1):
        values = profile_data.smime_profile_defaults(spec)
        name = values.pop("name")
        Profile.objects.get_or_create(customer=None, kind="SMIME", name=name, defaults={**values, "position": position})
    return {p.name: p for p in Profile.objects.filter(customer=None, kind="SMIME")}


@pytest.fixture
def personal(smime_profiles):
    return smime_profiles["GÉANT Personal Certificate"]


def _delegate(customer, name, org, types):
    domain = Domain.objects.create(customer=customer, name=name)
    Delegation.objects.create(domain=domain, organization=org, cert_types=types, status=DelegationStatus.ACTIVE)
    return domain


@pytest.fixture
def people_domains(mrao, physics, chemistry):
    return {
        "people": _delegate(mrao.customer, "people.example.org", physics, ["SMIME"]),
        "staff": _delegate(mrao.customer, "staff.example.org", physics, ["SSL"]),
        "chem": _delegate(mrao.customer, "chem.example.org", chemistry, ["SMIME"]),
    }


def _admin(mrao_actor, login, role, org, privileges=()):
    return accounts.create_admin(
        mrao_actor, login=login, email=f"{login}@admins.example.org", forename=login.split("_")[0].title(),
        surname="Admin", password=PASSWORD, credentials=[{"role": role, "orgId": org.pk}], privileges=list(privileges),
        must_change_password=False,
    )


@pytest.fixture
def rao_smime(mrao_actor, univ):
    return _admin(mrao_actor, "rao_smime", "RAO_SMIME", univ)


@pytest.fixture
def drao_smime(mrao_actor, physics):
    return _admin(mrao_actor, "drao_smime", "DRAO_SMIME", physics)


@pytest.fixture
def drao_smime_chemistry(mrao_actor, chemistry):
    return _admin(mrao_actor, "drao_smime_chem", "DRAO_SMIME", chemistry)


@pytest.fixture
def recoverer(mrao_actor, univ):
    """A RAO of client certificates allowed to recover keys (clientCertKeyRecovery)."""
    return _admin(mrao_actor, "key_recoverer", "RAO_SMIME", univ, privileges=["clientCertKeyRecovery"])


@pytest.fixture
def pki(authorities, smime_profiles, people_domains, univ, physics, chemistry):
    """Everything a client-certificate request needs; the Web API enabled for client certificates."""
    Organization.objects.filter(pk__in=[univ.pk, physics.pk, chemistry.pk]).update(client_certs_api_enabled=True)
    # A sponsor-validated subject names the organization by its registration (organizationIdentifier).
    Organization.objects.filter(pk=univ.pk).update(ev_registration_number="19691774100013",
                                                   ev_jurisdiction_country="FR")
    univ.refresh_from_db()
    physics.refresh_from_db()
    chemistry.refresh_from_db()
    return {"authorities": authorities, "profiles": smime_profiles, "domains": people_domains}


@pytest.fixture
def alice(mrao_actor, physics, people_domains):
    """A person of Physics with a secondary email."""
    return persons.create_person(mrao_actor, physics, email="alice@people.example.org", first_name="Alice",
                                 last_name="Martin", secondary_emails=["a.martin@people.example.org"])


@pytest.fixture
def claire(mrao_actor, chemistry, people_domains):
    return persons.create_person(mrao_actor, chemistry, email="claire@chem.example.org", first_name="Claire",
                                 last_name="Petit")


__all__ = ["actor_for", "PASSWORD", "make_csr"]
