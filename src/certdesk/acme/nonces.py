"""Replay nonces (RFC 8555 §6.5) that cost nothing to issue and one atomic write to consume.

A nonce is self-authenticating: base64url(version ‖ issued-at (uint32 seconds) ‖ 12 random bytes ‖
the first 16 bytes of HMAC-SHA256 over those), keyed by a key derived from SECRET_KEY, which every
web process of an installation shares. Issuing one touches neither the database nor the cache.

Consuming one checks the MAC (constant time) and the age (at most NONCE_LIFETIME, a little clock
skew between machines allowed), then records the nonce as used with one atomic test-and-set that
fails when it is already recorded:

* Redis (the default cache is Django's RedisCache: CERTDESK_CACHE_URL, or CERTDESK_REDIS_URL):
  `cache.add()` = SET NX EX, expiring when the nonce would be refused as too old anyway;
* otherwise the `acme_usednonce` table: an INSERT on its primary key (a duplicate = a replay), the
  expired rows swept now and then by one set-based DELETE. (Django's database cache is not used:
  it culls live entries beyond MAX_ENTRIES, which would make used nonces valid again.)

Nothing lives in process memory but the derived key, so any number of gunicorn processes on any
number of machines accept each nonce exactly once. A nonce that is malformed, forged, expired or
already used is refused alike (the view answers badNonce).
"""
from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import logging
import secrets
import struct
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

logger = logging.getLogger(__name__)

NONCE_LIFETIME = timedelta(hours=1)
# Web processes on several machines: a nonce stamped by a clock slightly ahead is still accepted.
CLOCK_SKEW = timedelta(seconds=30)
_VERSION = b"\x01"
_RANDOM_BYTES = 12
_MAC_BYTES = 16
_BODY = struct.Struct(">cI12s")  # version, issued-at, random
_RAW_LENGTH = _BODY.size + _MAC_BYTES  # 33 bytes → 44 base64url characters
TEXT_LENGTH = 44
CACHE_PREFIX = "acme:nonce:"
REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"


class NonceStoreUnavailable(Exception):
    """The store of used nonces (Redis or the database) did not answer: refuse the request."""


@functools.lru_cache(maxsize=4)
def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"certdesk acme replay-nonce key v1", hashlib.sha256).digest()


def _mac(body: bytes) -> bytes:
    return hmac.new(_key(settings.SECRET_KEY), body, hashlib.sha256).digest()[:_MAC_BYTES]


def issue(now: float | None = None) -> str:
    """A fresh nonce; no I/O."""
    issued = int(time.time() if now is None else now)
    body = _BODY.pack(_VERSION, issued, secrets.token_bytes(_RANDOM_BYTES))
    return base64.urlsafe_b64encode(body + _mac(body)).rstrip(b"=").decode("ascii")


def _issued_at(value) -> int | None:
    """When the nonce was issued if it is well formed and carries our MAC, else None."""
    if not isinstance(value, str) or len(value) != TEXT_LENGTH:
        return None
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii") + b"=" * (-len(value) % 4))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
    if len(raw) != _RAW_LENGTH or base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") != value:
        return None  # a non-canonical spelling of another nonce would otherwise be a second key
    body, tag = raw[:_BODY.size], raw[_BODY.size:]
    version, issued, _ = _BODY.unpack(body)
    if version != _VERSION or not hmac.compare_digest(tag, _mac(body)):
        return None
    return issued


def uses_cache() -> bool:
    """Whether used nonces go to the cache: only a Redis cache is shared and has an atomic add."""
    return settings.CACHES.get("default", {}).get("BACKEND") == REDIS_BACKEND


def consume(value, now: float | None = None) -> bool:
    """True once per nonce we issued that is not older than NONCE_LIFETIME; False otherwise.
    Raises NonceStoreUnavailable when the used-nonce store cannot be reached."""
    issued = _issued_at(value)
    if issued is None:
        return False
    now = time.time() if now is None else now
    age = now - issued
    if age > NONCE_LIFETIME.total_seconds() or age < -CLOCK_SKEW.total_seconds():
        return False
    # Kept until the nonce would be refused as too old anyway (plus the skew allowance).
    keep = int(NONCE_LIFETIME.total_seconds() + CLOCK_SKEW.total_seconds() - age) + 1
    if uses_cache():
        return _consume_in_cache(value, keep)
    return _consume_in_database(value, now, keep)


def _consume_in_cache(value: str, keep: int) -> bool:
    from django.core.cache import cache

    try:
        return bool(cache.add(CACHE_PREFIX + value, 1, timeout=keep))
    except Exception as exc:  # redis-py's ConnectionError, TimeoutError…: fail closed
        logger.error("ACME nonce store (cache) unavailable: %s", exc)
        raise NonceStoreUnavailable(str(exc)) from exc


def _consume_in_database(value: str, now: float, keep: int) -> bool:
    from django.db import DatabaseError

    from .models import UsedNonce

    moment = datetime.fromtimestamp(now, UTC)
    try:
        with transaction.atomic():
            UsedNonce.objects.create(value=value, expires=moment + timedelta(seconds=keep))
    except IntegrityError:
        return False  # already used: the primary key is the atomic test-and-set
    except DatabaseError as exc:
        logger.error("ACME nonce store (database) unavailable: %s", exc)
        raise NonceStoreUnavailable(str(exc)) from exc
    return True  # expired rows are deleted by the worker's job (acme.tasks), not by requests


def sweep(moment: datetime | None = None) -> int:
    """Delete the used nonces that have expired (they would be refused as too old anyway)."""
    from django.utils import timezone

    from .models import UsedNonce

    deleted, _ = UsedNonce.objects.filter(expires__lt=moment or timezone.now()).delete()
    return deleted
