"""The client address of a request, trusting X-Forwarded-For only from configured proxies."""
from __future__ import annotations

import ipaddress

from django.conf import settings


def _trusted(addr: str) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in settings.TRUSTED_PROXY_NETWORKS)


def client_ip(request) -> str:
    if request is None:
        return ""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _trusted(remote):
        # Walk from the nearest hop back, skipping our own proxies.
        for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
            if not _trusted(hop):
                return hop
    return remote
