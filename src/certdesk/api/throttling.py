"""Rate limits of the REST API: per client address and per admin account, 429 + Retry-After (issue 6).

An authenticated request costs one statement that counts both its account and its address; the
address alone is counted before any password hashing (a cache miss), on every refusal, and by
`AddressRateThrottle` for views that authenticate nobody. Counters live in the database
(accounts.ratelimit), shared by every process. Limits: settings.API_RATE_LIMIT (per account) and
settings.API_RATE_LIMIT_IP (per address).
"""
from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from rest_framework.exceptions import Throttled
from rest_framework.throttling import BaseThrottle

from certdesk.accounts import ratelimit
from certdesk.core.net import client_ip

_COUNTED = "_certdesk_rate_counted"


class RateLimited(Throttled):
    """429 with Retry-After, rendered in the SCM shape by errors.scm_exception_handler."""

    def __init__(self, wait: int, description: str):
        super().__init__(wait=wait, detail=description)
        self.description = description


@lru_cache(maxsize=16)
def _rate(text: str, setting: str) -> ratelimit.Rate | None:
    return ratelimit.parse_rate(text, setting=setting)


def _limits(django_request, admin=None) -> list[tuple[str, ratelimit.Rate, str]]:
    limits = []
    if not getattr(django_request, _COUNTED, False):
        rate = _rate(settings.API_RATE_LIMIT_IP, "CERTDESK_API_RATE_LIMIT_IP")
        if rate is not None:
            ip = client_ip(django_request) or "unknown"
            limits.append((f"api:ip:{ip}:{rate.period}", rate, "your address"))
        setattr(django_request, _COUNTED, True)
    if admin is not None:
        rate = _rate(settings.API_RATE_LIMIT, "CERTDESK_API_RATE_LIMIT")
        if rate is not None:
            limits.append((f"api:admin:{admin.pk}:{rate.period}", rate, "this account"))
    return limits


def _enforce(limits: list[tuple[str, ratelimit.Rate, str]]) -> None:
    if not limits:
        return
    counts = ratelimit.hit(*[(bucket, rate.period) for bucket, rate, _whom in limits])
    for (_bucket, rate, whom), count in zip(limits, counts):
        if count.hits > rate.limit:
            raise RateLimited(count.retry_after, f"Too many requests: at most {rate} for {whom}. "
                                                 f"Retry in {count.retry_after} seconds.")


def check_address(request) -> None:
    """Count this request for its client address, once per request whoever asks first: before
    any password hashing, on refusals, and for views that authenticate nobody."""
    django_request = getattr(request, "_request", request)
    _enforce(_limits(django_request))


def check_request(request, admin) -> None:
    """Count an authenticated request for its account and (unless done already) its address, in
    one statement."""
    django_request = getattr(request, "_request", request)
    _enforce(_limits(django_request, admin))


class AddressRateThrottle(BaseThrottle):
    """The per-address limit for a view that authenticates nobody yet does real work: set
    `throttle_classes = [AddressRateThrottle]` on it. (Authenticated views are counted by the
    authentication; the JSON 404 is cheaper than a counter and is left alone.)"""

    def allow_request(self, request, view) -> bool:
        check_address(request)
        return True
