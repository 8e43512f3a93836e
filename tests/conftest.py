"""Shared fixtures: the people of the seed documents.

A customer `renater` (the network operator), with MRAOs `mrao` and `mrao2`; the organization
`Universite de Lyon` (validated) with departments `Physics` and `Chemistry`; `rao_univ`
(RAO SSL of the organization), `drao_physics` (DRAO SSL of Physics); a second customer
`jisc` with its own MRAO and organization, to prove tenants never see each other.
"""
from __future__ import annotations

import pytest

from certdesk.accounts import services as accounts
from certdesk.accounts.roles import Privilege
from certdesk.core.actor import Actor, Interface
from certdesk.tenancy import services as tenancy

PASSWORD = "Correct-Horse-Battery-9"
ALL_PRIVILEGES = [p.value for p in Privilege]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _dashboard_follows_every_change(monkeypatch):
    """On a loaded CI machine a test's small dashboard may take longer to count than the 'costly'
    threshold, which would keep its figures for a minute: tests that mean that say so themselves."""
    from certdesk.reports import queries as reports

    monkeypatch.setattr(reports, "DASHBOARD_COSTLY_SECONDS", 3600)


@pytest.fixture(autouse=True)
def _no_dns_beyond_loopback(settings):
    """No test may reach a real resolver: by default lookups go to a closed loopback port and fail.
    Tests that need DNS start their own server (tests/domains/servers.py) and point at it."""
    settings.DNS_RESOLVERS = ["127.0.0.1:9"]
    settings.DNS_TIMEOUT = 1.0


@pytest.fixture(autouse=True)
def _no_cache_from_earlier_tests(request):
    """The default cache is a database table that pytest-django's flush after a transactional
    (live-server) test leaves alone: entries those tests committed (credentials, counts, dashboard
    figures) would otherwise reach later tests, whose outcome or query count would then depend on
    test order. Every database test starts from an empty cache (in a rolled-back test the clearing
    is rolled back too). Only a local backend is cleared: never a Redis someone pointed tests at."""
    names = request.fixturenames
    if not ({"db", "transactional_db", "live_server"} & set(names) or request.node.get_closest_marker("django_db")):
        return
    from django.conf import settings as django_settings

    backend = django_settings.CACHES.get("default", {}).get("BACKEND", "")
    if not backend.endswith(("DatabaseCache", "LocMemCache")):
        return
    request.getfixturevalue("transactional_db" if {"transactional_db", "live_server"} & set(names) else "db")
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _default_language_and_time_zone_after_each_test():
    """A request of an admin who reads French leaves French active in this thread (LocaleMiddleware
    activates a language per request and never deactivates it): the next test's services would
    then speak French, and whether a test passes would depend on the test before it."""
    yield
    from django.utils import timezone, translation

    translation.deactivate()
    timezone.deactivate()


# Fixed windows end on the minute, hour and day: a test whose hits straddle one would see its
# counter start again. Tests of limits pin the counters' clock in the middle of every window.
RATE_CLOCK = 20 * 86400 + 12 * 3600 + 1800 + 30.0  # mid-day, mid-hour, mid-minute (UTC)


@pytest.fixture
def steady_rate_clock(monkeypatch):
    """The rate counters (accounts.ratelimit, the enrollment code limits) read RATE_CLOCK for now."""
    import types

    from certdesk.accounts import ratelimit
    from certdesk.enrollment import services as enrollment

    clock = types.SimpleNamespace(time=lambda: RATE_CLOCK)
    monkeypatch.setattr(ratelimit, "time", clock)
    monkeypatch.setattr(enrollment, "time", clock)
    return RATE_CLOCK


def actor_for(admin, interface=Interface.PORTAL) -> Actor:
    return Actor.for_admin(admin, interface, ip="127.0.0.1")


@pytest.fixture
def customer(db):
    customer, _, _, _ = accounts.bootstrap("renater", "mrao", PASSWORD)
    return customer


@pytest.fixture
def mrao(customer):
    return customer.admins.get(login="mrao")


@pytest.fixture
def mrao_actor(mrao):
    return actor_for(mrao)


@pytest.fixture
def mrao2(mrao_actor):
    return accounts.create_admin(
        mrao_actor, login="mrao2", email="mrao2@renater.example", forename="Second", surname="Master",
        password=PASSWORD, credentials=[{"role": "MRAO"}], privileges=ALL_PRIVILEGES, must_change_password=False,
    )


@pytest.fixture
def univ(mrao_actor, mrao2):
    org = tenancy.create_organization(
        mrao_actor, name="Universite de Lyon", address1="92 rue Pasteur", city="Lyon", postal_code="69007",
        country="FR", academic_code="univ-lyon.fr",
    )
    validation = tenancy.submit_validation(mrao_actor, org)
    tenancy.approve_validation(actor_for(mrao2), validation)
    org.refresh_from_db()
    return org


@pytest.fixture
def physics(mrao_actor, univ):
    return tenancy.create_department(mrao_actor, univ, name="Physics")


@pytest.fixture
def chemistry(mrao_actor, univ):
    return tenancy.create_department(mrao_actor, univ, name="Chemistry")


@pytest.fixture
def rao_univ(mrao_actor, univ):
    return accounts.create_admin(
        mrao_actor, login="rao_univ", email="rao@univ-lyon.example", forename="Rachel", surname="Orga",
        password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": univ.pk}],
        privileges=["allowCreate", "allowEdit", "allowDelete", "allowDCV", "allowManageDomains",
                    "approveDomainDelegation", "autoApproveCertificates", "addDepartments", "editDepartments"],
        must_change_password=False,
    )


@pytest.fixture
def drao_physics(mrao_actor, physics):
    return accounts.create_admin(
        mrao_actor, login="drao_physics", email="drao@physics.univ-lyon.example", forename="Denis",
        surname="Physique", password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}],
        privileges=["allowEdit", "allowDCV"], must_change_password=False,
    )


@pytest.fixture
def drao_chemistry(mrao_actor, chemistry):
    return accounts.create_admin(
        mrao_actor, login="drao_chemistry", email="drao@chemistry.univ-lyon.example", forename="Claire",
        surname="Chimie", password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": chemistry.pk}],
        privileges=["allowEdit"], must_change_password=False,
    )


@pytest.fixture
def other_org(mrao_actor):
    return tenancy.create_organization(
        mrao_actor, name="Universite de Nantes", address1="1 quai de Tourville", city="Nantes", country="FR",
    )


@pytest.fixture
def rao_other(mrao_actor, other_org):
    return accounts.create_admin(
        mrao_actor, login="rao_nantes", email="rao@univ-nantes.example", forename="Nina", surname="Nantes",
        password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": other_org.pk}],
        privileges=["allowCreate", "allowEdit"], must_change_password=False,
    )


@pytest.fixture
def other_customer(db):
    customer, _, _, _ = accounts.bootstrap("jisc", "jisc-mrao", PASSWORD)
    return customer


@pytest.fixture
def other_mrao(other_customer):
    return other_customer.admins.get(login="jisc-mrao")


@pytest.fixture
def other_customer_org(other_mrao):
    return tenancy.create_organization(
        actor_for(other_mrao), name="University of Bristol", address1="Beacon House", city="Bristol",
        country="GB",
    )


# --- certificate authorities (certdesk.ca) ------------------------------------------------

CA_TEST_PASSPHRASE = "test-ca-passphrase"


@pytest.fixture(scope="session")
def ca_keys():
    """The ten CA private keys by slug, generated once per test session (RSA-4096 is slow)."""
    from concurrent.futures import ThreadPoolExecutor

    from certdesk.ca import hierarchy

    specs = hierarchy.specs()
    # pyca releases the GIL while generating keys: threads roughly halve the wait.
    with ThreadPoolExecutor(max_workers=4) as pool:
        keys = list(pool.map(hierarchy.generate_key, specs))
    return {spec.slug: key for spec, key in zip(specs, keys)}


@pytest.fixture
def ca_key_factory(ca_keys):
    """A `key_factory` for `init_authorities` that hands out the session's keys."""
    return lambda spec: ca_keys[spec.slug]


@pytest.fixture
def ca_settings(settings, tmp_path_factory):
    """settings.CA_DIR in a fresh temporary directory and a fixed passphrase: never the developer's var/ca."""
    settings.CA_DIR = tmp_path_factory.mktemp("ca")
    settings.CA_PASSPHRASE = CA_TEST_PASSPHRASE
    return settings


@pytest.fixture
def authorities(db, ca_settings, ca_key_factory):
    """The ten CAs of `certdesk init` as {slug: CertificateAuthority}, in public_authorities() order."""
    from certdesk.ca import services as ca_services

    return {ca.slug: ca for ca in ca_services.init_authorities(key_factory=ca_key_factory)}
