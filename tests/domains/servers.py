"""Real servers on loopback for the domain tests: a DNS server (UDP and TCP, built on dnslib)
and HTTP/HTTPS servers (stdlib http.server) serving DCV files. Nothing leaves 127.0.0.1."""
from __future__ import annotations

import datetime as dt
import http.server
import socket
import ssl
import struct
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from dnslib import QTYPE, RCODE, RR, DNSRecord

LOOPBACK = "127.0.0.1"


@dataclass
class SeenQuery:
    name: str
    qtype: str
    cd: bool
    do: bool
    tcp: bool


class DnsServer:
    """An authoritative-looking test resolver for made-up zones under `.test`.

    `add("name.test. 60 IN TXT \"x\"")` adds zone-file lines; names in `servfail` answer
    SERVFAIL, names in `silent` get no answer at all (a timeout); names in `signed` get the
    AD bit (as a validating resolver would set). Unknown names are NXDOMAIN, names with
    other types or only descendants are NOERROR with no data. CNAMEs are followed.
    """

    def __init__(self):
        self.records: dict[tuple[str, str], list[RR]] = {}
        self.servfail: set[str] = set()
        self.silent: set[str] = set()
        self.signed: set[str] = set()
        self.seen: list[SeenQuery] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.port = 0

    # zone data -------------------------------------------------------------
    def add(self, *lines: str) -> None:
        with self._lock:
            for line in lines:
                for rr in RR.fromZone(line):
                    key = (str(rr.rname).rstrip(".").lower(), QTYPE[rr.rtype])
                    self.records.setdefault(key, []).append(rr)

    def remove(self, name: str, qtype: str | None = None) -> None:
        name = name.rstrip(".").lower()
        with self._lock:
            for key in [k for k in self.records if k[0] == name and (qtype is None or k[1] == qtype)]:
                del self.records[key]

    def reset(self) -> None:
        with self._lock:
            self.records.clear()
            self.servfail.clear()
            self.silent.clear()
            self.signed.clear()
            self.seen.clear()

    def _exists(self, name: str) -> bool:
        return any(k[0] == name or k[0].endswith("." + name) for k in self.records)

    # protocol --------------------------------------------------------------
    def answer(self, data: bytes, *, tcp: bool) -> bytes | None:
        request = DNSRecord.parse(data)
        qname = str(request.q.qname).rstrip(".").lower()
        qtype = QTYPE[request.q.qtype]
        do = any(rr.rtype == QTYPE.OPT and (rr.ttl & 0x8000) for rr in request.ar)
        with self._lock:
            self.seen.append(SeenQuery(qname, qtype, bool(request.header.cd), do, tcp))
            if qname in self.silent:
                return None
            reply = request.reply()
            reply.header.aa = 1
            if qname in self.servfail:
                reply.header.rcode = RCODE.SERVFAIL
                return reply.pack()
            name, hops = qname, 0
            while hops < 8:
                if qtype != "CNAME" and (name, "CNAME") in self.records:
                    cname = self.records[(name, "CNAME")][0]
                    reply.add_answer(cname)
                    name, hops = str(cname.rdata.label).rstrip(".").lower(), hops + 1
                    continue
                break
            found = self.records.get((name, qtype), [])
            for rr in found:
                reply.add_answer(rr)
            if not found and not reply.rr and not self._exists(name):
                reply.header.rcode = RCODE.NXDOMAIN
            if qname in self.signed and not request.header.cd:
                reply.header.ad = 1
            return reply.pack()

    # sockets ---------------------------------------------------------------
    def start(self) -> "DnsServer":
        for _ in range(50):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind((LOOPBACK, 0))
            port = udp.getsockname()[1]
            tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                tcp.bind((LOOPBACK, port))
            except OSError:
                udp.close()
                tcp.close()
                continue
            break
        else:  # pragma: no cover
            raise RuntimeError("no free port for the test DNS server")
        tcp.listen(16)
        udp.settimeout(0.2)
        tcp.settimeout(0.2)
        self._udp, self._tcp, self.port = udp, tcp, port
        threading.Thread(target=self._serve_udp, daemon=True, name="test-dns-udp").start()
        threading.Thread(target=self._serve_tcp, daemon=True, name="test-dns-tcp").start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self._udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                out = self.answer(data, tcp=False)
            except Exception:  # a malformed packet: ignore it, as a server would
                continue
            if out is not None:
                self._udp.sendto(out, peer)
        self._udp.close()

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_client, args=(conn,), daemon=True).start()
        self._tcp.close()

    def _tcp_client(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        with conn:
            try:
                while True:
                    head = _recv_exact(conn, 2)
                    if not head:
                        return
                    data = _recv_exact(conn, struct.unpack("!H", head)[0])
                    out = self.answer(data, tcp=True)
                    if out is None:
                        return
                    conn.sendall(struct.pack("!H", len(out)) + out)
            except (OSError, ValueError):
                return


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    buf = b""
    while len(buf) < size:
        chunk = conn.recv(size - len(buf))
        if not chunk:
            return b""
        buf += chunk
    return buf


# ---------------------------------------------------------------------------
# HTTP / HTTPS


@dataclass
class WebState:
    files: dict[tuple[str, str], bytes] = field(default_factory=dict)  # (host, path) → body
    redirects: dict[tuple[str, str], str] = field(default_factory=dict)  # (host, path) → Location
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (scheme, host header, path)
    sni: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.files.clear()
        self.redirects.clear()
        self.requests.clear()
        self.sni.clear()


def _handler(state: WebState, scheme: str):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            state.requests.append((scheme, host, self.path))
            if (host, self.path) in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[(host, self.path)])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = state.files.get((host, self.path))
            if body is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):  # keep test output quiet
            pass

    return Handler


def self_signed_context(directory: Path, state: WebState) -> ssl.SSLContext:
    """A throwaway server certificate for 'localhost' (the DCV fetch accepts any certificate)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    context.sni_callback = lambda sslobj, server_name, ctx: state.sni.append(server_name or "")
    return context


class WebServers:
    """An HTTP and an HTTPS server on 127.0.0.1 sharing one WebState."""

    def __init__(self):
        self.state = WebState()
        self._tmp = tempfile.TemporaryDirectory(prefix="certdesk-dcv-tls-")

    def start(self) -> "WebServers":
        self.http = http.server.ThreadingHTTPServer((LOOPBACK, 0), _handler(self.state, "http"))
        self.https = http.server.ThreadingHTTPServer((LOOPBACK, 0), _handler(self.state, "https"))
        context = self_signed_context(Path(self._tmp.name), self.state)
        self.https.socket = context.wrap_socket(self.https.socket, server_side=True)
        for server in (self.http, self.https):
            server.daemon_threads = True
            server.timeout = 5
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    @property
    def http_port(self) -> int:
        return self.http.server_address[1]

    @property
    def https_port(self) -> int:
        return self.https.server_address[1]

    def serve(self, host: str, path: str, body: str | bytes) -> None:
        self.state.files[(host, path)] = body.encode() if isinstance(body, str) else body

    def stop(self) -> None:
        for server in (self.http, self.https):
            server.shutdown()
            server.server_close()
        self._tmp.cleanup()
