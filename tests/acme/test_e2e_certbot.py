"""Real certbot against the OV endpoint, exactly as seed 002 shows (standalone authenticator,
EAB Key ID and HMAC key): the certificate is issued at once and listed with the ACME account as
requester; a name not bound to the account prints Sectigo's error; then renew and revoke."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509

from certdesk.acme.errors import NOT_PREAUTHORIZED
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status

pytestmark = pytest.mark.slow

CERTBOT = shutil.which("certbot", path=str(Path(sys.executable).parent)) or shutil.which("certbot")


@pytest.fixture
def certbot(live_server, settings, tmp_path):
    if CERTBOT is None:
        pytest.fail("certbot is not installed (pip install -e '.[test]')")
    settings.BASE_URL = live_server.url
    # Certificates carry CRL/OCSP/AIA URLs: a public-looking name, not the loopback live server.
    settings.PKI_BASE_URL = "http://pki.certdesk.example.net"
    dirs = ["--config-dir", str(tmp_path / "config"), "--work-dir", str(tmp_path / "work"),
            "--logs-dir", str(tmp_path / "logs")]

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([CERTBOT, *args, *dirs, "--non-interactive"], check=False, capture_output=True, text=True,
                              timeout=120)

    run.config = tmp_path / "config"
    return run


def test_certbot_obtains_renews_and_revokes_on_the_ov_endpoint(certbot, live_server, acme_account_physics):
    account = acme_account_physics
    server = f"{live_server.url}/acme/OV/directory"
    common = ["--agree-tos", "--email", "drao@physics.univ-lyon.example", "--server", server,
              "--eab-kid", account.mac_id, "--eab-hmac-key", account.mac_key]
    result = certbot("certonly", "--standalone", *common, "--domain", "www.physics.example.org",
                     "--cert-name", "physics")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Successfully received certificate" in result.stdout + result.stderr
    fullchain = certbot.config / "live" / "physics" / "fullchain.pem"
    chain = x509.load_pem_x509_certificates(fullchain.read_bytes())
    assert chain[0].subject.rfc4514_string().endswith("CN=www.physics.example.org") or \
        "www.physics.example.org" in chain[0].subject.rfc4514_string()
    cert = Certificate.objects.get()
    assert cert.status == Status.ISSUED and cert.requested_via == "ACME"
    assert cert.requester_label == "acme:physics-web"
    assert int(cert.serial_hex, 16) == chain[0].serial_number
    account.refresh_from_db()
    assert account.status == "valid" and account.clients.count() == 1

    # The issued chain verifies with OpenSSL against the CA root the server sent in the alternate chain.
    if shutil.which("openssl"):
        verify = subprocess.run(["openssl", "verify", "-partial_chain", "-CAfile",
                                 str(certbot.config / "live" / "physics" / "chain.pem"),
                                 str(certbot.config / "live" / "physics" / "cert.pem")],
                                check=False, capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr

    # A name of another department: Sectigo's words, nothing issued.
    refused = certbot("certonly", "--standalone", *common, "--domain", "www.chemistry.example.org",
                      "--cert-name", "chemistry")
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    assert f"The client lacks sufficient authorization :: {NOT_PREAUTHORIZED}" in output, output
    assert Certificate.objects.count() == 1

    renewed = certbot("renew", "--force-renewal", "--no-random-sleep-on-renew")
    assert renewed.returncode == 0, renewed.stdout + renewed.stderr
    assert Certificate.objects.filter(status=Status.ISSUED).count() == 2

    revoked = certbot("revoke", "--cert-name", "physics", "--no-delete-after-revoke", "--reason", "superseded",
                      "--server", server)
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert Certificate.objects.filter(status=Status.REVOKED).count() == 1


def _free_port() -> int:
    """A free port certbot will bind a moment later. Taken below the kernel's ephemeral range
    (32768-60999 on Linux), so no outgoing connection meanwhile (the live server's, certbot's own)
    can be handed the same port, as one picked with bind(0) could be."""
    import random
    import socket

    for port in random.sample(range(20000, 32000), 200):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def test_certbot_standalone_http01_on_the_dv_endpoint(certbot, live_server, settings, dns, ssl, drao, physics):
    from certdesk.acme import services as acme_services

    account = acme_services.create_account(drao, organization=physics, endpoint_name="DV", name="physics-dv",
                                           domains=["*.physics.example.org"])
    port = _free_port()
    settings.VALIDATION_HTTP_PORT = port
    dns.add("lab.physics.example.org. 60 IN A 127.0.0.1")
    result = certbot("certonly", "--standalone", "--http-01-port", str(port), "--http-01-address", "127.0.0.1",
                     "--agree-tos", "--email", "drao@physics.univ-lyon.example",
                     "--server", f"{live_server.url}/acme/DV/directory", "--eab-kid", account.mac_id,
                     "--eab-hmac-key", account.mac_key, "--domain", "lab.physics.example.org", "--cert-name", "lab")
    assert result.returncode == 0, result.stdout + result.stderr
    cert = Certificate.objects.get()
    assert cert.status == Status.ISSUED and cert.names == ["lab.physics.example.org"]
