"""Fixtures of the certificate tests: the CAs, DCV-validated delegated domains on the loopback
test DNS server (the domain tests' fixtures), the seeded profiles and CSR keys made once.

Zones: `example.org` and `*.example.org` delegated to the university (validated by TXT),
`*.physics.example.org` to Physics, `*.chemistry.example.org` to Chemistry (covered by the
university's DCV, as certdesk-decisions "Domains and DCV" says). Names are under RFC 2606
public names, not `.test`: lint-before-signing rightly refuses internal names (BR §7.1.2.7.12),
and the resolver is the loopback test server, so no lookup leaves the machine.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import NameOID

from certdesk.certificates import profiles as profile_data
from certdesk.certificates.models import Profile
from certdesk.tenancy import services as tenancy

from ..conftest import actor_for
from ..domains.conftest import (  # noqa: F401  (fixtures re-exported for this directory)
    CA_IDENTITY,
    _dns_server,
    _domain_settings,
    dns,
    make_domain,
    validate,
)

DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(autouse=True)
def _certificate_settings(settings, _domain_settings):  # noqa: F811
    """An https base URL (certificates must still carry http:// CRL/AIA URLs), lint on."""
    settings.BASE_URL = "https://certdesk.example.net"
    settings.PKI_BASE_URL = ""
    settings.LINT_BEFORE_SIGNING = True
    settings.ISSUE_RECHECK_SECONDS = 300
    settings.CRL_SHARDS = 16
    settings.WEAK_KEY_LISTS = []
    settings.CERTIFICATE_EXPIRY_NOTICE_DAYS = [30]


@pytest.fixture(scope="session")
def keys():
    """CSR keys by name, generated once per session (RSA generation dominates otherwise)."""
    specs = {
        "rsa2048": lambda: rsa.generate_private_key(65537, 2048),
        "rsa2048b": lambda: rsa.generate_private_key(65537, 2048),
        "rsa3072": lambda: rsa.generate_private_key(65537, 3072),
        "rsa1024": lambda: rsa.generate_private_key(65537, 1024),
        "p256": lambda: ec.generate_private_key(ec.SECP256R1()),
        "p384": lambda: ec.generate_private_key(ec.SECP384R1()),
        "p521": lambda: ec.generate_private_key(ec.SECP521R1()),
    }
    with ThreadPoolExecutor(max_workers=4) as pool:
        made = dict(zip(specs, pool.map(lambda f: f(), specs.values())))
    return made


def make_csr(key, cn: str | None = None, sans=(), *, subject_extra=()) -> str:
    attrs = [x509.NameAttribute(oid, value) for oid, value in subject_extra]
    if cn:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(attrs))
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in sans]), critical=False)
    digest = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(key, digest).public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture
def csr(keys):
    """csr("www.univ-lyon.test", sans=[...], key="p256")."""

    def build(cn=None, sans=(), key="rsa2048", **kwargs):
        return make_csr(keys[key], cn, sans, **kwargs)

    return build


@pytest.fixture
def profiles(db):
    """The seeded profiles by name (re-created after a transactional test flushed them)."""
    for position, spec in enumerate(profile_data.SEEDED_PROFILES, start=1):
        values = profile_data.profile_defaults(spec)
        name = values.pop("name")
        Profile.objects.get_or_create(customer=None, kind=values["kind"], name=name,
                                      defaults={**values, "position": position})
    return {p.name: p for p in Profile.objects.filter(customer=None)}


@pytest.fixture
def ev_univ(mrao_actor, univ):
    """The university with its EV details (seed 003 §7.2.1: entered by the service, an MRAO)."""
    tenancy.update_organization(mrao_actor, univ, ev_jurisdiction_country="FR", ev_business_category="Government Entity",
                                ev_registration_number="19691774100013")
    univ.refresh_from_db()
    return univ


@pytest.fixture
def domains(make_domain, validate, univ, physics, chemistry):  # noqa: F811
    """Delegated, DCV-validated domains of the university and its departments."""
    base = make_domain("example.org", univ)
    wild = make_domain("*.example.org", univ)
    phys = make_domain("*.physics.example.org", physics)
    chem = make_domain("*.chemistry.example.org", chemistry)
    validate(base)
    return {"base": base, "wild": wild, "physics": phys, "chemistry": chem}


@pytest.fixture
def ssl(authorities, profiles, domains):
    """Everything a request needs: CAs, profiles, validated domains."""
    return {"authorities": authorities, "profiles": profiles, "domains": domains}


@pytest.fixture
def rao(rao_univ):
    return actor_for(rao_univ)


@pytest.fixture
def rao2(mrao_actor, univ):
    """A second RAO SSL of the university, without auto-approve (the second admin of EV)."""
    from certdesk.accounts import services as accounts

    from ..conftest import PASSWORD

    admin = accounts.create_admin(
        mrao_actor, login="rao_univ2", email="rao2@univ-lyon.example", forename="Robin", surname="Second",
        password=PASSWORD, credentials=[{"role": "RAO_SSL", "orgId": univ.pk}], privileges=[],
        must_change_password=False,
    )
    return actor_for(admin)


@pytest.fixture
def drao(drao_physics):
    return actor_for(drao_physics)
