"""The network side of discovery: TLS handshakes with a bounded thread pool, no database.

Each probe connects to ip:port (a per-connection timeout bounds the connect and the handshake),
sends SNI when the target was a host name, and reads the peer's certificate. Python 3.11's `ssl`
gives the leaf certificate only (`getpeercert(binary_form=True)`; the full chain needs
`get_unverified_chain()`, Python 3.13): discovery records the leaf, and "verifies against our CAs"
means that one of certdesk's CAs signed that leaf. Verification is off on purpose: discovery must
see expired, self-signed and misnamed certificates too.
"""
from __future__ import annotations

import socket
import ssl
import warnings
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Iterable, Iterator


@dataclass(frozen=True)
class Probe:
    ip: str
    port: int
    host: str = ""  # sent as SNI when given


@dataclass(frozen=True)
class ProbeResult:
    probe: Probe
    der: bytes | None = None
    tls_version: str = ""
    cipher: str = ""
    error: str = ""

    @property
    def ok(self) -> bool:
        return self.der is not None


def _context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:  # old servers too: discovery reports what is there, it does not judge the handshake
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("ALL:@SECLEVEL=0")
    except (ValueError, ssl.SSLError):
        pass
    return context


def probe(target: Probe, *, timeout: float, context: ssl.SSLContext | None = None) -> ProbeResult:
    """One TLS handshake; every failure becomes a result with an English `error`, never an exception."""
    context = context or _context()
    family = socket.AF_INET6 if ":" in target.ip else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as raw:
            raw.settimeout(timeout)
            raw.connect((target.ip, target.port))
            with context.wrap_socket(raw, server_hostname=target.host or None) as tls:
                der = tls.getpeercert(binary_form=True)
                cipher = tls.cipher()
                version = tls.version() or ""
    except ConnectionRefusedError:
        return ProbeResult(target, error="connection refused")
    except (socket.timeout, TimeoutError):
        return ProbeResult(target, error="timed out")
    except ssl.SSLError as exc:
        return ProbeResult(target, error=f"TLS handshake failed: {exc.reason or exc.__class__.__name__}"[:500])
    except (ConnectionResetError, BrokenPipeError, EOFError):
        return ProbeResult(target, error="connection closed during the TLS handshake")
    except OSError as exc:
        return ProbeResult(target, error=(exc.strerror or str(exc) or exc.__class__.__name__)[:500])
    if not der:
        return ProbeResult(target, error="the server sent no certificate")
    return ProbeResult(target, der=der, tls_version=version, cipher=cipher[0] if cipher else "")


def scan(probes: Iterable[Probe], *, timeout: float, concurrency: int) -> Iterator[ProbeResult]:
    """Probe everything with at most `concurrency` connections at once; results in completion order.

    Probes are taken from the iterable as slots free up, so a /16 never sits in memory as futures."""
    context = _context()
    pending: set[Future] = set()
    source = iter(probes)
    with ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="discovery") as pool:
        exhausted = False
        while True:
            while not exhausted and len(pending) < max(1, concurrency):
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending.add(pool.submit(probe, item, timeout=timeout, context=context))
            if not pending:
                return
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()


def resolve(host: str) -> list[str]:
    """The addresses of a host name (A and AAAA through the system resolver), in a stable order."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({info[4][0] for info in infos}, key=lambda a: (":" in a, a))
