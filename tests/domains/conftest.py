"""Fixtures of the domain tests: real DNS/HTTP/HTTPS servers on loopback, settings pointed at them.

Every test here resolves only through the test DNS server (autouse), so no lookup can reach
a real resolver; the test zones live under the reserved `.test` top-level domain.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from certdesk.accounts import services as accounts
from certdesk.domains import services
from certdesk.domains.states import DcvMethod

from ..conftest import PASSWORD, actor_for
from .servers import DnsServer, WebServers

CA_IDENTITY = "certdesk.test"

# Hypothesis keeps its example cache under var/ (ignored by git), not in the work tree's root.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(__file__).resolve().parents[2] / "var" / "hypothesis"))


@pytest.fixture(scope="session")
def _dns_server():
    server = DnsServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def _web_servers():
    servers = WebServers().start()
    yield servers
    servers.stop()


@pytest.fixture(autouse=True)
def _domain_settings(settings, _dns_server):
    """Resolve only through the loopback test server; CA identity and ports for the tests."""
    settings.DNS_RESOLVERS = [f"127.0.0.1:{_dns_server.port}"]
    settings.DNS_TIMEOUT = 5.0  # answers come from a thread of this process; a busy machine may be slow
    settings.DNSSEC_VALIDATE = True
    settings.CAA_IDENTITIES = [CA_IDENTITY, "ca.certdesk.test"]
    settings.DCV_CNAME_SUFFIX = "dcv.certdesk.test"
    settings.DCV_RECHECK_SECONDS = 3600
    settings.DCV_VALIDITY_DAYS = 0
    settings.BASE_URL = "https://certdesk.test"
    _dns_server.reset()
    yield


@pytest.fixture
def dns(_dns_server):
    return _dns_server


@pytest.fixture
def web(_web_servers, settings):
    settings.VALIDATION_HTTP_PORT = _web_servers.http_port
    settings.VALIDATION_HTTPS_PORT = _web_servers.https_port
    _web_servers.state.reset()
    yield _web_servers
    _web_servers.state.reset()


@pytest.fixture
def rao(rao_univ):
    return actor_for(rao_univ)


@pytest.fixture
def mrao_a(mrao):
    return actor_for(mrao)


@pytest.fixture
def drao_domains(mrao_actor, physics):
    """A DRAO of Physics who may add domains and do DCV (but not approve delegations)."""
    admin = accounts.create_admin(
        mrao_actor, login="drao_physics_dom", email="dom@physics.univ-lyon.example", forename="Dora",
        surname="Domaine", password=PASSWORD, credentials=[{"role": "DRAO_SSL", "orgId": physics.pk}],
        privileges=["allowManageDomains", "allowDCV"], must_change_password=False,
    )
    return actor_for(admin)


@pytest.fixture
def rao_no_approve(mrao_actor, univ):
    """A RAO of the university who may add domains but not approve delegations."""
    admin = accounts.create_admin(
        mrao_actor, login="rao_univ_noapprove", email="rao2@univ-lyon.example", forename="Remi", surname="Orga",
        password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": univ.pk}],
        privileges=["allowManageDomains", "allowDCV"], must_change_password=False,
    )
    return actor_for(admin)


@pytest.fixture
def make_domain(mrao_actor):
    """Add a domain as the MRAO (delegations ACTIVE at once)."""

    def make(name, *orgs, cert_types=("SSL",)):
        return services.create_domain(mrao_actor, name, delegations=[(o, list(cert_types)) for o in orgs])

    return make


@pytest.fixture
def validate(mrao_actor, dns):
    """Validate a domain for real through a TXT record published on the test DNS server."""

    def run(domain, actor=None):
        actor = actor or mrao_actor
        instructions = services.start_dcv(actor, domain, DcvMethod.TXT)
        dns.add(f'{instructions.host} 60 IN TXT "{instructions.point}"')
        result = services.submit_dcv(actor, domain)
        assert result.validated, result.message
        domain.refresh_from_db()
        return result

    return run
