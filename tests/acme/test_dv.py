"""The DV endpoint: identifiers are not pre-authorized; http-01 and dns-01 are checked for real
through the DCV machinery (same resolver and validation port settings)."""
from __future__ import annotations

import hashlib

import pytest

from certdesk.acme import services as acme_services
from certdesk.acme.jws import b64encode
from certdesk.certificates.models import Certificate

from .conftest import problem
from .test_protocol import csr_der

NAME = "www.physics.example.org"


@pytest.fixture
def dv_account(ssl, drao, physics):
    return acme_services.create_account(drao, organization=physics, endpoint_name="DV", name="physics-dv",
                                        domains=["*.physics.example.org"])


def _pending(acme_client, dv_account):
    c = acme_client(endpoint="DV")
    assert c.register(dv_account).status_code == 201
    order = c.order(NAME).json()
    assert order["status"] == "pending"
    authz = c.post(order["authorizations"][0]).json()
    assert authz["status"] == "pending"
    challenges = {ch["type"]: ch for ch in authz["challenges"]}
    assert set(challenges) == {"http-01", "dns-01", "tls-alpn-01"}
    return c, order, challenges


def _key_authorization(c, challenge) -> str:
    return f"{challenge['token']}.{b64encode(c.key.thumbprint())}"


def test_http01_validated_then_issued(acme_client, dv_account, dns, web, csr):
    c, order, challenges = _pending(acme_client, dv_account)
    challenge = challenges["http-01"]
    dns.add(f"{NAME}. 60 IN A 127.0.0.1")
    web.state.files[(NAME, f"/.well-known/acme-challenge/{challenge['token']}")] = \
        _key_authorization(c, challenge).encode()
    answered = c.post(challenge["url"], {})
    assert answered.status_code == 200 and answered.json()["status"] == "valid", answered.content
    assert 'rel="up"' in answered["Link"]
    assert c.post(order["authorizations"][0]).json()["status"] == "valid"
    done = c.post(order["finalize"], {"csr": csr_der(csr(NAME, [NAME]))}).json()
    assert done["status"] == "valid"
    assert Certificate.objects.get().requested_via == "ACME"


def test_dns01_validated(acme_client, dv_account, dns):
    c, order, challenges = _pending(acme_client, dv_account)
    digest = b64encode(hashlib.sha256(_key_authorization(c, challenges["dns-01"]).encode()).digest())
    dns.add(f'_acme-challenge.{NAME}. 60 IN TXT "{digest}"')
    assert c.post(challenges["dns-01"]["url"], {}).json()["status"] == "valid"
    assert c.post(order["authorizations"][0]).json()["status"] == "valid"


def test_failed_challenge_invalidates_the_order(acme_client, dv_account, dns, web, csr):
    c, order, challenges = _pending(acme_client, dv_account)
    dns.add(f"{NAME}. 60 IN A 127.0.0.1")
    failed = c.post(challenges["http-01"]["url"], {}).json()
    assert failed["status"] == "invalid" and failed["error"]["type"].endswith(":connection")
    assert c.post(order["finalize"].rsplit("/finalize", 1)[0]).json()["status"] == "invalid"
    refused = c.post(order["finalize"], {"csr": csr_der(csr(NAME, [NAME]))})
    assert problem(refused)[0] == "orderNotReady"
    assert Certificate.objects.count() == 0


def test_finalize_before_validation_is_order_not_ready(acme_client, dv_account, csr):
    c, order, _ = _pending(acme_client, dv_account)
    assert problem(c.post(order["finalize"], {"csr": csr_der(csr(NAME, [NAME]))}))[0] == "orderNotReady"


def _tls_alpn_server(name: str, digest: bytes | None, tmp_path):
    """A one-connection TLS server answering ALPN acme-tls/1 with an RFC 8737 certificate."""
    import datetime
    import socket
    import ssl
    import threading

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now)
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False))
    if digest is not None:
        builder = builder.add_extension(x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.5.5.7.1.31"),
                                                                   b"\x04\x20" + digest), critical=True)
    cert = builder.sign(key, hashes.SHA256())
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    context.set_alpn_protocols(["acme-tls/1"])
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(60)  # waits for the validation to connect, however busy the machine

    def serve():
        try:
            conn, _ = listener.accept()
            with context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except OSError:
            pass
        finally:
            listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


@pytest.mark.parametrize("good", [True, False])
def test_tls_alpn01(acme_client, dv_account, dns, settings, tmp_path, good):
    c, order, challenges = _pending(acme_client, dv_account)
    digest = hashlib.sha256(_key_authorization(c, challenges["tls-alpn-01"]).encode()).digest()
    dns.add(f"{NAME}. 60 IN A 127.0.0.1")
    settings.VALIDATION_HTTPS_PORT = _tls_alpn_server(NAME, digest if good else hashlib.sha256(b"x").digest(),
                                                      tmp_path)
    answered = c.post(challenges["tls-alpn-01"]["url"], {}).json()
    assert answered["status"] == ("valid" if good else "invalid"), answered
    if not good:
        assert answered["error"]["type"].endswith(":tls")
