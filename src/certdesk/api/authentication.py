"""Authentication of the SCM REST API, and the fences every request passes first (issue 6).

Three ways in (spec §2), tried in this order by one DRF class, so every view, current or future,
gets all of them and the same fences:

- `Authorization: Bearer <token>`: a per-admin API token (accounts.access), the better option
  for new scripts;
- on `/private/api/...` only, a TLS client certificate verified by a trusted reverse proxy
  (headers settings.CLIENT_CERT_HEADER / CLIENT_VERIFY_HEADER, believed only from
  settings.TRUSTED_PROXY_NETWORKS), with the `login` and `customerUri` headers: the admin's
  registered `certificateSerialNumber` must be the certificate's serial;
- the `login`, `password`, `customerUri` headers, as every SCM client sends them.

The password arrives with every call, so a verified credential is cached (ARCHITECTURE
"Performance notes"): the key is an HMAC of customerUri+login+password, the value the admin's
id and password hash. A hit costs one query and is accepted only while the admin is active and
its password hash is unchanged, so a password change or a disable takes effect at once.

Fences, in order: the credential (with the per-address rate limit before any password hashing),
the admin type (STANDARD or API), the IP access-control lists that bind the admin's credentials,
the rate limits of the account and the address (one statement). Every refusal is an SCM error
(401, or 429 with Retry-After), and counts against the address.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
import re
from urllib.parse import unquote

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from rest_framework.authentication import BaseAuthentication
from rest_framework.exceptions import AuthenticationFailed

from certdesk.accounts import access
from certdesk.accounts import services as accounts
from certdesk.accounts.models import Admin, AdminType
from certdesk.core.actor import Actor, Interface
from certdesk.core.errors import DomainError
from certdesk.core.net import client_ip

from . import throttling

# Admin types that may use the API: STANDARD (portal and API) and API ("Web API Use Only").
API_TYPES = frozenset({AdminType.STANDARD.value, AdminType.API.value})
_CACHE_PREFIX = "certdesk:api-auth:"
UNKNOWN_USER = -16

# How the request authenticated (request.auth_method on the Django request; views may refuse some).
PASSWORD, TOKEN, CERTIFICATE = "password", "token", "certificate"
_PEM_RE = re.compile(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", re.S)


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
    admin = access.with_acl_flag(Admin.objects.select_related("customer")).filter(pk=cached.get("id")).first()
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


def from_trusted_proxy(django_request) -> bool:
    """Whether the peer is one of settings.TRUSTED_PROXY_NETWORKS (its headers may be believed)."""
    try:
        peer = ipaddress.ip_address(django_request.META.get("REMOTE_ADDR", "") or "")
    except ValueError:
        return False
    return any(peer in network for network in settings.TRUSTED_PROXY_NETWORKS)


def presented_certificate(django_request) -> str | None:
    """The PEM of the client certificate a trusted reverse proxy verified, on /private/api only;
    None when the request does not come that way (the headers of anyone else are ignored)."""
    if not django_request.path_info.startswith("/private/api/") or not from_trusted_proxy(django_request):
        return None
    headers = django_request.headers
    if (headers.get(settings.CLIENT_VERIFY_HEADER) or "").strip().upper() != "SUCCESS":
        return None
    value = headers.get(settings.CLIENT_CERT_HEADER) or ""
    if not value.strip() or len(value) > 32768:
        return None
    # nginx sends the PEM URL-encoded ($ssl_client_escaped_cert); Apache with its newlines turned
    # into spaces: rebuild a clean PEM from the base64 between the markers.
    match = _PEM_RE.search(unquote(value))
    if not match:
        return None
    body = "".join(match.group(1).split())
    try:
        der = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None
    encoded = base64.b64encode(der).decode()
    lines = [encoded[i:i + 64] for i in range(0, len(encoded), 64)]
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


def _refused(exc: DomainError) -> ScmAuthenticationFailed:
    return ScmAuthenticationFailed(exc.message or "Unknown user", exc.code)


class ScmHeaderAuthentication(BaseAuthentication):
    """DRF authentication class: returns (admin, actor); the actor is also `request.actor`."""

    def authenticate(self, request):
        django_request = request._request
        ip = client_ip(django_request)
        try:
            admin, method, fenced = self._admin(django_request, ip)
            if admin.type not in API_TYPES:
                raise ScmAuthenticationFailed("Unknown user")
            if not fenced:
                try:
                    access.require_address_allowed(admin, ip)
                except DomainError as exc:
                    raise _refused(exc) from None
        except AuthenticationFailed:
            throttling.check_address(django_request)  # refusals count too (a 429 wins over the 401)
            raise
        throttling.check_request(django_request, admin)  # one statement: the account and the address
        actor = Actor.for_admin(admin, Interface.API, ip=ip)
        django_request.auth_method = method
        request.actor = actor
        return admin, actor

    def _admin(self, django_request, ip: str) -> tuple[Admin, str, bool]:
        """(admin, how it authenticated, whether its IP ACLs were already checked)."""
        headers = django_request.headers  # case-insensitive (spec §2)
        authorization = headers.get("Authorization") or ""
        if authorization[:7].lower() == "bearer ":
            return self._token(authorization[7:].strip(), headers.get("customerUri")), TOKEN, False
        login = headers.get("login") or ""
        password = headers.get("password") or ""
        customer_uri = headers.get("customerUri") or ""
        if not (login or password or customer_uri):
            raise ScmAuthenticationFailed("Unknown user: send the login, password and customerUri headers "
                                          "(or an API token as Authorization: Bearer).")
        if any(ord(ch) < 32 for ch in login + password + customer_uri):
            # Control characters cannot be part of any credential (and no database stores NUL).
            raise ScmAuthenticationFailed("Unknown user")
        if not password:
            pem = presented_certificate(django_request)
            if pem is not None:
                try:
                    serial = access.serial_of_certificate(pem)
                    return accounts.authenticate_certificate(customer_uri, login, serial, ip=ip), CERTIFICATE, True
                except DomainError as exc:
                    raise _refused(exc) from None
        uri, login_norm = _normalize(customer_uri, login)
        key = credential_cache_key(customer_uri, login, password) if uri and login_norm and password else None
        admin = _from_cache(key, uri, login_norm) if key else None
        if admin is not None:
            return admin, PASSWORD, False
        throttling.check_address(django_request)  # before hashing a password
        try:
            admin = accounts.authenticate(customer_uri, login, password, ip=ip)
        except DomainError as exc:
            raise _refused(exc) from None
        if key:
            try:
                cache.set(key, {"id": admin.pk, "hash": admin.password}, settings.API_AUTH_CACHE_SECONDS)
            except DatabaseError:
                pass
        return admin, PASSWORD, True

    @staticmethod
    def _token(raw: str, customer_uri: str | None) -> Admin:
        try:
            admin = access.authenticate_token(raw)
        except DomainError as exc:
            raise _refused(exc) from None
        if customer_uri and _normalize(customer_uri, "")[0] != admin.customer.uri:
            raise ScmAuthenticationFailed("Unknown user: invalid, expired or revoked API token.")
        return admin

    def authenticate_header(self, request) -> str:
        # Makes DRF answer 401 (not 403) when authentication fails.
        return 'SCM realm="certdesk", headers="login password customerUri", Bearer realm="certdesk"'


def auth_method(request) -> str | None:
    """How a DRF or Django request authenticated: PASSWORD, TOKEN, CERTIFICATE or None."""
    return getattr(getattr(request, "_request", request), "auth_method", None)
