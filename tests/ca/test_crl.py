"""CRLs: one per issuing CA and shard at a stable URL, regenerated on revocation and before
nextUpdate, accepted by `openssl verify -crl_check`; built in one go (not quadratic)."""
from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.utils import timezone

from certdesk.ca import crl
from certdesk.ca.models import CrlPublication
from certdesk.certificates import services
from certdesk.core import queue
from tests.certificates.conftest import (  # noqa: F401  (the certificate tests' fixtures)
    _certificate_settings,
    csr,
    domains,
    keys,
    profiles,
    rao,
    ssl,
)
from tests.domains.conftest import (  # noqa: F401
    _dns_server,
    _domain_settings,
    dns,
    make_domain,
    validate,
)

SHARD_BASE = "http://certdesk.example.net/ca"


@pytest.fixture(autouse=True)
def _immediate_queue():
    previous = queue.huey.immediate
    queue.huey.immediate = True
    yield
    queue.huey.immediate = previous


def issue(ssl, univ, rao, csr, name):  # noqa: F811
    return services.request_ssl(rao, organization=univ, profile=ssl["profiles"]["OV Multi-Domain"],
                                csr_pem=csr(name), term=365)


def crl_of(client, url: str) -> x509.CertificateRevocationList:
    response = client.get(url)
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"] == "application/pkix-crl"
    assert "max-age=" in response["Cache-Control"]
    return x509.load_der_x509_crl(response.content)


def distribution_point(cert: x509.Certificate) -> str:
    dps = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    return dps[0].full_name[0].value


def idp_url(revocation_list: x509.CertificateRevocationList) -> str:
    return revocation_list.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value.full_name[0].value


def write(tmp_path, name, *pems: str):
    path = tmp_path / name
    path.write_text("".join(pems))
    return str(path)


def crl_pem(revocation_list) -> str:
    return revocation_list.public_bytes(serialization.Encoding.PEM).decode()


def openssl_verify(*args) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", "verify", *args], capture_output=True, text=True, timeout=30, check=False)


def test_revocation_shows_in_the_shard_crl_within_the_request_cycle(ssl, univ, rao, csr, client,  # noqa: F811
                                                                     django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        cert = issue(ssl, univ, rao, csr, "a.example.org")
    ca = cert.ca
    shard_url = f"/ca/{ca.slug}/{cert.crl_shard}.crl"
    # The leaf names its shard's CRL, over http:// though BASE_URL is https.
    assert distribution_point(cert.certificate()) == f"{SHARD_BASE}/{ca.slug}/{cert.crl_shard}.crl"
    before = crl_of(client, shard_url)
    assert before.get_revoked_certificate_by_serial_number(cert.serial_number) is None

    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(rao, cert, 1, reason="key leaked")
    pub = CrlPublication.objects.get(ca=ca, shard=cert.crl_shard)
    assert not pub.stale and pub.entries == 1  # rebuilt by the queued job, not by the download

    after = crl_of(client, shard_url)
    entry = after.get_revoked_certificate_by_serial_number(cert.serial_number)
    assert entry is not None
    assert entry.extensions.get_extension_for_class(x509.CRLReason).value.reason == x509.ReasonFlags.key_compromise
    assert after.is_signature_valid(ca.certificate().public_key())
    assert after.issuer == ca.certificate().subject
    # CRL number grows; AKI names the CA key; IDP is critical, names the shard URL, user certs only.
    number = lambda c: c.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
    assert number(after) > number(before)
    aki = after.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    assert aki.key_identifier == ca.certificate().extensions.get_extension_for_class(
        x509.SubjectKeyIdentifier).value.digest
    idp = after.extensions.get_extension_for_class(x509.IssuingDistributionPoint)
    assert idp.critical and idp.value.only_contains_user_certs and not idp.value.only_contains_ca_certs
    assert idp_url(after) == distribution_point(cert.certificate())
    assert after.next_update_utc - after.last_update_utc == timedelta(hours=168)
    # Other shards do not list it; the full CRL does.
    other = (cert.crl_shard + 1) % crl.shard_count()
    assert crl_of(client, f"/ca/{ca.slug}/{other}.crl").get_revoked_certificate_by_serial_number(
        cert.serial_number) is None
    full = crl_of(client, f"/ca/{ca.slug}.crl")
    assert full.get_revoked_certificate_by_serial_number(cert.serial_number) is not None
    with pytest.raises(x509.ExtensionNotFound):  # full and complete: no IDP (BR §7.2.2.1)
        full.extensions.get_extension_for_class(x509.IssuingDistributionPoint)


def test_stale_crl_is_rebuilt_on_download_when_the_queued_job_never_ran(ssl, univ, rao, csr, client):  # noqa: F811
    cert = issue(ssl, univ, rao, csr, "a.example.org")
    crl.publish(cert.ca, cert.crl_shard)
    services.revoke(rao, cert, 4)  # on-commit callbacks never run in this test: the queue is "down"
    assert CrlPublication.objects.get(ca=cert.ca, shard=cert.crl_shard).stale
    listed = crl_of(client, f"/ca/{cert.ca.slug}/{cert.crl_shard}.crl")
    assert listed.get_revoked_certificate_by_serial_number(cert.serial_number) is not None


def test_openssl_verify_crl_check_refuses_the_revoked_and_accepts_the_good(
        ssl, univ, rao, csr, client, tmp_path, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        bad = issue(ssl, univ, rao, csr, "a.example.org")
        good = issue(ssl, univ, rao, csr, "c.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(rao, bad, 1)
    ca = bad.ca
    root = ca.parent
    cafile = write(tmp_path, "chain.pem", root.certificate_pem, ca.certificate_pem)
    for cert in (bad, good):
        leaf = write(tmp_path, f"{cert.pk}.pem", cert.pem)
        shard = crl_of(client, f"/ca/{ca.slug}/{cert.crl_shard}.crl")
        crlfile = write(tmp_path, f"{cert.pk}.crl.pem", crl_pem(shard))
        result = openssl_verify("-crl_check", "-CAfile", cafile, "-CRLfile", crlfile, leaf)
        if cert is bad:
            assert result.returncode != 0 and "certificate revoked" in result.stdout + result.stderr
        else:
            assert result.returncode == 0, result.stdout + result.stderr
            assert f"{leaf}: OK" in result.stdout
            # The whole chain too: the root's CRL (onlyContainsCACerts) covers the issuing CA.
            root_crl = crl_of(client, f"/ca/{root.slug}.crl")
            assert list(root_crl) == [] and root_crl.is_signature_valid(root.certificate().public_key())
            both = write(tmp_path, "both.crl.pem", crl_pem(shard), crl_pem(root_crl))
            result = openssl_verify("-crl_check_all", "-CAfile", cafile, "-CRLfile", both, leaf)
            assert result.returncode == 0, result.stdout + result.stderr


def test_ca_certificates_carry_http_urls_with_an_https_base_url(authorities):
    issuing = authorities["rsa-ssl-ov"].certificate()
    assert distribution_point(issuing) == f"{SHARD_BASE}/rsa-root.crl"
    aia = issuing.extensions.get_extension_for_class(x509.AuthorityInformationAccess).value
    assert {d.access_location.value for d in aia} == {"http://certdesk.example.net/ocsp",
                                                      f"{SHARD_BASE}/rsa-root.crt"}


def test_unknown_shards_and_authorities_are_404(authorities, client):
    assert client.get("/ca/rsa-ssl-ov/16.crl").status_code == 404  # CRL_SHARDS is 16
    assert client.get("/ca/rsa-root/0.crl").status_code == 404  # roots are not sharded
    assert client.get("/ca/nope/0.crl").status_code == 404
    assert client.get("/ca/nope.crl").status_code == 404
    assert client.post("/ca/rsa-ssl-ov/0.crl").status_code == 405


def test_periodic_refresh_publishes_every_scope_then_only_what_is_due(authorities):
    counts = crl.refresh_all()
    issuing = [ca for ca in authorities.values() if not ca.is_root]
    assert counts == {"published": len(authorities) + len(issuing) * 16, "fresh": 0}
    assert crl.refresh_all() == {"published": 0, "fresh": counts["published"]}
    # Within CRL_REFRESH_HOURS of nextUpdate: rebuilt with a higher crlNumber.
    pub = CrlPublication.objects.get(ca=authorities["ecc-ssl-ov"], shard=3)
    CrlPublication.objects.filter(pk=pub.pk).update(next_update=timezone.now() + timedelta(hours=2))
    assert crl.refresh_all()["published"] == 1
    renewed = CrlPublication.objects.get(pk=pub.pk)
    assert renewed.number > pub.number and renewed.next_update > timezone.now() + timedelta(days=6)
    assert x509.load_der_x509_crl(bytes(renewed.der)).is_signature_valid(
        authorities["ecc-ssl-ov"].certificate().public_key())


def _synthetic(count: int):
    moment = timezone.now() - timedelta(days=1)
    reasons = [0, 1, 3, 4, 5]
    return [SimpleNamespace(serial_hex=f"{(1 << 158) + i * 7919:040x}", revoked_at=moment,
                            reason_code=reasons[i % 5]) for i in range(count)]


@pytest.mark.slow
def test_a_crl_of_100000_entries_builds_in_well_under_a_few_seconds(authorities):
    ca = authorities["ecc-ssl-ov"]
    small, large = _synthetic(10_000), _synthetic(100_000)
    crl.build_crl(ca, 0, number=1, now=timezone.now(), entries=small[:10])  # key loaded, caches warm
    # CPU time of this process, not the wall clock: other processes on a busy machine do not count.
    started = time.process_time()
    crl.build_crl(ca, 0, number=2, now=timezone.now(), entries=small)
    small_seconds = time.process_time() - started
    started = time.process_time()
    built = crl.build_crl(ca, 0, number=3, now=timezone.now(), entries=large)
    large_seconds = time.process_time() - started
    assert large_seconds < 3.0
    # Linear, not quadratic: 10x the entries costs nowhere near 100x the time.
    assert large_seconds < max(small_seconds, 0.01) * 30
    assert len(built) == 100_000
    assert built.get_revoked_certificate_by_serial_number((1 << 158) + 99_999 * 7919) is not None


def pkilint(tool: str, *args) -> str:
    result = subprocess.run([f"{Path(sys.executable).parent}/{tool}", "lint", *args], capture_output=True,
                            text=True, timeout=120, check=False)
    return result.stdout + result.stderr


def test_pkilint_accepts_the_crls_and_the_ca_certificates_with_an_https_base_url(
        ssl, univ, rao, csr, client, tmp_path, django_capture_on_commit_callbacks):  # noqa: F811
    with django_capture_on_commit_callbacks(execute=True):
        cert = issue(ssl, univ, rao, csr, "a.example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.revoke(rao, cert, 4)
    ca = cert.ca
    for name, url in (("shard", f"/ca/{ca.slug}/{cert.crl_shard}.crl"), ("full", f"/ca/{ca.slug}.crl")):
        path = tmp_path / f"{name}.crl"
        path.write_bytes(client.get(url).content)
        out = pkilint("lint_crl", "-t", "CRL", "-p", "BR", "-s", "ERROR", str(path))
        assert "ERROR" not in out and "FATAL" not in out, (name, out)
    root_crl = tmp_path / "root.crl"
    root_crl.write_bytes(client.get(f"/ca/{ca.parent.slug}.crl").content)
    out = pkilint("lint_crl", "-t", "ARL", "-p", "BR", "-s", "ERROR", str(root_crl))
    assert "ERROR" not in out and "FATAL" not in out, out
    for slug, kind in (("rsa-root", "ROOT-CA"), ("rsa-ssl-ov", "INTERNAL-UNCONSTRAINED-TLS-CA"),
                       ("ecc-ssl-ev", "INTERNAL-UNCONSTRAINED-TLS-CA")):
        path = tmp_path / f"{slug}.pem"
        path.write_text(ssl["authorities"][slug].certificate_pem)
        out = pkilint("lint_cabf_serverauth_cert", "-t", kind, "-s", "ERROR", "-f", "CSV", str(path))
        # Known, outside revocation: CA subjects have no countryName yet (BR §7.1.2.10.2; needs a setting).
        findings = [line for line in out.splitlines()[1:] if line and "country_attribute_absent" not in line]
        assert findings == [], (slug, out)
