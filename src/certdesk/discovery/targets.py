"""Reading what a discovery task scans: targets (IPv4/IPv6 addresses, CIDR ranges, host names) and
ports (lists and ranges), checked against the allowed networks and the probe cap.

Shape and rules live together here because both the form and the services need the same answer;
every refusal names its field so the portal shows it next to the input.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from django.conf import settings

from certdesk.core.i18n import msg

from .errors import DiscoveryInvalid, OutsideAllowedNetworks, TooManyProbes

MAX_TARGETS = 1000
MAX_PORT_ITEMS = 100
DEFAULT_PORTS = (443,)
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_SEPARATORS = re.compile(r"[\s,;]+")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


@dataclass(frozen=True)
class Target:
    """An address or a range (`network`), or a host name resolved when the task runs (`host`)."""

    text: str
    network: Network | None = None
    host: str = ""

    @property
    def addresses(self) -> int:
        """How many addresses it stands for (a host name counts once: its addresses are known at run time)."""
        return self.network.num_addresses if self.network is not None else 1


def _host_name(token: str) -> str | None:
    name = token.lower().rstrip(".")
    if not name or len(name) > 253:
        return None
    labels = name.split(".")
    if not all(_LABEL.match(label) for label in labels):
        return None
    if labels[-1].isdigit():  # 10.0.0.300 is a bad address, not a host name
        return None
    return name


def allowed(network: Network, networks: Iterable[Network] | None = None) -> bool:
    """Whether every address of `network` lies in one of the allowed networks."""
    networks = settings.DISCOVERY_ALLOWED_NETWORKS if networks is None else networks
    return any(network.version == net.version and network.subnet_of(net) for net in networks)


def parse_targets(value) -> list[Target]:
    """Targets separated by new lines, spaces or commas, each an address, a CIDR range or a host name;
    duplicates kept once. Addresses and ranges outside the allowed networks are refused."""
    if not isinstance(value, str) or not value.strip():
        raise DiscoveryInvalid(msg("Give at least one target: an IP address, a CIDR range or a host name."),
                               field="targets")
    tokens = list(dict.fromkeys(t for t in _SEPARATORS.split(value.strip()) if t))
    if len(tokens) > MAX_TARGETS:
        raise DiscoveryInvalid(msg("At most %(count)s targets per task.", count=MAX_TARGETS), field="targets")
    out: list[Target] = []
    seen: set[str] = set()
    for token in tokens:
        target = parse_target(token)
        if target.text in seen:
            continue
        seen.add(target.text)
        if target.network is not None and not allowed(target.network):
            raise OutsideAllowedNetworks(
                msg("%(target)s is outside the networks discovery may scan (%(networks)s).", target=target.text,
                    networks=", ".join(str(n) for n in settings.DISCOVERY_ALLOWED_NETWORKS) or "none"),
                field="targets")
        out.append(target)
    return out


def parse_target(token: str) -> Target:
    """One target; DiscoveryInvalid when it is none of an address, a range or a host name."""
    if len(token) > 253:
        raise DiscoveryInvalid(msg("A target is longer than 253 characters."), field="targets")
    candidate = token[1:-1] if token.startswith("[") and token.endswith("]") else token
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        pass
    else:
        return Target(str(address), network=ipaddress.ip_network(address))
    if "/" in candidate:
        try:
            network = ipaddress.ip_network(candidate, strict=False)
        except ValueError:
            raise DiscoveryInvalid(msg("“%(target)s” is not a valid CIDR range (for example 192.0.2.0/24 or "
                                       "2001:db8::/120).", target=token), field="targets") from None
        if network.num_addresses == 1:
            return Target(str(network.network_address), network=network)
        return Target(str(network), network=network)
    host = _host_name(candidate)
    if host is None:
        raise DiscoveryInvalid(msg("“%(target)s” is not an IP address, a CIDR range or a host name.", target=token),
                               field="targets")
    return Target(host, host=host)


def parse_ports(value) -> list[int]:
    """Ports separated by commas or spaces, ranges as 8000-8010; empty means 443."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return list(DEFAULT_PORTS)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise DiscoveryInvalid(msg("Ports must be numbers or ranges such as 443, 8443, 8000-8010."), field="ports")
    items = [t for t in _SEPARATORS.split(value.strip()) if t]
    if len(items) > MAX_PORT_ITEMS:
        raise DiscoveryInvalid(msg("At most %(count)s ports or port ranges per task.", count=MAX_PORT_ITEMS),
                               field="ports")
    ports: set[int] = set()
    for item in items:
        low, dash, high = item.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()) or len(item) > 11:
            raise DiscoveryInvalid(msg("“%(port)s” is not a port or a port range (for example 443 or 8000-8010).",
                                       port=item), field="ports")
        first, last = int(low), int(high) if dash else int(low)
        if not (1 <= first <= 65535 and 1 <= last <= 65535):
            raise DiscoveryInvalid(msg("Port %(port)s is out of range: ports go from 1 to 65535.", port=item),
                                   field="ports")
        if last < first:
            raise DiscoveryInvalid(msg("The port range %(port)s is reversed: write the lower port first.",
                                       port=item), field="ports")
        ports.update(range(first, last + 1))
    return sorted(ports)


def format_targets(targets: Iterable[Target]) -> str:
    return "\n".join(t.text for t in targets)


def format_ports(ports: Iterable[int]) -> str:
    """443,8000-8010: consecutive ports written as ranges."""
    ports = sorted(set(ports))
    parts: list[str] = []
    start = prev = None
    for port in ports + [None]:
        if start is not None and port == prev + 1:
            prev = port
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = port
    return ",".join(parts)


def probe_count(targets: Iterable[Target], ports: list[int]) -> int:
    return sum(t.addresses for t in targets) * len(ports)


def check_probe_cap(count: int) -> None:
    cap = settings.DISCOVERY_MAX_PROBES
    if count > cap:
        raise TooManyProbes(msg("This task would make %(count)s probes (addresses × ports): at most %(cap)s are "
                                "allowed. Narrow the ranges or the ports, or split the task.", count=count, cap=cap),
                            field="targets")


def host_network(ip: str) -> Network:
    return ipaddress.ip_network(ip)


def addresses(network: Network) -> Iterator[str]:
    """Every address of the range, in order (network and broadcast addresses included: servers use them)."""
    for address in network:
        yield str(address)
