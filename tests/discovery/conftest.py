"""Discovery fixtures: scans limited to loopback, TLS servers the tests start on 127.0.0.1 and ::1,
a certificate signed by certdesk's own CA and filed in the inventory (managed), and SSL admins
beside the seed people of tests/conftest.py.

    managed    127.0.0.1  a leaf signed by certdesk's EC SSL OV CA, in Physics' SSL inventory
    unmanaged  127.0.0.1  a self-signed certificate, served on two ports (one certificate, two locations)
    plain      127.0.0.1  not TLS (an HTTP error in clear text)
    closed     127.0.0.1  bound, not listening: refused
"""
from __future__ import annotations

import ipaddress
import socket

import pytest
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from certdesk.certificates import issuance
from certdesk.certificates.models import Certificate, Profile
from certdesk.certificates.states import Status
from certdesk.tenancy.models import CertType

from ..web.conftest import login_as, mrao_client  # noqa: F401  (fixtures re-exported for this directory)
from .servers import ClosedPort, PlainServer, TlsServer, make_certificate


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


HAS_IPV6 = _has_ipv6_loopback()


@pytest.fixture(autouse=True)
def _loopback_only(settings):
    settings.DISCOVERY_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128")]
    settings.DISCOVERY_CONCURRENCY = 4
    settings.DISCOVERY_MAX_PROBES = 65_536


@pytest.fixture
def managed_pair(authorities, ca_keys):
    """A leaf signed by certdesk's EC SSL OV CA (certificate, key, authority)."""
    ca = next(a for a in authorities.values() if a.purpose == "SSL_OV" and a.key_algorithm == "EC")
    cert, key = make_certificate("www.physics.example.org", issuer_name=ca.certificate().subject,
                                 issuer_key=ca_keys[ca.slug])
    return cert, key, ca


@pytest.fixture
def managed_record(managed_pair, customer, physics):
    """The managed certificate as certdesk's inventory holds it (issued in Physics)."""
    cert, _key, ca = managed_pair
    der = cert.public_bytes(serialization.Encoding.DER)
    sha1, md5 = issuance.fingerprints(der)
    return Certificate.objects.create(
        kind=CertType.SSL, customer=customer, organization=physics, profile=Profile.objects.filter(
            customer__isnull=True).order_by("id").first(), status=Status.ISSUED, common_name="www.physics.example.org",
        subject_alt_names=["www.physics.example.org"], names_index=",www.physics.example.org,", term=90,
        ca=ca, serial_hex=f"{cert.serial_number:040x}", der=der, not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc, sha1_hash=sha1, md5_hash=md5, issued_at=timezone.now())


@pytest.fixture
def unmanaged_pair():
    return make_certificate("intranet.example.org", sans=["intranet.example.org", "wiki.example.org"])


@pytest.fixture
def lan(managed_pair, managed_record, unmanaged_pair):
    """The servers of the module docstring, stopped after the test."""
    cert, key, _ca = managed_pair
    servers = {
        "managed": TlsServer(cert, key).start(),
        "unmanaged": TlsServer(*unmanaged_pair).start(),
        "unmanaged2": TlsServer(*unmanaged_pair).start(),
        "plain": PlainServer().start(),
        "closed": ClosedPort(),
    }
    yield servers
    for server in servers.values():
        server.stop()


def ports_of(lan) -> str:
    return ",".join(str(server.port) for server in lan.values())
