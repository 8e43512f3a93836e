"""The ACME HTTP adapter (RFC 8555 §7): JWS authentication, then one protocol call, then the
resource as JSON — or an RFC 7807 problem document. Every response carries a fresh Replay-Nonce
and a Link to the directory."""
from __future__ import annotations

import json
import logging
from datetime import timedelta

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from certdesk.certificates import formats
from certdesk.core.errors import DomainError, NotFound

from . import jws as jose
from . import protocol, services
from .errors import AcmeProblem, malformed, unauthorized
from .models import (
    AcmeAuthorization,
    AcmeChallenge,
    AcmeClient,
    AcmeEndpoint,
    AcmeOrder,
)

logger = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
# An ACME client's "last activity" (portal, REST) is written at most once per this many seconds:
# not one UPDATE (and commit) per request.
LAST_ACTIVITY_RESOLUTION = timedelta(minutes=1)


def _json_response(data, status: int = 200, *, content_type: str = "application/json", headers=None) -> HttpResponse:
    response = HttpResponse(json.dumps(data, indent=2), status=status, content_type=content_type)
    for key, value in (headers or {}).items():
        response[key] = value
    return response


@method_decorator(csrf_exempt, name="dispatch")
class AcmeView(View):
    """Base: endpoint lookup, problem rendering, nonce and index link on every answer."""

    http_method_names = ["get", "post", "head"]
    endpoint: AcmeEndpoint

    def dispatch(self, request: HttpRequest, *args, **kwargs):
        try:
            try:
                self.endpoint = services.endpoint(kwargs.pop("endpoint"))
            except NotFound:
                raise AcmeProblem("malformed", "Unknown ACME server.", status=404) from None
            response = super().dispatch(request, *args, **kwargs)
        except AcmeProblem as problem:
            response = _json_response(problem.document(), problem.status, content_type="application/problem+json",
                                      headers=problem.headers)
        except DomainError as exc:
            problem = protocol.problem_for(exc)
            response = _json_response(problem.document(), problem.status, content_type="application/problem+json")
        if hasattr(self, "endpoint"):
            response["Replay-Nonce"] = protocol.new_nonce()
            response["Link"] = ", ".join(filter(None, [response.get("Link"),
                                                       f'<{protocol.directory_url(self.endpoint)}>;rel="index"']))
        response["Cache-Control"] = "no-store"
        return response

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise AcmeProblem("malformed", f"{request.method} is not allowed here.", status=405,
                          headers={"Allow": ", ".join(m.upper() for m in self._allowed_methods())})

    # -- JWS authentication (§6.2-6.4) -------------------------------------------------------

    def url(self, request: HttpRequest) -> str:
        from django.conf import settings

        return settings.BASE_URL + request.path

    def authenticate(self, request: HttpRequest, *, jwk_allowed: bool = False, kid_allowed: bool = True):
        """(jws, client or None, jwk): signature, nonce and url checked."""
        content_type = (request.META.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
        if content_type != "application/jose+json":
            raise AcmeProblem("malformed", "The request Content-Type must be application/jose+json.", status=415)
        if len(request.body) > MAX_BODY:
            raise malformed("The request body is too large.")
        message = jose.parse(request.body)
        header = message.protected
        alg = jose.check_algorithm(header.get("alg"))
        if ("jwk" in header) == ("kid" in header):
            raise malformed("The protected header must carry exactly one of jwk and kid.")
        if not protocol.consume_nonce(header.get("nonce")):
            raise AcmeProblem("badNonce", "The JWS nonce is missing, unknown, expired or already used.")
        if header.get("url") != self.url(request):
            raise unauthorized(f"The JWS url header does not match the request URL ({self.url(request)}).")
        client = None
        if "jwk" in header:
            if not jwk_allowed:
                raise malformed("This request must be signed with the account key, identified by kid.")
            jwk = header["jwk"]
            key = jose.public_key(jwk)
        else:
            if not kid_allowed:
                raise malformed("This request must carry the account key as jwk.")
            client = self._client_for_kid(header.get("kid"))
            jwk = client.jwk
            key = jose.public_key(jwk)
        if not jose.verify_signature(key, alg, message.signing_input, message.signature):
            raise malformed("The JWS signature does not verify.")
        if client is not None:
            now = timezone.now()
            if client.last_activity is None or now - client.last_activity >= LAST_ACTIVITY_RESOLUTION:
                AcmeClient.objects.filter(pk=client.pk).update(last_activity=now)
                client.last_activity = now
        return message, client, jwk

    def _client_for_kid(self, kid) -> AcmeClient:
        prefix = f"{protocol.base_url(self.endpoint)}/acct/"
        token = kid[len(prefix):] if isinstance(kid, str) and kid.startswith(prefix) else ""
        # One query on the unique token: the client, its key, its account, endpoint, organization
        # (with its customer, which the audit of an issuance names) and customer.
        client = (AcmeClient.objects.select_related("account", "account__endpoint", "account__organization",
                                                    "account__organization__customer", "account__customer")
                  .filter(token=token).first() if token else None)
        if client is None:
            raise AcmeProblem("accountDoesNotExist", "No account exists with this kid.")
        protocol.check_client_usable(client, self.endpoint)
        return client

    def owned(self, model, token: str, client: AcmeClient, path: str, *, related=(), prefetch=()):
        """An order/authz/challenge of this client; others answer as missing."""
        qs = model.objects.filter(token=token, **{path: client})
        if related:
            qs = qs.select_related(*related)
        if prefetch:
            qs = qs.prefetch_related(*prefetch)
        obj = qs.first()
        if obj is None:
            raise AcmeProblem("malformed", "No such resource for this account.", status=404)
        return obj


class DirectoryView(AcmeView):
    def get(self, request):
        base = protocol.base_url(self.endpoint)
        return _json_response({
            "newNonce": f"{base}/new-nonce",
            "newAccount": f"{base}/new-account",
            "newOrder": f"{base}/new-order",
            "revokeCert": f"{base}/revoke-cert",
            "keyChange": f"{base}/key-change",
            "renewalInfo": f"{base}/renewal-info",
            "meta": {"externalAccountRequired": True, "website": f"{base.rsplit('/acme/', 1)[0]}/",
                     "caaIdentities": _caa_identities()},
        })


def _caa_identities():
    from django.conf import settings

    return list(settings.CAA_IDENTITIES)


class NonceView(AcmeView):
    def head(self, request):
        return HttpResponse(status=200)

    def get(self, request):
        return HttpResponse(status=204)


class NewAccountView(AcmeView):
    def post(self, request):
        message, _, jwk = self.authenticate(request, jwk_allowed=True, kid_allowed=False)
        payload = message.payload()
        client, created = protocol.register(
            self.endpoint, jwk, payload if payload is not None else {}, self.url(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""), ip=request.META.get("REMOTE_ADDR", ""))
        return _json_response(protocol.account_object(client), 201 if created else 200,
                              headers={"Location": protocol.client_url(client)})


class AccountView(AcmeView):
    def post(self, request, token):
        message, client, _ = self.authenticate(request)
        if client.token != token:
            raise unauthorized("The kid does not match the account URL.")
        payload = message.payload()
        if payload is not None and payload != {}:
            client = protocol.update_client(client, payload)
        return _json_response(protocol.account_object(client), headers={"Location": protocol.client_url(client)})


class AccountOrdersView(AcmeView):
    def post(self, request, token):
        _, client, _ = self.authenticate(request)
        if client.token != token:
            raise unauthorized("The kid does not match the account URL.")
        orders = [o for o in client.orders.select_related("certificate").prefetch_related("authorizations")
                  if protocol.order_status(o) in ("pending", "ready", "processing", "valid")]
        return _json_response({"orders": [protocol.order_url(o, self.endpoint) for o in orders]})


class KeyChangeView(AcmeView):
    def post(self, request):
        message, client, _ = self.authenticate(request)
        inner = jose.parse(message.payload())
        client = protocol.change_key(client, inner, self.url(request))
        return _json_response(protocol.account_object(client), headers={"Location": protocol.client_url(client)})


class NewOrderView(AcmeView):
    def post(self, request):
        message, client, _ = self.authenticate(request)
        order = protocol.new_order(client, message.payload())
        return _json_response(protocol.order_object(order, self.endpoint, order.new_authorizations), 201,
                              headers={"Location": protocol.order_url(order, self.endpoint)})


class OrderView(AcmeView):
    def post(self, request, token):
        _, client, _ = self.authenticate(request)
        order = self.owned(AcmeOrder, token, client, "client", related=["certificate"], prefetch=["authorizations"])
        return _json_response(protocol.order_object(order, self.endpoint),
                              headers={"Location": protocol.order_url(order, self.endpoint)})


class FinalizeView(AcmeView):
    def post(self, request, token):
        message, client, _ = self.authenticate(request)
        order = self.owned(AcmeOrder, token, client, "client", related=["certificate"], prefetch=["authorizations"])
        order = protocol.finalize(order, client, message.payload())
        headers = {"Location": protocol.order_url(order, self.endpoint)}
        body = protocol.order_object(order, self.endpoint)
        if body["status"] == "processing":
            headers["Retry-After"] = "5"
        return _json_response(body, headers=headers)


class AuthorizationView(AcmeView):
    def post(self, request, token):
        message, client, _ = self.authenticate(request)
        authz = self.owned(AcmeAuthorization, token, client, "order__client", prefetch=["challenges"])
        payload = message.payload()
        if isinstance(payload, dict) and payload.get("status") == "deactivated":
            authz = protocol.deactivate_authz(authz)
        elif payload not in (None, {}):
            raise malformed("An authorization can only be fetched or deactivated.")
        return _json_response(protocol.authz_object(authz, self.endpoint))


class ChallengeView(AcmeView):
    def post(self, request, token):
        message, client, _ = self.authenticate(request)
        challenge = self.owned(AcmeChallenge, token, client, "authorization__order__client", related=["authorization"])
        if message.payload() is not None:  # {} = "ready, check it" (§7.5.1); POST-as-GET only reads
            challenge = protocol.respond_challenge(challenge, client)
        authz = challenge.authorization
        return _json_response(protocol.challenge_object(challenge, self.endpoint),
                              headers={"Link": f'<{protocol.authz_url(authz, self.endpoint)}>;rel="up"'})


class CertificateView(AcmeView):
    """The PEM chain (leaf and intermediates); the alternate adds the root."""

    FORMATS = ("pemia", "pem")

    def post(self, request, token, alternate: str = "0"):
        message, client, _ = self.authenticate(request)
        if message.payload() is not None:
            raise malformed("Certificates are fetched with POST-as-GET (an empty payload).")
        order = self.owned(AcmeOrder, token, client, "client", related=["certificate", "certificate__ca"],
                           prefetch=["authorizations"])
        index = int(alternate or 0)
        if order.certificate is None or protocol.order_status(order) != "valid" or index >= len(self.FORMATS):
            raise AcmeProblem("malformed", "No certificate here.", status=404)
        download = formats.render(order.certificate, self.FORMATS[index])
        response = HttpResponse(download.content, content_type="application/pem-certificate-chain")
        base = protocol.certificate_url(order, self.endpoint)
        links = [f'<{base}/{i}>;rel="alternate"' if i else f'<{base}>;rel="alternate"'
                 for i in range(len(self.FORMATS)) if i != index]
        response["Link"] = ", ".join(links)
        return response


class RevokeView(AcmeView):
    def post(self, request):
        message, client, jwk = self.authenticate(request, jwk_allowed=True)
        payload = message.payload()
        if not isinstance(payload, dict):
            raise malformed("The revokeCert payload must be a JSON object.")
        cert = protocol.certificate_for(payload.get("certificate"))
        by_key = client is None
        if by_key and jose.thumbprint(jwk) != jose.thumbprint(jose.public_jwk(cert.certificate().public_key())):
            raise unauthorized("The JWS is signed neither by an account nor by the certificate's key.")
        protocol.revoke(cert, payload.get("reason"), client=client, by_certificate_key=by_key)
        return HttpResponse(status=200)


class RenewalInfoView(AcmeView):
    """ARI (RFC 9773 §4): when to renew a certificate, by its CertID
    (base64url AuthorityKeyIdentifier "." base64url DER serial)."""

    http_method_names = ["get", "head"]

    def get(self, request, cert_id: str):
        cert = protocol.certificate_for_ari(cert_id)
        start, end = protocol.renewal_window(cert)
        response = _json_response({"suggestedWindow": {"start": protocol.iso(start), "end": protocol.iso(end)}})
        response["Retry-After"] = "21600"
        return response
