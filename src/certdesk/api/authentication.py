"""SCM header authentication: `login`, `password`, `customerUri` on every request (spec §2).

The password arrives with every call, so a verified credential is cached (ARCHITECTURE
"Performance notes"): the key is an HMAC of customerUri+login+password, the value the admin's
id and password hash. A hit costs one query and is accepted only while the admin is active and
its password hash is unchanged, so a password change or a disable takes effect at once.
"""
from __future__ import annotations

import hashlib
import hmac

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from certdesk.accounts import services as accounts
from certdesk.accounts.models import Admin, AdminType
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import DomainError
from certdesk.core.net import client_ip

# Admin types that may use the API: STANDARD (portal and API) and API ("Web API Use Only").
API_TYPES = frozenset({AdminType.STANDARD.value, AdminType.API.value})
_CACHE_PREFIX = "certdesk:api-auth:"
UNKNOWN_USER = -16


class ScmAuthenticationFailed(AuthenticationFailed):
    """401 carrying the SCM code of the refusal (rendered by errors.scm_exception_handler)."""

    def __init__(self, description: str, code: int = UNKNOWN_USER):
        super().__init__(description)
        self.scm_code = code


def _normalize(customer_uri: str, login: str) -> tuple[str, str]:
    # The same normalization as accounts.services.authenticate.
    return customer_uri.strip().lower()[:64], login.strip()[:128]


def credential_cache_key(customer_uri: str, login: str, password: str) -> str:
    customer_uri, login = _normalize(customer_uri, login)
    message = "\x00".join((customer_uri, login, password)).encode("utf-8", "surrogatepass")
    digest = hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()
    return _CACHE_PREFIX + digest


def forget_credential(customer_uri: str, login: str, password: str) -> None:
    try:
        cache.delete(credential_cache_key(customer_uri, login, password))
    except DatabaseError:  # the cache is an optimization; authentication stays correct without it
        pass


def _from_cache(key: str, customer_uri: str, login: str) -> Admin | None:
    try:
        cached = cache.get(key)
    except DatabaseError:
        return None
    if not isinstance(cached, dict):
        return None
    admin = Admin.objects.select_related("customer").filter(pk=cached.get("id")).first()
    if (
        admin is not None
        and admin.is_active
        and hmac.compare_digest(admin.password or "", cached.get("hash") or "")
        and admin.login == login
        and admin.customer.uri == customer_uri
    ):
        return admin
    try:
        cache.delete(key)
    except DatabaseError:
        pass
    return None


class ScmHeaderAuthentication(BaseAuthentication):
    """DRF authentication class: returns (admin, actor); the actor is also `request.actor`."""

    def authenticate(self, request):
        headers = request._request.headers  # case-insensitive (spec §2)
        login = headers.get("login") or ""
        password = headers.get("password") or ""
        customer_uri = headers.get("customerUri") or ""
        if not (login or password or customer_uri):
            raise ScmAuthenticationFailed("Unknown user: send the login, password and customerUri headers.")
        if any(ord(ch) < 32 for ch in login + password + customer_uri):
            # Control characters cannot be part of any credential (and no database stores NUL).
            raise ScmAuthenticationFailed("Unknown user")
        ip = client_ip(request._request)
        uri, login_norm = _normalize(customer_uri, login)
        key = credential_cache_key(customer_uri, login, password) if uri and login_norm and password else None
        admin = _from_cache(key, uri, login_norm) if key else None
        if admin is None:
            try:
                admin = accounts.authenticate(customer_uri, login, password, ip=ip)
            except DomainError as exc:
                raise ScmAuthenticationFailed(exc.message or "Unknown user", exc.code) from None
            if key:
                try:
                    cache.set(key, {"id": admin.pk, "hash": admin.password}, settings.API_AUTH_CACHE_SECONDS)
                except DatabaseError:
                    pass
        if admin.type not in API_TYPES:
            raise ScmAuthenticationFailed("Unknown user")
        actor = Actor.for_admin(admin, Interface.API, ip=ip)
        request.actor = actor
        return admin, actor

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when authentication fails.
        return 'SCM realm="certdesk", headers="login password customerUri"'
