"""SCM `/api/domain/v1`: domains and their delegations to organizations and departments (spec §7.6, issue 3).

Names are shown as U-labels (stored as A-labels); DCV dates are `YYYY-MM-DD`, as SCM clients
parse them (hm-edu/sectigo-client `misc.JSONDate`).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from certdesk.core.errors import InvalidInput
from certdesk.domains import queries, services
from certdesk.domains.models import Delegation, Domain
from certdesk.domains.states import DcvMethod, DelegationStatus, DomainState
from certdesk.tenancy.errors import OrganizationNotFound
from certdesk.tenancy.models import Organization
from certdesk.tenancy.queries import visible_organizations

from .base import FlagField, IdField, ScmView, TextField, api_url, parse_int, query_text
from .organizations import CREATED, LOCATION, NO_CONTENT, TOTAL_COUNT
from .paging import list_response

TAG = "domain"

# spec §7.6: privileges a delegation grants. certdesk derives them from the name (a plain name
# covers itself, `*.name` covers subdomains up to three labels below and wildcards there), so
# they are checked for spelling on input and shown on output, never stored.
REQUEST_PRIVILEGES = ("DOMAIN", "SUBDOMAIN", "WILDCARD_1ST_LEVEL", "WILDCARD_2ND_LEVEL")
STATE_FILTER = {"active": DomainState.ACTIVE, "inactive": DomainState.SUSPENDED, "suspended": DomainState.SUSPENDED}
STATUS_FILTER = {"requested": DelegationStatus.REQUESTED, "approved": DelegationStatus.ACTIVE,
                 "active": DelegationStatus.ACTIVE}
# spec §7.5 `dcvMethod` vocabulary; the persistent TXT value (CA/B BR 3.2.2.4.22) has no SCM name.
SCM_DCV_METHODS = {
    DcvMethod.EMAIL: "EMAIL",
    DcvMethod.CNAME: "CNAME_CSR_HASH",
    DcvMethod.TXT: "DNSTXT_RANDOM_VALUE",
    DcvMethod.TXT_PERSIST: "DNSTXT_PERSISTENT_VALUE",
    DcvMethod.HTTP: "HTTP_CSR_HASH",
    DcvMethod.HTTPS: "HTTPS_CSR_HASH",
}


def scm_date(value: datetime | None) -> str | None:
    """A DCV date as SCM sends it: `YYYY-MM-DD` (UTC)."""
    return value.astimezone(timezone.utc).date().isoformat() if value else None


def scm_dcv_method(method: str) -> str | None:
    return SCM_DCV_METHODS.get(method) if method else None


# ---------------------------------------------------------------------------
# Input


@extend_schema_field({"oneOf": [{"type": "array", "items": {"type": "string", "enum": ["SSL", "SMIME", "CodeSign"]}},
                               {"type": "string"}]})
class CertTypesField(serializers.Field):
    """`["SSL", "SMIME"]`, or one type as a string."""

    default_error_messages = {"invalid": "must be a list of certificate types (SSL, SMIME, CodeSign)."}

    def to_internal_value(self, data):
        if isinstance(data, str):
            return [data]
        if isinstance(data, list) and all(isinstance(item, str) for item in data):
            return data
        self.fail("invalid")

    def to_representation(self, value):
        return value


class DelegationInputSerializer(serializers.Serializer):
    orgId = IdField(required=True, allow_null=False, help_text="Organization or department id")
    certTypes = CertTypesField(required=False, allow_null=True, help_text="Subset of SSL, SMIME, CodeSign")
    domainCertificateRequestPrivileges = serializers.ListField(
        child=TextField(allow_null=False), required=False, allow_null=True,
        help_text="Accepted for compatibility; certdesk derives them from the name "
                  "(DOMAIN, SUBDOMAIN, WILDCARD_1ST_LEVEL, WILDCARD_2ND_LEVEL)")


class DomainCreateSerializer(serializers.Serializer):
    """Request of POST (create). Unknown keys (ctLogMonitoring…) are ignored."""

    name = TextField(required=True, allow_null=False, help_text="Domain name, `*.` allowed as the leftmost label")
    description = TextField(help_text="At most 256 characters")
    active = FlagField(help_text="false adds the domain suspended (default true)")
    delegations = DelegationInputSerializer(many=True, help_text="At least one")


class BulkDelegationSerializer(DelegationInputSerializer):
    domainIds = serializers.ListField(child=IdField(allow_null=False), required=True, allow_empty=False,
                                      max_length=200)


class OrgIdSerializer(serializers.Serializer):
    orgId = IdField(required=True, allow_null=False)


def _check_privileges(values) -> None:
    for value in values or []:
        if str(value).strip().upper() not in REQUEST_PRIVILEGES:
            raise InvalidInput(f"Unknown domainCertificateRequestPrivileges value '{value}': use "
                               f"{', '.join(REQUEST_PRIVILEGES)}.", field="domainCertificateRequestPrivileges")


def organization_of(actor, org_id: int, *, field: str = "orgId") -> Organization:
    """The organization or department a body names; out of scope reads like missing (400, as a bad value)."""
    org = visible_organizations(actor).filter(pk=org_id).first()
    if org is None:
        raise OrganizationNotFound(f"Organization {org_id} not found.", status=400, field=field)
    return org


def filtered_domains(request):
    actor = ScmView.actor(request)
    name = query_text(request, "name", max_length=255)
    state = query_text(request, "state").lower()
    status_ = query_text(request, "status").lower()
    org_id = query_text(request, "orgId")
    if state and state not in STATE_FILTER:
        raise InvalidInput("state must be active or inactive.", field="state")
    if status_ and status_ not in STATUS_FILTER:
        raise InvalidInput("status must be requested or approved.", field="status")
    return queries.visible_domains(
        actor,
        name=name,
        state=STATE_FILTER[state] if state else None,
        delegation_status=STATUS_FILTER[status_] if status_ else None,
        organization_id=parse_int(org_id, name="orgId") if org_id else None,
    )


# ---------------------------------------------------------------------------
# Output


def list_item(domain: Domain) -> dict[str, Any]:
    return {"id": domain.pk, "name": domain.unicode_name}


def request_privileges(domain: Domain) -> list[str]:
    if domain.is_wildcard:
        return ["SUBDOMAIN", "WILDCARD_1ST_LEVEL", "WILDCARD_2ND_LEVEL"]
    return ["DOMAIN"]


def delegation_item(delegation: Delegation, privileges: list[str]) -> dict[str, Any]:
    return {
        "orgId": delegation.organization_id,
        "certTypes": list(delegation.cert_types or []),
        "domainCertificateRequestPrivileges": privileges,
        "status": delegation.status,
    }


def domain_detail(domain: Domain) -> dict[str, Any]:
    state = queries.dcv_status_for(domain)
    delegations = list(domain.delegations.order_by("organization_id"))
    privileges = request_privileges(domain)
    data: dict[str, Any] = {
        "id": domain.pk,
        "name": domain.unicode_name,
        "delegationStatus": (DelegationStatus.REQUESTED if any(not d.is_active for d in delegations)
                             else DelegationStatus.ACTIVE).value,
        "state": domain.state,
        "validationStatus": state.status,
    }
    if domain.description:
        data["description"] = domain.description
    for key, value in (("validationMethod", scm_dcv_method(state.method)),
                       ("dcvValidation", scm_date(state.validated_at)),
                       ("dcvExpiration", scm_date(state.expires))):
        if value:
            data[key] = value
    data["ctLogMonitoring"] = {"enabled": False, "includeSubdomains": False}  # not offered by certdesk
    data["delegations"] = [delegation_item(d, privileges) for d in delegations]
    return data


# Documentation-only shapes.


class DomainListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="U-label form (`école.fr`), `*.` for a wildcard domain")


class DomainCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()


class DelegationSerializer(serializers.Serializer):
    orgId = serializers.IntegerField()
    certTypes = serializers.ListField(child=serializers.CharField(), help_text="SSL, SMIME, CodeSign")
    domainCertificateRequestPrivileges = serializers.ListField(
        child=serializers.CharField(), help_text="DOMAIN; or SUBDOMAIN, WILDCARD_1ST_LEVEL, WILDCARD_2ND_LEVEL")
    status = serializers.CharField(help_text="ACTIVE or REQUESTED (awaiting approval)")


class CtLogMonitoringSerializer(serializers.Serializer):
    enabled = serializers.BooleanField()
    includeSubdomains = serializers.BooleanField()


class DomainDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    description = serializers.CharField(required=False)
    delegationStatus = serializers.CharField(help_text="ACTIVE, or REQUESTED while a delegation awaits approval")
    state = serializers.CharField(help_text="ACTIVE or SUSPENDED")
    validationStatus = serializers.CharField(help_text="NOT_VALIDATED, VALIDATED (also when a validated parent "
                                                       "domain covers it) or EXPIRED")
    validationMethod = serializers.CharField(required=False, help_text=", ".join(SCM_DCV_METHODS.values()))
    dcvValidation = serializers.DateField(required=False)
    dcvExpiration = serializers.DateField(required=False)
    ctLogMonitoring = CtLogMonitoringSerializer()
    delegations = DelegationSerializer(many=True)


OK = {200: OpenApiResponse(description="Done: empty body")}
LIST_PARAMS = [
    OpenApiParameter("position", OpenApiTypes.INT, description="0-based offset"),
    OpenApiParameter("size", OpenApiTypes.INT, description="Page size, at most 200 (default 200)"),
    OpenApiParameter("name", OpenApiTypes.STR, description="Part of the domain name"),
    OpenApiParameter("state", OpenApiTypes.STR, enum=["active", "inactive"]),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["requested", "approved"],
                     description="Delegation status: requested = awaiting approval"),
    OpenApiParameter("orgId", OpenApiTypes.INT, description="Delegated to this organization or department"),
    TOTAL_COUNT,
]


# ---------------------------------------------------------------------------
# Views


def _domain(request, domain_id) -> Domain:
    return queries.get_domain(ScmView.actor(request), domain_id)


class DomainListView(ScmView):
    @extend_schema(tags=[TAG], summary="List the domains in the caller's scope", parameters=LIST_PARAMS,
                   responses={200: DomainListItemSerializer(many=True)})
    def get(self, request):
        return list_response(request, filtered_domains(request), list_item)

    @extend_schema(tags=[TAG], summary="Add a domain with its delegations (a lower admin's delegation is REQUESTED)",
                   request=DomainCreateSerializer, responses=CREATED, parameters=[LOCATION])
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(DomainCreateSerializer, self.body(request, strict=True))
        delegations = []
        for index, item in enumerate(data.get("delegations") or []):
            _check_privileges(item.get("domainCertificateRequestPrivileges"))
            org = organization_of(actor, item["orgId"], field=f"delegations[{index}].orgId")
            delegations.append((org, item.get("certTypes") or []))
        active = data.get("active")
        domain = services.create_domain(actor, data["name"], description=data.get("description") or "",
                                        delegations=delegations, active=True if active is None else active)
        return Response(status=status.HTTP_201_CREATED,
                        headers={"Location": api_url(request, f"domain/v1/{domain.pk}")})


class DomainCountView(ScmView):
    @extend_schema(tags=[TAG], summary="Count the domains (deprecated in SCM; same filters as the list)",
                   parameters=LIST_PARAMS[2:-1], responses={200: DomainCountSerializer})
    def get(self, request):
        return Response({"count": filtered_domains(request).count()})


class DomainDetailView(ScmView):
    @extend_schema(tags=[TAG], summary="Domain details, its DCV and its delegations",
                   responses={200: DomainDetailSerializer})
    def get(self, request, domain_id: int):
        return Response(domain_detail(_domain(request, domain_id)))

    @extend_schema(tags=[TAG], summary="Delete a domain (MRAO only)", responses=NO_CONTENT)
    def delete(self, request, domain_id: int):
        services.delete_domain(self.actor(request), _domain(request, domain_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class DomainActivateView(ScmView):
    @extend_schema(tags=[TAG], summary="Activate a suspended domain (MRAO only)", request=None, responses=OK)
    def put(self, request, domain_id: int):
        services.set_domain_state(self.actor(request), _domain(request, domain_id), active=True)
        return Response(status=status.HTTP_200_OK)


class DomainSuspendView(ScmView):
    @extend_schema(tags=[TAG], summary="Suspend a domain: it covers no certificate name (MRAO only)",
                   request=None, responses=OK)
    def put(self, request, domain_id: int):
        services.set_domain_state(self.actor(request), _domain(request, domain_id), active=False)
        return Response(status=status.HTTP_200_OK)


class DomainDelegationView(ScmView):
    @extend_schema(tags=[TAG], summary="Delegate the domain to an organization or department, or change the "
                                       "certificate types of its delegation",
                   request=DelegationInputSerializer, responses=OK)
    def post(self, request, domain_id: int):
        actor = self.actor(request)
        domain = _domain(request, domain_id)
        data = self.parse(DelegationInputSerializer, self.body(request, strict=True))
        _check_privileges(data.get("domainCertificateRequestPrivileges"))
        org = organization_of(actor, data["orgId"])
        services.delegate_domain(actor, domain, org, data.get("certTypes") or [])
        return Response(status=status.HTTP_200_OK)

    @extend_schema(tags=[TAG], summary="Remove a delegation, or only some of its certificate types",
                   request=DelegationInputSerializer, responses=OK)
    def delete(self, request, domain_id: int):
        actor = self.actor(request)
        domain = _domain(request, domain_id)
        data = self.parse(DelegationInputSerializer, self.body(request, strict=True))
        org = organization_of(actor, data["orgId"])
        delegation = domain.delegations.filter(organization=org).first()
        remaining = []
        if delegation is not None and data.get("certTypes"):
            removed = {str(t).strip().lower() for t in data["certTypes"]}
            remaining = [t for t in delegation.cert_types or [] if t.lower() not in removed]
        if remaining:
            services.delegate_domain(actor, domain, org, remaining)
        else:
            services.undelegate_domain(actor, domain, org)
        return Response(status=status.HTTP_200_OK)


class DomainBulkDelegationView(ScmView):
    @extend_schema(tags=[TAG], operation_id="domain_v1_bulk_delegation_create",
                   summary="Delegate several domains to one organization or department (all or nothing)",
                   request=BulkDelegationSerializer, responses=OK)
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(BulkDelegationSerializer, self.body(request, strict=True))
        _check_privileges(data.get("domainCertificateRequestPrivileges"))
        domains = [queries.get_domain(actor, domain_id) for domain_id in dict.fromkeys(data["domainIds"])]
        org = organization_of(actor, data["orgId"])
        with transaction.atomic():
            for domain in domains:
                services.delegate_domain(actor, domain, org, data.get("certTypes") or [])
        return Response(status=status.HTTP_200_OK)


class DomainDelegationApproveView(ScmView):
    @extend_schema(tags=[TAG], summary="Approve a REQUESTED delegation (an MRAO, or a RAO of the organization "
                                       "with approveDomainDelegation)", request=OrgIdSerializer, responses=OK)
    def post(self, request, domain_id: int):
        actor = self.actor(request)
        domain = _domain(request, domain_id)
        data = self.parse(OrgIdSerializer, self.body(request, strict=True))
        services.approve_delegation(actor, domain, organization_of(actor, data["orgId"]))
        return Response(status=status.HTTP_200_OK)


class DomainDelegationRejectView(ScmView):
    @extend_schema(tags=[TAG], summary="Reject a REQUESTED delegation (a domain left without delegation is "
                                       "removed)", request=OrgIdSerializer, responses=OK)
    def post(self, request, domain_id: int):
        actor = self.actor(request)
        domain = _domain(request, domain_id)
        data = self.parse(OrgIdSerializer, self.body(request, strict=True))
        services.reject_delegation(actor, domain, organization_of(actor, data["orgId"]))
        return Response(status=status.HTTP_200_OK)

