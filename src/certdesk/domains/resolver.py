"""DNS lookups for DCV and CAA through dnspython, against the resolvers in settings.

`CERTDESK_DNS_RESOLVERS` (host[:port], comma separated; `[v6]:port` for IPv6) or the
system's resolvers when empty. Absence (NXDOMAIN, no data) is an empty answer; a
timeout, SERVFAIL, REFUSED or any other failure raises DnsFailure with the reason, so
a check can never pass on a failed lookup.

DNSSEC (CERTDESK_DNSSEC_VALIDATE): certdesk does not verify signatures itself. When on,
queries carry the DO bit and ask for AD, so a validating resolver answers SERVFAIL for a
bogus signed zone (a failure here) and sets AD on validated answers (reported as
`authenticated`). When off, queries carry CD ("checking disabled") so a validating
resolver returns data even for broken private zones.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import dns.exception
import dns.flags
import dns.message
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver
from django.conf import settings

from certdesk.core.i18n import msg


class DnsFailure(Exception):
    """The lookup failed: no answer can be trusted (timeout, SERVFAIL, REFUSED…)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass
class DnsAnswer:
    name: str
    rdtype: str
    records: list = field(default_factory=list)  # dnspython rdata objects
    nxdomain: bool = False
    authenticated: bool = False  # AD bit set by a validating resolver

    def __bool__(self) -> bool:
        return bool(self.records)


def parse_resolvers(entries: list[str]) -> list[tuple[str, int]]:
    """`["127.0.0.1:5353", "[::1]:53", "9.9.9.9"]` → [(address, port)]."""
    out = []
    for entry in entries:
        entry = entry.strip()
        if not entry:
            continue
        port = 53
        if entry.startswith("["):
            address, _, rest = entry[1:].partition("]")
            if rest.startswith(":"):
                port = int(rest[1:])
        elif entry.count(":") == 1:
            address, port_text = entry.split(":")
            port = int(port_text)
        else:
            address = entry  # bare IPv4, or bare IPv6 without a port
        out.append((address, port))
    return out


def make_resolver() -> dns.resolver.Resolver:
    configured = parse_resolvers(settings.DNS_RESOLVERS)
    if configured:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(address, port) for address, port in configured]
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = settings.DNS_TIMEOUT
    resolver.lifetime = settings.DNS_TIMEOUT
    resolver.cache = None  # every DCV/CAA check asks afresh
    if settings.DNSSEC_VALIDATE:
        resolver.use_edns(0, dns.flags.DO, 1232)
        resolver.flags = dns.flags.RD | dns.flags.AD
    else:
        resolver.use_edns(0, 0, 1232)
        resolver.flags = dns.flags.RD | dns.flags.CD
    return resolver


def _servers_text() -> str:
    return ", ".join(settings.DNS_RESOLVERS) or "the system resolvers"


def _failure_from(exc: dns.resolver.NoNameservers, name: str, rdtype: str) -> DnsFailure:
    codes = []
    for error in exc.kwargs.get("errors", []) or []:
        response = error[4] if len(error) > 4 else None
        if isinstance(response, dns.message.Message):
            codes.append(dns.rcode.to_text(response.rcode()))
        elif error[3] is not None:
            codes.append(str(error[3]))
    detail = ", ".join(sorted(set(codes)))
    if not detail:
        return DnsFailure(msg("DNS lookup of %(name)s %(rdtype)s failed: no usable answer.", name=name, rdtype=rdtype))
    if "SERVFAIL" in detail:
        return DnsFailure(msg("DNS lookup of %(name)s %(rdtype)s failed: %(detail)s (a validating resolver answers "
                              "SERVFAIL for a DNSSEC-bogus zone).", name=name, rdtype=rdtype, detail=detail))
    return DnsFailure(msg("DNS lookup of %(name)s %(rdtype)s failed: %(detail)s.", name=name, rdtype=rdtype,
                          detail=detail))


def lookup(name: str, rdtype: str, *, resolver: dns.resolver.Resolver | None = None) -> DnsAnswer:
    """The records of `rdtype` at `name` (CNAMEs followed by the resolver); empty when absent."""
    resolver = resolver or make_resolver()
    qname = name if name.endswith(".") else name + "."
    try:
        answer = resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN:
        return DnsAnswer(name=name, rdtype=rdtype, nxdomain=True)
    except dns.resolver.NoNameservers as exc:
        raise _failure_from(exc, name, rdtype) from None
    except dns.exception.Timeout:
        raise DnsFailure(msg("DNS lookup of %(name)s %(rdtype)s timed out after %(timeout)g s "
                             "asking %(servers)s.",
                             name=name, rdtype=rdtype, timeout=settings.DNS_TIMEOUT, servers=_servers_text())) from None
    except dns.exception.DNSException as exc:
        raise DnsFailure(msg("DNS lookup of %(name)s %(rdtype)s failed: %(exc)s",
                             name=name, rdtype=rdtype, exc=exc)) from None
    records = list(answer.rrset) if answer.rrset is not None else []
    authenticated = bool(answer.response.flags & dns.flags.AD)
    return DnsAnswer(name=name, rdtype=rdtype, records=records, authenticated=authenticated)


def addresses(name: str, *, resolver: dns.resolver.Resolver | None = None) -> list[str]:
    """IPv4 then IPv6 addresses of `name`; DnsFailure when either lookup fails."""
    resolver = resolver or make_resolver()
    found: list[str] = []
    for rdtype in ("A", "AAAA"):
        found.extend(rdata.address for rdata in lookup(name, rdtype, resolver=resolver).records)
    return found


def txt_strings(answer: DnsAnswer) -> list[str]:
    """Each TXT record as one string (its character-strings joined, RFC 7208 §3.3 style)."""
    out = []
    for rdata in answer.records:
        if rdata.rdtype == dns.rdatatype.TXT:
            out.append(b"".join(rdata.strings).decode("utf-8", "replace"))
    return out
