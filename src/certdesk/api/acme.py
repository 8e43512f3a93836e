"""SCM `/api/acme/...` (spec §7.10, certdesk-decisions "ACME"): the ACME servers (endpoints) and
the ACME accounts of organizations and departments — EAB `macId`/`macKey`, bound domains, the
ACME clients registered with them. The protocol itself is served by `certdesk.acme` at /acme/."""
from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from certdesk.acme import protocol, services
from certdesk.acme.models import AcmeAccount, AcmeClient
from certdesk.certificates.queries import profiles_for
from certdesk.core.errors import InvalidInput
from certdesk.tenancy.queries import get_organization

from .base import IdField, ScmView, TextField, api_url, iso, parse_int, query_text
from .paging import list_response

TAG = "acme"


def _server_url(endpoint) -> str:
    return protocol.directory_url(endpoint)


def server_item(endpoint, customer) -> dict[str, Any]:
    by_name = {p.name: p.pk for p in profiles_for(customer)} if customer is not None else {}
    level = endpoint.validation_type
    single, multi = (("EV SSL", "EV Multi-Domain") if level == "EV" else ("OV SSL", "OV Multi-Domain"))
    return {"name": endpoint.name, "url": _server_url(endpoint), "certValidationType": level,
            "caId": None, "singleProductId": by_name.get(single), "multiProductId": by_name.get(multi),
            "wcProductId": None if level == "EV" else by_name.get("Wildcard SSL")}


def account_item(account: AcmeAccount, *, version: int) -> dict[str, Any]:
    item = {
        "id": account.pk, "name": account.name, "status": account.status, "macKey": account.mac_key,
        "macId": account.mac_id, "acmeServer": _server_url(account.endpoint), "organizationId": account.organization_id,
        "certValidationType": account.endpoint.validation_type,
        "accountId": account.mac_id, "validationId": None,
        "contacts": ",".join(sorted({c.removeprefix("mailto:") for cl in account.clients.all()
                                     for c in cl.contacts or []})),
    }
    if version == 1:
        item.update({"ovOrderNumber": None, "ovAnchorID": None,
                     "domains": [{"name": d.name} for d in account.domains.all()]})
    return item


class AccountInputSerializer(serializers.Serializer):
    name = TextField(help_text="Account name")
    acmeServer = TextField(help_text="The ACME server: its name (OV, DV, EV) or its directory URL")
    organizationId = IdField(help_text="Organization or department id")
    domains = serializers.ListField(child=serializers.DictField(), required=False, allow_null=True,
                                    help_text="[{name}] domains to bind at once")


class DomainsInputSerializer(serializers.Serializer):
    domains = serializers.ListField(child=serializers.DictField(), required=True)


def _endpoint_name(value: str) -> str:
    text = (value or "").strip().rstrip("/")
    if "/acme/" in text:
        text = text.split("/acme/", 1)[1].split("/", 1)[0]
    if not text:
        raise InvalidInput("acmeServer is required (OV, DV or EV).", field="acmeServer")
    return text


def _names(data: dict) -> list[str]:
    items = data.get("domains") or []
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise InvalidInput("Each domain must be an object with a name.", field="domains")
        names.append(name.strip())
    return names


SERVER_PARAMS = [OpenApiParameter(n, OpenApiTypes.STR) for n in ("name", "url", "certValidationType")] + [
    OpenApiParameter("position", OpenApiTypes.INT), OpenApiParameter("size", OpenApiTypes.INT),
    OpenApiParameter("caId", OpenApiTypes.INT)]
ACCOUNT_PARAMS = [OpenApiParameter("position", OpenApiTypes.INT), OpenApiParameter("size", OpenApiTypes.INT),
                  OpenApiParameter("organizationId", OpenApiTypes.INT)] + [
    OpenApiParameter(n, OpenApiTypes.STR) for n in ("name", "acmeServer", "certValidationType", "status")]


class AcmeServerListView(ScmView):
    @extend_schema(tags=[TAG], operation_id="acme_server_list", summary="ACME servers (enrollment endpoints)", parameters=SERVER_PARAMS,
                   responses={200: OpenApiResponse(description="[{name,url,certValidationType,...}]")})
    def get(self, request):
        customer = self.actor(request).customer
        items = services.endpoints()
        name = query_text(request, "name").upper()
        kind = query_text(request, "certValidationType").upper()
        url = query_text(request, "url", max_length=1024)
        items = [e for e in items if (not name or e.name == name) and (not kind or e.validation_type == kind)
                 and (not url or _server_url(e) == url.rstrip("/"))]
        return list_response(request, items, lambda e: server_item(e, customer))


class AcmeAccountListView(ScmView):
    @extend_schema(tags=[TAG], operation_id="acme_account_list", summary="ACME accounts in the caller's scope", parameters=ACCOUNT_PARAMS,
                   responses={200: OpenApiResponse(description="Accounts")})
    def get(self, request, version: str):
        accounts = services.visible_accounts(self.actor(request)).prefetch_related("domains", "clients")
        if query_text(request, "organizationId"):
            accounts = accounts.filter(organization_id=parse_int(query_text(request, "organizationId"),
                                                                 name="organizationId"))
        if query_text(request, "name"):
            accounts = accounts.filter(name__icontains=query_text(request, "name"))
        if query_text(request, "acmeServer", max_length=1024):
            accounts = accounts.filter(endpoint__name__iexact=_endpoint_name(query_text(request, "acmeServer",
                                                                                          max_length=1024)))
        if query_text(request, "certValidationType"):
            accounts = accounts.filter(endpoint__validation_type=query_text(request, "certValidationType").upper())
        if query_text(request, "status"):
            accounts = accounts.filter(status=query_text(request, "status").lower())
        return list_response(request, accounts, lambda a: account_item(a, version=int(version)))

    @extend_schema(tags=[TAG], operation_id="acme_account_create", summary="Create an ACME account (EAB credentials generated)",
                   request=AccountInputSerializer,
                   responses={201: OpenApiResponse(description="Created: the new id ends the Location header")})
    def post(self, request, version: str):
        actor = self.actor(request)
        data = self.parse(AccountInputSerializer, self.body(request, strict=True))
        if data.get("organizationId") is None:
            raise InvalidInput("organizationId is required.", field="organizationId")
        organization = get_organization(actor, data["organizationId"])
        account = services.create_account(actor, organization=organization,
                                          endpoint_name=_endpoint_name(data.get("acmeServer") or ""),
                                          name=data.get("name") or "", domains=_names(data))
        return Response(status=status.HTTP_201_CREATED,
                        headers={"Location": api_url(request, f"acme/v{version}/account/{account.pk}")})


class AcmeAccountDetailView(ScmView):
    @extend_schema(tags=[TAG], operation_id="acme_account_retrieve", summary="An ACME account", responses={200: OpenApiResponse(description="Account")})
    def get(self, request, version: str, account_id: int):
        return Response(account_item(services.get_account(self.actor(request), account_id), version=int(version)))

    @extend_schema(tags=[TAG], operation_id="acme_account_rename", summary="Rename an ACME account", request=AccountInputSerializer,
                   responses={200: OpenApiResponse(description="Renamed")})
    def put(self, request, version: str, account_id: int):
        actor = self.actor(request)
        data = self.parse(AccountInputSerializer, self.body(request, strict=True), partial=True)
        account = services.get_account(actor, account_id)
        services.rename_account(actor, account, data.get("name") or "")
        return Response(status=status.HTTP_200_OK)

    @extend_schema(tags=[TAG], operation_id="acme_account_delete", summary="Delete an ACME account (its certificates stay)",
                   responses={204: OpenApiResponse(description="Deleted")})
    def delete(self, request, version: str, account_id: int):
        actor = self.actor(request)
        services.delete_account(actor, services.get_account(actor, account_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AcmeAccountDomainView(ScmView):
    @extend_schema(tags=[TAG], operation_id="acme_account_domain_list", summary="Domains bound to an ACME account",
                   responses={200: OpenApiResponse(description="[{name,validUntil,stickyUntil,validationId}]")})
    def get(self, request, version: str, account_id: int):
        account = services.get_account(self.actor(request), account_id)
        domains = account.domains.order_by("name")
        if query_text(request, "name"):
            domains = domains.filter(name__icontains=query_text(request, "name"))
        return list_response(request, domains, lambda d: {"name": d.name, "validUntil": iso(d.dcv_expires),
                                                          "stickyUntil": iso(d.dcv_expires), "validationId": None})

    @extend_schema(tags=[TAG], operation_id="acme_account_domain_add", summary="Bind domains (delegated to the account's scope, DCV validated)",
                   request=DomainsInputSerializer, responses={200: OpenApiResponse(description="{notAddedDomains}")})
    def post(self, request, version: str, account_id: int):
        actor = self.actor(request)
        data = self.parse(DomainsInputSerializer, self.body(request, strict=True))
        refused = services.bind_domains(actor, services.get_account(actor, account_id), _names(data))
        return Response({"notAddedDomains": refused} if refused else {})

    @extend_schema(tags=[TAG], operation_id="acme_account_domain_remove", summary="Unbind domains", request=DomainsInputSerializer,
                   responses={200: OpenApiResponse(description="{notRemovedDomains}")})
    def delete(self, request, version: str, account_id: int):
        actor = self.actor(request)
        data = self.parse(DomainsInputSerializer, self.body(request, strict=True))
        missing = services.unbind_domains(actor, services.get_account(actor, account_id), _names(data))
        return Response({"notRemovedDomains": missing} if missing else {})


def client_item(client: AcmeClient) -> dict[str, Any]:
    return {"id": client.pk, "accountId": client.token, "userAgent": client.user_agent, "ipAddress": client.ip_address,
            "status": client.status, "lastActivity": iso(client.last_activity),
            "contacts": ",".join(c.removeprefix("mailto:") for c in client.contacts or [])}


class AcmeAccountClientListView(ScmView):
    @extend_schema(tags=[TAG], operation_id="acme_account_client_list", summary="ACME clients registered with an account",
                   responses={200: OpenApiResponse(description="Clients")})
    def get(self, request, version: str, account_id: int):
        account = services.get_account(self.actor(request), account_id)
        return list_response(request, account.clients.order_by("id"), client_item)


class AcmeAccountClientDetailView(ScmView):
    @extend_schema(tags=[TAG], operation_id="acme_account_client_deactivate", summary="Deactivate an ACME client", request=None,
                   responses={204: OpenApiResponse(description="Deactivated")})
    def put(self, request, version: str, account_id: int, client_id: int):
        actor = self.actor(request)
        account = services.get_account(actor, account_id)
        services.deactivate_client(actor, account, client_id)
        return Response(status=status.HTTP_204_NO_CONTENT)
