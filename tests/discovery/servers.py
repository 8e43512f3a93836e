"""TLS (and not-TLS) servers on loopback ports the tests bind themselves, serving certificates the
tests make with cryptography. Nothing here contacts any other address."""
from __future__ import annotations

import abc
import datetime as dt
import socket
import ssl
import tempfile
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def make_certificate(common_name: str, *, issuer_name: x509.Name | None = None, issuer_key=None,
                     days: int = 90, serial: int | None = None, sans: list[str] | None = None):
    """(certificate, key): self-signed unless an issuer is given."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer_name or subject)
               .public_key(key.public_key()).serial_number(serial or x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=days))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in (sans or [common_name])]),
                              critical=False)
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
    signer = issuer_key or key
    algorithm = None if signer.__class__.__name__.startswith("_Ed") else hashes.SHA256()
    return builder.sign(signer, algorithm), key


def _context(cert: x509.Certificate, key) -> ssl.SSLContext:
    folder = Path(tempfile.mkdtemp(prefix="discovery-tls-"))
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


class Server(abc.ABC):
    """A listener on (host, free port) answering each connection in a thread until stopped; each
    kind of server (TLS, plain TCP) says how it answers."""

    def __init__(self, host: str = "127.0.0.1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.sni: list[str | None] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> "Server":
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    @abc.abstractmethod
    def _answer(self, conn: socket.socket) -> None:
        """Answer one accepted connection (runs in its own thread)."""

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class TlsServer(Server):
    """Serves `cert`; with `by_sni`, the certificate for the SNI name sent (else `cert`)."""

    def __init__(self, cert, key, host: str = "127.0.0.1", by_sni: dict[str, tuple] | None = None):
        super().__init__(host)
        self.cert = cert
        self.context = _context(cert, key)
        named = {name: _context(c, k) for name, (c, k) in (by_sni or {}).items()}

        def choose(tls, server_name, _context):
            self.sni.append(server_name)
            if server_name in named:
                tls.context = named[server_name]

        self.context.sni_callback = choose

    def _answer(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            with self.context.wrap_socket(conn, server_side=True) as tls:
                try:
                    tls.recv(1)
                except (OSError, ssl.SSLError):
                    pass
        except (OSError, ssl.SSLError):
            conn.close()


class PlainServer(Server):
    """Not TLS: answers an HTTP error in clear text and hangs up."""

    def _answer(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                # Read the client's hello first: closing with unread input would reset the connection
                # (RST) and the client could see "connection reset" instead of a non-TLS answer.
                conn.recv(65536)
                conn.sendall(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                conn.shutdown(socket.SHUT_WR)
                conn.recv(65536)  # until the client hangs up
            except OSError:
                pass


class ClosedPort:
    """A port bound on loopback but not listening: connections to it are refused, and no other
    process can take it while the test holds it."""

    def __init__(self, host: str = "127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind((host, 0))
        self.port = self.sock.getsockname()[1]

    def stop(self) -> None:
        self.sock.close()
