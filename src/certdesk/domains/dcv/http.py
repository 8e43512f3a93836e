"""HTTP and HTTPS file DCV (CA/B BR 3.2.2.4.18 "Agreed-Upon Change to Website v2").

The applicant serves `/.well-known/pki-validation/<random>.txt` whose first line is a
random value and second line this CA's identity. The check resolves the domain's A/AAAA
records through the configured resolver, connects to those addresses itself (port 80/443,
or CERTDESK_VALIDATION_HTTP(S)_PORT in tests) with the domain as Host header and TLS SNI,
accepts any server certificate (certdesk-decisions: the proof is the file), follows at
most three redirects and only to the same host on the HTTP/HTTPS ports, and reads at
most 4 KiB within a time limit. Refused for wildcard domains (BR 3.2.2.4.18: not for
wildcard names); every order has a new file name and value (single use).
"""
from __future__ import annotations

import http.client
import socket
import ssl
from urllib.parse import urljoin, urlsplit

from django.conf import settings

from certdesk.core.i18n import join, msg

from .. import resolver
from .base import CheckResult, ca_identity, random_value

WELL_KNOWN = "/.well-known/pki-validation/"
MAX_BYTES = 4096
TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 3
MAX_ADDRESSES = 4
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


class FetchError(Exception):
    pass


def prepare(order, domain) -> None:
    scheme = "https" if order.method == "HTTPS" else "http"
    order.url = f"{scheme}://{order.target}{WELL_KNOWN}{random_value().upper()}.txt"
    order.value = random_value() + random_value()
    order.second_line = ca_identity()


class _Connection(http.client.HTTPConnection):
    """An HTTP(S) connection to one address, speaking for `server_name` (Host header and SNI)."""

    def __init__(self, address: str, port: int, *, server_name: str, tls: bool, timeout: float):
        super().__init__(address, port, timeout=timeout)
        self._server_name = server_name
        self._tls = tls

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        if self._tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            try:
                sock = context.wrap_socket(sock, server_hostname=self._server_name)
            except Exception:
                sock.close()
                raise
        self.sock = sock


def _port_for(scheme: str) -> int:
    return settings.VALIDATION_HTTPS_PORT if scheme == "https" else settings.VALIDATION_HTTP_PORT


def fetch(address: str, scheme: str, host: str, path: str, *, redirects_left: int = MAX_REDIRECTS) -> bytes:
    """GET `scheme://host/path` from `address`; the body, or FetchError with the reason."""
    conn = _Connection(address, _port_for(scheme), server_name=host, tls=scheme == "https", timeout=TIMEOUT_SECONDS)
    try:
        try:
            conn.request("GET", path, headers={
                "Host": host, "User-Agent": "certdesk-dcv/1", "Accept": "text/plain, */*", "Connection": "close",
            })
            response = conn.getresponse()
            if response.status in REDIRECT_STATUSES:
                location = response.getheader("Location") or ""
                return _follow(address, scheme, host, path, location, redirects_left)
            if response.status != 200:
                raise FetchError(f"{scheme.upper()} {response.status} {response.reason}".strip())
            body = response.read(MAX_BYTES + 1)
        except socket.timeout:
            raise FetchError(msg("no answer within %(timeout_seconds)g s", timeout_seconds=TIMEOUT_SECONDS)) from None
        except ssl.SSLError as exc:
            raise FetchError(msg("TLS handshake failed (%(reason)s)", reason=exc.reason or exc)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise FetchError(str(exc) or exc.__class__.__name__) from None
    finally:
        conn.close()
    if len(body) > MAX_BYTES:
        raise FetchError(msg("the file is larger than %(max_bytes)s bytes", max_bytes=MAX_BYTES))
    return body


def _follow(address: str, scheme: str, host: str, path: str, location: str, redirects_left: int) -> bytes:
    if not location:
        raise FetchError(msg("a redirect without a Location header"))
    if redirects_left <= 0:
        raise FetchError(msg("too many redirects"))
    target = urlsplit(urljoin(f"{scheme}://{host}{path}", location))
    if target.scheme not in ("http", "https"):
        raise FetchError(msg("a redirect to a %(scheme)s URL (%(location)s)",
                             scheme=target.scheme or 'relative', location=location))
    if (target.hostname or "").lower().rstrip(".") != host:
        raise FetchError(msg("a redirect to another host (%(hostname)s); only %(host)s is accepted",
                             hostname=target.hostname, host=host))
    allowed_ports = {None, 80, 443, settings.VALIDATION_HTTP_PORT, settings.VALIDATION_HTTPS_PORT}
    if target.port not in allowed_ports:
        raise FetchError(msg("a redirect to port %(port)s; only 80 and 443 are accepted", port=target.port))
    next_path = (target.path or "/") + (f"?{target.query}" if target.query else "")
    return fetch(address, target.scheme, host, next_path, redirects_left=redirects_left - 1)


def compare(body: bytes, order) -> CheckResult:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return CheckResult(False, msg("%(url)s is not UTF-8 text.", url=order.url))
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        return CheckResult(False, msg("%(url)s is empty.", url=order.url))
    if lines[0] != order.value:
        # The body is not echoed: the fetch may reach any address the domain's DNS names.
        return CheckResult(False, msg("The first line of %(url)s is not the expected value.", url=order.url))
    if len(lines) > 2 or (len(lines) == 2 and order.second_line and lines[1] != order.second_line):
        return CheckResult(False, msg("%(url)s must contain exactly the two lines given ('%(value)s' then "
                                      "'%(second_line)s').", url=order.url, value=order.value,
                                      second_line=order.second_line))
    return CheckResult(True, msg("%(url)s has the expected content.", url=order.url))


def check(order) -> CheckResult:
    parts = urlsplit(order.url)
    host = order.target
    try:
        found = resolver.addresses(host)
    except resolver.DnsFailure as failure:
        return CheckResult(False, failure.reason, dns_failure=True)
    if not found:
        return CheckResult(False, msg("%(host)s has no A or AAAA record, so %(url)s cannot be fetched.",
                                      host=host, url=order.url))
    errors = []
    for address in found[:MAX_ADDRESSES]:
        try:
            body = fetch(address, parts.scheme, host, parts.path)
        except FetchError as exc:
            errors.append(msg("%(address)s: %(error)s", address=address, error=exc.args[0] if exc.args else exc))
            continue
        return compare(body, order)
    return CheckResult(False, msg("Could not fetch %(url)s: %(errors)s.", url=order.url, errors=join("; ", errors)))
