"""ACME protocol state (RFC 8555 §7): nonces, client registration with EAB, orders and their
computed status, challenge checks (DV), finalize through certificates.services.request_ssl,
and revocation. No HTTP here: the views parse and render, these raise AcmeProblem."""
from __future__ import annotations

import hashlib
import socket
import ssl
from datetime import UTC, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from certdesk.certificates import csr as csr_module
from certdesk.certificates import errors as cert_errors
from certdesk.certificates import services as cert_services
from certdesk.certificates.models import Certificate, Profile
from certdesk.certificates.queries import profiles_for
from certdesk.certificates.states import PENDING_STATUSES, REVOKED_STATUSES, Status
from certdesk.core.errors import DomainError
from certdesk.domains import names as domain_names
from certdesk.domains import queries as domain_queries
from certdesk.domains import resolver
from certdesk.domains.dcv import http as dcv_http
from certdesk.domains.errors import InvalidDomainName

from . import jws as jose
from . import nonces
from .errors import NOT_PREAUTHORIZED, AcmeProblem, malformed, unauthorized
from .models import (
    AccountStatus,
    AcmeAccount,
    AcmeAuthorization,
    AcmeChallenge,
    AcmeClient,
    AcmeEndpoint,
    AcmeOrder,
    AuthzStatus,
    ChallengeStatus,
    ClientStatus,
)
from .nonces import NONCE_LIFETIME  # noqa: F401  (re-exported: the lifetime clients see)

ORDER_LIFETIME = timedelta(days=7)
# A finalize claim older than this belongs to a process that died: the order is ready again.
FINALIZE_CLAIM_TIMEOUT = timedelta(minutes=10)
AUTHZ_LIFETIME = timedelta(days=30)
CHALLENGE_TYPES = ("http-01", "dns-01", "tls-alpn-01")
# RFC 8737 §3: the acmeIdentifier extension and the ALPN protocol of tls-alpn-01
ACME_IDENTIFIER_OID = x509.ObjectIdentifier("1.3.6.1.5.5.7.1.31")
ACME_TLS_ALPN = "acme-tls/1"


# ---------------------------------------------------------------------------
# Nonces (RFC 8555 §6.5): stateless and MACed when issued, recorded once when used (`nonces`)


def new_nonce() -> str:
    return nonces.issue()


def consume_nonce(value) -> bool:
    """True once per nonce issued here and unexpired; a store outage refuses the request (503)."""
    try:
        return nonces.consume(value)
    except nonces.NonceStoreUnavailable:
        raise AcmeProblem("serverInternal", "The replay-nonce store is unavailable; try again shortly.",
                          status=503, headers={"Retry-After": "5"}) from None


# ---------------------------------------------------------------------------
# URLs (built from settings.BASE_URL, the base of every URL certdesk hands out)


def base_url(endpoint: AcmeEndpoint) -> str:
    return f"{settings.BASE_URL}/acme/{endpoint.name}"


def directory_url(endpoint: AcmeEndpoint) -> str:
    return f"{base_url(endpoint)}/directory"


def client_url(client: AcmeClient) -> str:
    return f"{base_url(client.account.endpoint)}/acct/{client.token}"


def order_url(order: AcmeOrder, endpoint: AcmeEndpoint) -> str:
    return f"{base_url(endpoint)}/order/{order.token}"


def authz_url(authz: AcmeAuthorization, endpoint: AcmeEndpoint) -> str:
    return f"{base_url(endpoint)}/authz/{authz.token}"


def challenge_url(challenge: AcmeChallenge, endpoint: AcmeEndpoint) -> str:
    return f"{base_url(endpoint)}/chall/{challenge.token}"


def certificate_url(order: AcmeOrder, endpoint: AcmeEndpoint) -> str:
    return f"{base_url(endpoint)}/cert/{order.token}"


def iso(value) -> str | None:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# ---------------------------------------------------------------------------
# Accounts (RFC 8555 §7.3)


def client_for_jwk(jwk: dict) -> AcmeClient | None:
    return (AcmeClient.objects.select_related("account", "account__endpoint", "account__organization")
            .filter(thumbprint=jose.thumbprint(jwk)).first())


def check_client_usable(client: AcmeClient, endpoint: AcmeEndpoint) -> None:
    if client.account.endpoint_id != endpoint.pk:
        raise AcmeProblem("accountDoesNotExist", "This account does not exist on this ACME server.")
    if client.status != ClientStatus.VALID:
        raise unauthorized(f"The account is {client.status}.")
    if client.account.status == AccountStatus.SUSPENDED:
        raise unauthorized("The ACME account is suspended: ask your RAO to reactivate it.")


def _eab_account(endpoint: AcmeEndpoint, eab, jwk: dict, url: str) -> AcmeAccount:
    """Check an externalAccountBinding (RFC 8555 §7.3.4) and return the account it names."""
    if eab is None:
        raise AcmeProblem("externalAccountRequired", "This server requires External Account Binding: give the "
                                                     "Key ID and HMAC key of your ACME account (certbot "
                                                     "--eab-kid and --eab-hmac-key).")
    inner = jose.parse(eab)
    header = inner.protected
    if header.get("alg") != "HS256":
        raise malformed("The externalAccountBinding must be signed with HS256.")
    if "nonce" in header:
        raise malformed("The externalAccountBinding must not carry a nonce.")
    if header.get("url") != url:
        raise unauthorized("The externalAccountBinding url does not match the newAccount URL.")
    kid = header.get("kid")
    account = (AcmeAccount.objects.select_related("endpoint", "organization", "customer")
               .filter(mac_id=kid if isinstance(kid, str) else "").first())
    if account is None or account.endpoint_id != endpoint.pk:
        raise unauthorized("Unknown External Account Binding Key ID for this ACME server.")
    try:
        key = jose.b64decode(account.mac_key, "HMAC key")
    except AcmeProblem:  # stored keys are always valid; be strict anyway
        raise unauthorized("The External Account Binding key is unusable.") from None
    if not jose.verify_hs256(inner, key):
        raise unauthorized("The External Account Binding signature does not verify (wrong HMAC key).")
    bound = inner.payload()
    if not isinstance(bound, dict) or jose.thumbprint(bound) != jose.thumbprint(jwk):
        raise malformed("The externalAccountBinding payload must be the account's public key.")
    if account.status == AccountStatus.SUSPENDED:
        raise unauthorized("The ACME account is suspended: ask your RAO to reactivate it.")
    return account


def _contacts(payload: dict) -> list[str]:
    contacts = payload.get("contact", [])
    if contacts is None:
        return []
    if not isinstance(contacts, list) or not all(isinstance(c, str) for c in contacts) or len(contacts) > 10:
        raise malformed("contact must be a list of URLs.")
    for contact in contacts:
        if not contact.startswith("mailto:") or "@" not in contact or len(contact) > 320 or "," in contact:
            raise AcmeProblem("invalidContact" if contact.startswith("mailto:") else "unsupportedContact",
                              f"Unsupported contact {contact!r}: use mailto: addresses.")
    return contacts


def register(endpoint: AcmeEndpoint, jwk: dict, payload: dict, url: str, *, user_agent: str = "",
             ip: str = "") -> tuple[AcmeClient, bool]:
    """newAccount: the existing client for this key, or a new one bound by EAB."""
    if not isinstance(payload, dict):
        raise malformed("The newAccount payload must be a JSON object.")
    existing = client_for_jwk(jwk)
    if existing is not None:
        check_client_usable(existing, endpoint)
        return existing, False
    if payload.get("onlyReturnExisting") is True:
        raise AcmeProblem("accountDoesNotExist", "No account exists with this key.")
    if payload.get("termsOfServiceAgreed") not in (None, True, False):
        raise malformed("termsOfServiceAgreed must be a boolean.")
    contacts = _contacts(payload)
    account = _eab_account(endpoint, payload.get("externalAccountBinding"), jwk, url)
    with transaction.atomic():
        try:
            client = AcmeClient.objects.create(account=account, jwk=jwk, thumbprint=jose.thumbprint(jwk),
                                               contacts=contacts, user_agent=user_agent[:256], ip_address=ip[:64],
                                               last_activity=timezone.now())
        except IntegrityError:
            raise AcmeProblem("conflict", "An account with this key was registered at the same time.",
                              status=409) from None
        if account.status == AccountStatus.PENDING:
            AcmeAccount.objects.filter(pk=account.pk, status=AccountStatus.PENDING).update(status=AccountStatus.VALID)
    client.account.refresh_from_db()
    return client, True


def account_object(client: AcmeClient) -> dict:
    return {
        "status": client.status,
        "contact": list(client.contacts or []),
        "termsOfServiceAgreed": True,
        "orders": f"{client_url(client)}/orders",
        "externalAccountBinding": {"kid": client.account.mac_id},
    }


def update_client(client: AcmeClient, payload: dict) -> AcmeClient:
    """Account update (§7.3.2) and deactivation (§7.3.6)."""
    if not isinstance(payload, dict):
        raise malformed("The account update must be a JSON object.")
    fields = []
    if "contact" in payload:
        client.contacts = _contacts(payload)
        fields.append("contacts")
    if "status" in payload:
        if payload["status"] != "deactivated":
            raise malformed("An account's status can only be changed to deactivated.")
        client.status = ClientStatus.DEACTIVATED
        fields.append("status")
        AcmeAuthorization.objects.filter(order__client=client, status=AuthzStatus.PENDING).update(
            status=AuthzStatus.DEACTIVATED)
    if fields:
        client.save(update_fields=fields)
    return client


def change_key(client: AcmeClient, inner: jose.Jws, outer_url: str) -> AcmeClient:
    """keyChange (§7.3.5): the inner JWS, signed by the new key, names the account and the old key."""
    header = inner.protected
    jose.check_algorithm(header.get("alg"))
    if "jwk" not in header or "kid" in header:
        raise malformed("The inner keyChange JWS must carry the new key as jwk (and no kid).")
    if "nonce" in header:
        raise malformed("The inner keyChange JWS must not carry a nonce.")
    if header.get("url") != outer_url:
        raise malformed("The inner keyChange JWS url must equal the outer one.")
    new_jwk = header["jwk"]
    key = jose.public_key(new_jwk)
    if not jose.verify_signature(key, header["alg"], inner.signing_input, inner.signature):
        raise malformed("The inner keyChange JWS signature does not verify with the new key.")
    payload = inner.payload()
    if not isinstance(payload, dict) or payload.get("account") != client_url(client):
        raise malformed("The keyChange payload must name this account.")
    old = payload.get("oldKey")
    if not isinstance(old, dict) or jose.thumbprint(old) != client.thumbprint:
        raise malformed("The keyChange oldKey is not the account's current key.")
    new_print = jose.thumbprint(new_jwk)
    other = AcmeClient.objects.filter(thumbprint=new_print).first()
    if other is not None:
        raise AcmeProblem("conflict", "The new key is already used by another account.", status=409,
                          headers={"Location": client_url(other)})
    client.jwk, client.thumbprint = new_jwk, new_print
    client.save(update_fields=["jwk", "thumbprint"])
    return client


# ---------------------------------------------------------------------------
# Orders (§7.4): the status is computed from the authorizations and the certificate


def order_status(order: AcmeOrder, authorizations: list[AcmeAuthorization] | None = None) -> str:
    authorizations = list(order.authorizations.all()) if authorizations is None else authorizations
    cert = order.certificate
    if order.error:
        return "invalid"
    if cert is not None:
        if cert.status in PENDING_STATUSES:
            return "processing"
        if cert.status in (Status.DECLINED, Status.INVALID):
            return "invalid"
        return "valid"
    statuses = {a.status for a in authorizations}
    if statuses - {AuthzStatus.VALID, AuthzStatus.PENDING}:
        return "invalid"
    now = timezone.now()
    if order.expires <= now:
        return "invalid"
    if AuthzStatus.PENDING in statuses:
        return "pending"
    if order.finalizing_since is not None and order.finalizing_since > now - FINALIZE_CLAIM_TIMEOUT:
        return "processing"
    return "ready"


def order_object(order: AcmeOrder, endpoint: AcmeEndpoint,
                 authorizations: list[AcmeAuthorization] | None = None) -> dict:
    """The order resource; `authorizations` when the caller already holds them (one query less)."""
    authorizations = list(order.authorizations.all()) if authorizations is None else authorizations
    status = order_status(order, authorizations)
    body = {
        "status": status,
        "expires": iso(order.expires),
        "identifiers": order.identifiers,
        "authorizations": [authz_url(a, endpoint) for a in authorizations],
        "finalize": f"{order_url(order, endpoint)}/finalize",
    }
    if order.replaces:
        body["replaces"] = order.replaces
    if status == "valid":
        body["certificate"] = certificate_url(order, endpoint)
    if order.error:
        body["error"] = order.error
    elif status == "invalid" and order.certificate is not None:
        body["error"] = {"type": "urn:ietf:params:acme:error:serverInternal",
                         "detail": order.certificate.reason or "The certificate request was refused."}
    return body


def _identifier_names(identifiers) -> list[str]:
    if not isinstance(identifiers, list) or not identifiers or len(identifiers) > 100:
        raise malformed("identifiers must be a non-empty list (at most 100).")
    out: list[str] = []
    for item in identifiers:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise malformed("Each identifier must be an object with type and value.")
        if item.get("type") != "dns":
            raise AcmeProblem("unsupportedIdentifier", f"Identifier type {item.get('type')!r} is not supported: "
                                                       "use dns.")
        try:
            name = domain_names.normalize(item["value"])
        except InvalidDomainName as exc:
            raise AcmeProblem("rejectedIdentifier", f"{item['value']}: {exc.message}") from None
        if name != item["value"].lower().rstrip("."):
            raise AcmeProblem("rejectedIdentifier", f"{item['value']}: give identifiers in ASCII (A-label) form.")
        if name not in out:
            out.append(name)
    return out


def _bound_domain(account: AcmeAccount, name: str, bound) -> bool:
    return any(domain_names.delegation_covers(d.name, name) for d in bound)


def new_order(client: AcmeClient, payload: dict) -> AcmeOrder:
    if not isinstance(payload, dict):
        raise malformed("The newOrder payload must be a JSON object.")
    if payload.get("notBefore") or payload.get("notAfter"):
        raise malformed("notBefore and notAfter are not supported: certificates get the profile's validity.")
    names = _identifier_names(payload.get("identifiers"))
    account = client.account
    endpoint = account.endpoint
    bound = list(account.domains.all())
    # Names of other departments, or not bound to this account: refused as Sectigo does (seed 002).
    if not all(_bound_domain(account, n, bound) for n in names):
        raise unauthorized(NOT_PREAUTHORIZED)
    now = timezone.now()
    preauthorized = set()
    if endpoint.preauthorized:
        # every name at once: a fixed number of queries however many identifiers the order has
        if not all(check.ok for check in domain_queries.check_names(account.organization, names, "SSL", now=now)):
            raise unauthorized(NOT_PREAUTHORIZED)
        preauthorized.update(names)
    replaces = payload.get("replaces", "")
    if replaces and not isinstance(replaces, str):
        raise malformed("replaces must be a string (an ARI certificate identifier).")
    authorizations = []
    with transaction.atomic():
        order = AcmeOrder.objects.create(client=client, identifiers=[{"type": "dns", "value": n} for n in names],
                                         expires=now + ORDER_LIFETIME, replaces=replaces or "")
        for name in names:
            wildcard = name.startswith("*.")
            authz = AcmeAuthorization.objects.create(
                order=order, value=name[2:] if wildcard else name, wildcard=wildcard, expires=now + AUTHZ_LIFETIME,
                status=AuthzStatus.VALID if name in preauthorized else AuthzStatus.PENDING)
            authorizations.append(authz)
            if name not in preauthorized:
                types = ("dns-01",) if wildcard else CHALLENGE_TYPES
                AcmeChallenge.objects.bulk_create([AcmeChallenge(authorization=authz, type=t) for t in types])
    order.new_authorizations = authorizations  # order_object needs them: no second read
    return order


def authz_object(authz: AcmeAuthorization, endpoint: AcmeEndpoint) -> dict:
    body = {
        "identifier": {"type": authz.identifier_type, "value": authz.value},
        "status": authz.status,
        "expires": iso(authz.expires),
        "challenges": [challenge_object(c, endpoint) for c in authz.challenges.all()],
    }
    if authz.wildcard:
        body["wildcard"] = True
    return body


def challenge_object(challenge: AcmeChallenge, endpoint: AcmeEndpoint) -> dict:
    body = {"type": challenge.type, "url": challenge_url(challenge, endpoint), "status": challenge.status,
            "token": challenge.key_token}
    if challenge.validated:
        body["validated"] = iso(challenge.validated)
    if challenge.error:
        body["error"] = challenge.error
    return body


def deactivate_authz(authz: AcmeAuthorization) -> AcmeAuthorization:
    if authz.status not in (AuthzStatus.PENDING, AuthzStatus.VALID):
        raise malformed(f"The authorization is {authz.status}.")
    authz.status = AuthzStatus.DEACTIVATED
    authz.save(update_fields=["status"])
    return authz


def key_authorization(challenge: AcmeChallenge, client: AcmeClient) -> str:
    return f"{challenge.key_token}.{jose.thumbprint(client.jwk)}"


def _check_http01(name: str, expected: str, token: str) -> str:
    """'' when http://name/.well-known/acme-challenge/token answers the key authorization."""
    try:
        addresses = resolver.addresses(name)
    except resolver.DnsFailure as exc:
        return str(exc)
    if not addresses:
        return f"{name} has no A or AAAA record."
    problems = []
    for address in addresses:
        try:
            body = dcv_http.fetch(address, "http", name, f"/.well-known/acme-challenge/{token}")
        except dcv_http.FetchError as exc:
            problems.append(f"{address}: {exc}")
            continue
        if body.decode("utf-8", "replace").strip() == expected:
            return ""
        problems.append(f"{address}: the file does not hold the key authorization")
    return "; ".join(problems)


def _check_dns01(name: str, expected: str) -> str:
    digest = jose.b64encode(hashlib.sha256(expected.encode()).digest())
    try:
        answer = resolver.lookup(f"_acme-challenge.{name}", "TXT")
    except resolver.DnsFailure as exc:
        return str(exc)
    if digest in resolver.txt_strings(answer):
        return ""
    return f"No TXT record at _acme-challenge.{name} holds the expected value."


def _tls_alpn_certificate(address: str, name: str) -> bytes:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE  # the proof is the extension, not a chain (RFC 8737 §3)
    context.set_alpn_protocols([ACME_TLS_ALPN])
    with socket.create_connection((address, settings.VALIDATION_HTTPS_PORT), timeout=dcv_http.TIMEOUT_SECONDS) as raw:
        with context.wrap_socket(raw, server_hostname=name) as tls:
            if tls.selected_alpn_protocol() != ACME_TLS_ALPN:
                raise OSError(f"the server did not negotiate ALPN {ACME_TLS_ALPN}")
            return tls.getpeercert(binary_form=True) or b""


def _check_tls_alpn01(name: str, expected: str) -> str:
    """'' when name:443 answers ALPN acme-tls/1 with a certificate for exactly `name` carrying the
    critical acmeIdentifier extension = SHA-256 of the key authorization (RFC 8737 §3)."""
    try:
        addresses = resolver.addresses(name)
    except resolver.DnsFailure as exc:
        return str(exc)
    if not addresses:
        return f"{name} has no A or AAAA record."
    wanted = b"\x04\x20" + hashlib.sha256(expected.encode()).digest()  # DER OCTET STRING (32 bytes)
    problems = []
    for address in addresses:
        try:
            cert = x509.load_der_x509_certificate(_tls_alpn_certificate(address, name))
        except (OSError, ssl.SSLError, ValueError) as exc:
            problems.append(f"{address}: {exc}")
            continue
        try:
            sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            ext = cert.extensions.get_extension_for_oid(ACME_IDENTIFIER_OID)
        except x509.ExtensionNotFound:
            problems.append(f"{address}: the certificate lacks the subjectAltName or acmeIdentifier extension")
            continue
        if sans.get_values_for_type(x509.DNSName) != [name] or len(list(sans)) != 1:
            problems.append(f"{address}: the certificate must name exactly {name}")
        elif not ext.critical or getattr(ext.value, "value", None) != wanted:
            problems.append(f"{address}: the acmeIdentifier extension does not hold the key authorization digest")
        else:
            return ""
    return "; ".join(problems)


def respond_challenge(challenge: AcmeChallenge, client: AcmeClient) -> AcmeChallenge:
    """The client says it is ready (§7.5.1): check now (outside any transaction), record the outcome."""
    authz = challenge.authorization
    if challenge.status != ChallengeStatus.PENDING or authz.status != AuthzStatus.PENDING:
        return challenge
    expected = key_authorization(challenge, client)
    if challenge.type == "http-01":
        problem = _check_http01(authz.value, expected, challenge.key_token)
        error_type = "connection"
    elif challenge.type == "tls-alpn-01":
        problem = _check_tls_alpn01(authz.value, expected)
        error_type = "tls"
    else:
        problem = _check_dns01(authz.value, expected)
        error_type = "dns"
    with transaction.atomic():
        locked = AcmeAuthorization.objects.select_for_update().get(pk=authz.pk)
        if locked.status != AuthzStatus.PENDING:
            challenge.refresh_from_db()
            return challenge
        if problem:
            challenge.status, challenge.error = ChallengeStatus.INVALID, {
                "type": f"urn:ietf:params:acme:error:{error_type}", "detail": problem[:1000]}
            locked.status = AuthzStatus.INVALID
        else:
            challenge.status, challenge.validated = ChallengeStatus.VALID, timezone.now()
            locked.status = AuthzStatus.VALID
        challenge.save(update_fields=["status", "error", "validated"])
        locked.save(update_fields=["status"])
    return challenge


# ---------------------------------------------------------------------------
# Finalize (§7.4): the CSR goes through the same pipeline as every request


def _profile(account: AcmeAccount) -> Profile:
    profile = profiles_for(account.customer).filter(name=account.endpoint.profile_name).first()
    if profile is None:
        raise AcmeProblem("serverInternal", f"The profile {account.endpoint.profile_name} is not available.",
                          status=500)
    return profile


def _term(profile: Profile) -> int:
    terms = sorted(int(t) for t in profile.terms or [])
    return 365 if 365 in terms else (terms[-1] if terms else 365)


# DomainError classes → RFC 8555 error types
_CSR_ERRORS = (cert_errors.CsrNotBase64, cert_errors.CsrUndecodable, cert_errors.CsrInvalid,
               cert_errors.KeyAlgorithmRefused, cert_errors.KeySizeRefused, cert_errors.WeakKey,
               cert_errors.NamesRefused)


def problem_for(exc: DomainError) -> AcmeProblem:
    if isinstance(exc, _CSR_ERRORS):
        return AcmeProblem("badCSR", exc.message)
    if isinstance(exc, cert_errors.NameNotAuthorized):
        return unauthorized(f"{NOT_PREAUTHORIZED}: {exc.message}")
    if isinstance(exc, cert_errors.CaaForbidden):
        return AcmeProblem("caa", exc.message, status=403)
    if exc.status == 403:
        return unauthorized(exc.message)
    return AcmeProblem("rejectedIdentifier" if exc.field == "subjAltNames" else "malformed", exc.message)


def _validation_method(order: AcmeOrder) -> str | None:
    """The ACME method that validated the order (RFC 8657 CAA validationmethods); None when pre-authorized."""
    return (AcmeChallenge.objects.filter(authorization__order=order, status=ChallengeStatus.VALID)
            .values_list("type", flat=True).first())


def finalize(order: AcmeOrder, client: AcmeClient, payload) -> AcmeOrder:
    """Run the CSR through the request pipeline and link the certificate to the order.

    No transaction spans the pipeline (it runs CAA lookups outside its own transactions and takes
    the audit chain's head only after signing): a second finalize of the same order is kept out
    by a claim (`finalizing_since`, set by one conditional UPDATE, released when the pipeline
    refuses the CSR so the client may finalize again with another one)."""
    status = order_status(order)
    if status != "ready":
        raise AcmeProblem("orderNotReady", f"The order is {status}, not ready: it cannot be finalized.", status=403)
    if not isinstance(payload, dict) or not isinstance(payload.get("csr"), str):
        raise malformed("The finalize payload must carry the CSR (base64url DER) as csr.")
    der = jose.b64decode(payload["csr"], "CSR")
    try:
        request = x509.load_der_x509_csr(der)
    except ValueError:
        raise AcmeProblem("badCSR", "The CSR is not a DER PKCS#10 request.") from None
    pem = request.public_bytes(serialization.Encoding.PEM).decode("ascii")
    try:
        parsed = csr_module.parse(pem)
    except DomainError as exc:
        raise problem_for(exc) from None
    wanted = sorted(i["value"] for i in order.identifiers)
    csr_names = sorted({n.lower() for n in parsed.dns_names} | ({parsed.common_name.lower()}
                                                               if parsed.common_name else set()))
    if csr_names != wanted:
        raise AcmeProblem("badCSR", f"The CSR names ({', '.join(csr_names) or 'none'}) are not exactly the order's "
                                    f"identifiers ({', '.join(wanted)}).")
    account = client.account
    profile = _profile(account)
    actor = cert_services.system_actor(account.customer, account.label)
    actor.interface = "acme"
    names = [i["value"] for i in order.identifiers]
    method = _validation_method(order)
    now = timezone.now()
    claimed = (AcmeOrder.objects.filter(pk=order.pk, certificate__isnull=True, error__isnull=True)
               .filter(Q(finalizing_since__isnull=True) | Q(finalizing_since__lte=now - FINALIZE_CLAIM_TIMEOUT))
               .update(finalizing_since=now))
    if not claimed:
        raise AcmeProblem("orderNotReady", "The order is already being finalized.", status=403)

    def link(cert: Certificate) -> None:
        # In the transaction that stores the request: from then on the order follows the certificate
        # (processing while APPLIED, which the worker's resume job issues if this process dies).
        AcmeOrder.objects.filter(pk=order.pk).update(certificate=cert, finalizing_since=None)

    try:
        cert = cert_services.request_ssl(
            actor, organization=account.organization, profile=profile, csr_pem=pem, term=_term(profile),
            common_name=parsed.common_name or names[0],
            subject_alt_names=[n for n in names if n != (parsed.common_name or names[0])],
            requested_via="ACME", auto_approve=True, caa_account_uri=client_url(client),
            caa_validation_method=method, link=link)
    except BaseException as exc:
        # Refused before anything was stored (or failed): release the claim, the order is ready again.
        AcmeOrder.objects.filter(pk=order.pk, finalizing_since=now).update(finalizing_since=None)
        if isinstance(exc, DomainError):
            raise problem_for(exc) from None
        raise
    order.certificate, order.finalizing_since = cert, None
    return order


# ---------------------------------------------------------------------------
# Revocation (§7.6)


def certificate_for(der_b64) -> Certificate:
    der = jose.b64decode(der_b64, "certificate")
    try:
        parsed = x509.load_der_x509_certificate(der)
    except ValueError:
        raise malformed("The certificate is not DER X.509.") from None
    cert = (Certificate.objects.select_related("organization", "customer", "profile")
            .filter(serial_hex=f"{parsed.serial_number:040x}").first())
    if cert is None or cert.der is None or bytes(cert.der) != der:
        raise AcmeProblem("malformed", "This certificate was not issued by this server.", status=404)
    return cert


def revoke(cert: Certificate, reason, *, client: AcmeClient | None, by_certificate_key: bool) -> Certificate:
    if reason is None:
        reason = 0
    if isinstance(reason, bool) or not isinstance(reason, int) or reason not in cert_services.REVOCATION_REASONS:
        raise AcmeProblem("badRevocationReason", f"Revocation reason {reason!r} is not allowed: use one of "
                          + ", ".join(str(k) for k in cert_services.REVOCATION_REASONS) + ".")
    if not by_certificate_key:
        account = client.account
        obtained = AcmeOrder.objects.filter(client__account=account, certificate=cert).exists()
        bound = list(account.domains.all())
        covers = cert.organization_id == account.organization_id and all(
            _bound_domain(account, n, bound) for n in cert.names)
        if not (obtained or covers):
            raise unauthorized("This account may not revoke this certificate.")
    if cert.status in REVOKED_STATUSES:
        raise AcmeProblem("alreadyRevoked", "The certificate is already revoked.")
    label = client.account.label if client else "acme:certificate key"
    actor = cert_services.system_actor(cert.customer, label)
    actor.interface = "acme"
    try:
        return cert_services.revoke(actor, cert, reason, reason="revoked through ACME")
    except DomainError as exc:
        raise problem_for(exc) from None


# ---------------------------------------------------------------------------
# Renewal information (ARI, RFC 9773)


def certificate_for_ari(cert_id: str) -> Certificate:
    parts = cert_id.split(".") if isinstance(cert_id, str) else []
    if len(parts) != 2 or not all(parts):
        raise malformed("The ARI certificate identifier must be base64url(AKI) '.' base64url(serial).")
    aki, serial = jose.b64decode(parts[0], "key identifier"), jose.b64decode(parts[1], "serial number")
    number = int.from_bytes(serial, "big", signed=True)
    if number <= 0:
        raise malformed("The serial number is not a positive integer.")
    cert = Certificate.objects.filter(serial_hex=f"{number:040x}").select_related("ca").first()
    leaf = cert.certificate() if cert is not None else None
    if leaf is None:
        raise AcmeProblem("malformed", "No certificate with this identifier.", status=404)
    try:
        ext = leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        ext = None
    if ext is None or ext.key_identifier != aki:
        raise AcmeProblem("malformed", "No certificate with this identifier.", status=404)
    return cert


def renewal_window(cert: Certificate):
    """The last third of the validity, its first half suggested; at once when revoked."""
    now = timezone.now()
    if cert.status in REVOKED_STATUSES:
        return now - timedelta(hours=1), now
    lifetime = cert.not_after - cert.not_before
    start = cert.not_after - lifetime / 3
    return start, start + lifetime / 6
