"""SCM `/api/organization/v1`: organizations and departments (validations: see validations.py).

Departments are organizations with a parent; a department's id is an orgId like any other
(certdesk-decisions "Tenancy and admins over the API").
"""
from __future__ import annotations

from typing import Any, Iterable

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from certdesk.accounts import access, policy
from certdesk.accounts.roles import Level, parse_role
from certdesk.core.errors import InvalidInput
from certdesk.tenancy import queries, services
from certdesk.tenancy.errors import OrganizationNotFound
from certdesk.tenancy.models import CertType, Organization

from .base import EmailListField, FlagField, IdField, ScmView, TextField, api_url, compact, iso, text_list
from .paging import list_response

TAG = "organization"

# ---------------------------------------------------------------------------
# Input


class EvDetailsSerializer(serializers.Serializer):
    jurisdictionCountry = TextField()
    jurisdictionState = TextField()
    jurisdictionLocality = TextField()
    businessCategory = TextField(help_text="Private Organization, Government Entity, Business Entity or "
                                           "Non-Commercial Entity")
    registrationNumber = TextField()
    incorporationDate = serializers.DateField(required=False, allow_null=True, help_text="YYYY-MM-DD")


class OrganizationInputSerializer(serializers.Serializer):
    """Request of POST (create) and PUT (update). Unknown keys are ignored."""

    name = TextField(help_text="Organization or department name (ASCII, at most 64 characters)")
    alternativeName = TextField(help_text="Secondary organization name (also accepted as secondaryName)")
    secondaryName = TextField()
    alias = TextField()
    academicCode = TextField(help_text="SCHAC home organization")
    address1 = TextField()
    address2 = TextField()
    address3 = TextField()
    city = TextField()
    stateProvince = TextField(help_text="State or province (also accepted as stateOrProvince)")
    stateOrProvince = TextField()
    postalCode = TextField(numbers=True)
    country = TextField(help_text="ISO 3166 two-letter code")
    contactEmails = EmailListField(required=False, allow_null=True)
    sslCertsApiEnabled = FlagField()
    clientCertsApiEnabled = FlagField()
    certTypes = text_list(help_text="Subset of SSL, SMIME, CodeSign")
    evDetails = EvDetailsSerializer(required=False, allow_null=True)
    parentOrgName = TextField(help_text="Create a department of the organization with this name")
    parentOrgId = IdField(help_text="Create a department of the organization with this id")
    ipAcl = text_list(help_text="IP access control list of this organization or department: networks in "
                                "CIDR form (IPv4 or IPv6); its admins may only come from there. Replaces the "
                                "whole list; [] removes it. A department's by an MRAO or a RAO of its "
                                "organization, an organization's by an MRAO.")


# API name -> service keyword. The first of two spellings wins when both are sent.
FIELD_MAP = (
    ("name", "name"),
    ("alternativeName", "secondary_name"),
    ("secondaryName", "secondary_name"),
    ("alias", "alias"),
    ("academicCode", "academic_code"),
    ("address1", "address1"),
    ("address2", "address2"),
    ("address3", "address3"),
    ("city", "city"),
    ("stateProvince", "state_province"),
    ("stateOrProvince", "state_province"),
    ("postalCode", "postal_code"),
    ("country", "country"),
    ("contactEmails", "contact_emails"),
    ("sslCertsApiEnabled", "ssl_certs_api_enabled"),
    ("clientCertsApiEnabled", "client_certs_api_enabled"),
    ("certTypes", "cert_types"),
)
EV_MAP = (
    ("jurisdictionCountry", "ev_jurisdiction_country"),
    ("jurisdictionState", "ev_jurisdiction_state"),
    ("jurisdictionLocality", "ev_jurisdiction_locality"),
    ("businessCategory", "ev_business_category"),
    ("registrationNumber", "ev_registration_number"),
    ("incorporationDate", "ev_incorporation_date"),
)


def service_values(data: dict[str, Any]) -> dict[str, Any]:
    """Validated API fields -> keyword arguments of the tenancy services."""
    values: dict[str, Any] = {}
    for api_name, name in FIELD_MAP:
        if api_name in data and name not in values:
            value = data[api_name]
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                value = str(value)
            values[name] = value
    ev = data.get("evDetails")
    if isinstance(ev, dict):
        for api_name, name in EV_MAP:
            if api_name in ev:
                values[name] = ev[api_name]
    return values


# ---------------------------------------------------------------------------
# Output


def department_item(dept: Organization, parent_name: str | None = None) -> dict[str, Any]:
    return {"id": dept.pk, "name": dept.name, "parentName": parent_name or dept.parent.name}


def _tree(orgs: Iterable[Organization]) -> list[tuple[Organization, list[Organization]]]:
    """The visible organizations as list items: each top-level organization with its visible
    departments; a department whose organization is not visible (a DRAO's) stands alone."""
    orgs = list(orgs)
    visible = {o.pk for o in orgs}
    children: dict[int, list[Organization]] = {}
    items: list[Organization] = []
    for org in orgs:
        if org.parent_id is not None and org.parent_id in visible:
            children.setdefault(org.parent_id, []).append(org)
        else:
            items.append(org)
    items.sort(key=lambda o: (o.name.lower(), o.pk))
    return [(o, sorted(children.get(o.pk, []), key=lambda d: (d.name.lower(), d.pk))) for o in items]


def list_item(entry: tuple[Organization, list[Organization]]) -> dict[str, Any]:
    org, departments = entry
    item: dict[str, Any] = {
        "id": org.pk,
        "name": org.name,
        "certTypes": list(org.cert_types or []),
        "departments": [department_item(d, org.name) for d in departments],
    }
    if org.parent_id is not None:
        item["parentName"] = org.parent.name
    return item


def ev_details(org: Organization) -> dict[str, Any]:
    return compact({
        "jurisdictionCountry": org.ev_jurisdiction_country,
        "jurisdictionState": org.ev_jurisdiction_state,
        "jurisdictionLocality": org.ev_jurisdiction_locality,
        "businessCategory": org.ev_business_category,
        "registrationNumber": org.ev_registration_number,
        "incorporationDate": iso(org.ev_incorporation_date),
    })


def organization_detail(org: Organization, departments: Iterable[Organization],
                        ip_acl: list[str] | None = None) -> dict[str, Any]:
    data = compact({
        "id": org.pk,
        "name": org.name,
        "alias": org.alias,
        "secondaryName": org.secondary_name,
        "academicCode": org.academic_code,
        "address1": org.address1,
        "address2": org.address2,
        "address3": org.address3,
        "city": org.city,
        "stateOrProvince": org.state_province,
        "postalCode": org.postal_code,
        "country": org.country,
    })
    if org.parent_id is not None:
        data["parentId"] = org.parent_id
        data["parentName"] = org.parent.name
    data.update({
        "contactEmails": list(org.contact_emails or []),
        "validationStatus": org.effective_validation_status(),
        "sslCertsApiEnabled": org.ssl_certs_api_enabled,
        "clientCertsApiEnabled": org.client_certs_api_enabled,
        "certTypes": list(org.cert_types or []),
        "departments": [department_item(d, org.name) for d in departments],
        "ipAcl": list(ip_acl or []),
        "webApiSecretKeySet": bool(org.web_api_secret),
    })
    ev = ev_details(org)
    if ev:
        data["evDetails"] = ev
    return data


def _detail_of(actor, org: Organization) -> dict[str, Any]:
    departments = []
    if org.parent_id is None:
        departments = sorted(
            queries.visible_organizations(actor).filter(parent=org), key=lambda d: (d.name.lower(), d.pk)
        )
    return organization_detail(org, departments, access.acl_networks(org))


def _set_acl(actor, org: Organization, data: dict[str, Any]) -> None:
    if data.get("ipAcl") is not None:
        access.set_acl(actor, org, data["ipAcl"])


# Documentation-only shapes (rendering is by the functions above).


class DepartmentItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parentName = serializers.CharField()


class OrganizationListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    certTypes = serializers.ListField(child=serializers.CharField())
    departments = DepartmentItemSerializer(many=True)
    parentName = serializers.CharField(required=False, help_text="Only for a department listed on its own "
                                                                 "(the caller is a DRAO)")


class OrganizationDetailSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    alias = serializers.CharField(required=False)
    secondaryName = serializers.CharField(required=False)
    academicCode = serializers.CharField(required=False)
    address1 = serializers.CharField(required=False)
    address2 = serializers.CharField(required=False)
    address3 = serializers.CharField(required=False)
    city = serializers.CharField(required=False)
    stateOrProvince = serializers.CharField(required=False)
    postalCode = serializers.CharField(required=False)
    country = serializers.CharField(required=False)
    parentId = serializers.IntegerField(required=False)
    parentName = serializers.CharField(required=False)
    contactEmails = serializers.ListField(child=serializers.EmailField())
    validationStatus = serializers.ChoiceField(choices=["NOT_VALIDATED", "PENDING", "VALIDATED"])
    sslCertsApiEnabled = serializers.BooleanField()
    clientCertsApiEnabled = serializers.BooleanField()
    certTypes = serializers.ListField(child=serializers.CharField())
    departments = DepartmentItemSerializer(many=True)
    ipAcl = serializers.ListField(child=serializers.CharField(), help_text="IP access control list (CIDR)")
    webApiSecretKeySet = serializers.BooleanField(help_text="Whether a Web API secret key is set (seed 001)")
    evDetails = EvDetailsSerializer(required=False)


TOTAL_COUNT = OpenApiParameter("X-Total-Count", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[200],
                               description="Number of items of the whole list (HEAD answers only this)")
LOCATION = OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201],
                            description="Absolute URL of the new object, ending with its id")
PAGING = [
    OpenApiParameter("position", OpenApiTypes.INT, description="0-based offset"),
    OpenApiParameter("size", OpenApiTypes.INT, description="Page size, at most 200 (default: all organizations)"),
    TOTAL_COUNT,
]
CREATED = {201: OpenApiResponse(description="Created: empty body, the new id ends the Location header")}
NO_CONTENT = {204: OpenApiResponse(description="Done: empty body")}


# ---------------------------------------------------------------------------
# Views


def _find_parent(actor, data: dict[str, Any]) -> Organization | None:
    """The organization a new department goes under (by parentOrgId or parentOrgName), if any."""
    visible = queries.visible_organizations(actor)
    if data.get("parentOrgId") not in (None, 0):
        org = visible.filter(pk=data["parentOrgId"]).first()
        if org is None:
            raise OrganizationNotFound(f"Organization {data['parentOrgId']} not found.", status=400,
                                       field="parentOrgId")
    elif data.get("parentOrgName"):
        name = data["parentOrgName"].strip()
        org = visible.filter(parent__isnull=True, name=name).first()
        if org is None:
            raise OrganizationNotFound(f"Organization '{name}' not found.", status=400, field="parentOrgName")
    else:
        return None
    if org.is_department:
        raise InvalidInput("Departments cannot have departments: give an organization as the parent.",
                           code=-1021, field="parentOrgId")
    return org


class OrganizationListView(ScmView):
    @extend_schema(tags=[TAG], summary="List organizations and departments in the caller's scope",
                   parameters=PAGING, responses={200: OrganizationListItemSerializer(many=True)})
    def get(self, request):
        orgs = _tree(queries.visible_organizations(self.actor(request)))
        # SCM's organization list is not paged: clients read it in one call; page only on request.
        return list_response(request, orgs, list_item, default_size=None)

    @extend_schema(tags=[TAG], summary="Create an organization, or a department with parentOrgName",
                   request=OrganizationInputSerializer, responses=CREATED, parameters=[LOCATION])
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(OrganizationInputSerializer, self.body(request, strict=True))
        parent = _find_parent(actor, data)
        values = service_values(data)
        with transaction.atomic():  # an ACL refused leaves no organization behind
            if parent is None:
                org = services.create_organization(actor, **values)
            else:
                org = services.create_department(actor, parent, **values)
            _set_acl(actor, org, data)
        return Response(status=status.HTTP_201_CREATED,
                        headers={"Location": api_url(request, f"organization/v1/{org.pk}")})


class OrganizationDetailView(ScmView):
    @extend_schema(tags=[TAG], summary="Organization or department details",
                   responses={200: OrganizationDetailSerializer})
    def get(self, request, org_id: int):
        actor = self.actor(request)
        return Response(_detail_of(actor, queries.get_organization(actor, org_id)))

    @extend_schema(tags=[TAG], summary="Update an organization or department (only the fields sent)",
                   request=OrganizationInputSerializer, responses={200: OrganizationDetailSerializer})
    def put(self, request, org_id: int):
        actor = self.actor(request)
        org = queries.get_organization(actor, org_id)
        data = self.parse(OrganizationInputSerializer, self.body(request, strict=True), partial=True)
        values = service_values(data)
        with transaction.atomic():  # all or nothing: the fields and the ACL
            if values or data.get("ipAcl") is None:
                org = services.update_organization(actor, org, **values)
            _set_acl(actor, org, data)
        return Response(_detail_of(actor, queries.get_organization(actor, org.pk)))

    @extend_schema(tags=[TAG], summary="Delete an organization (without departments) or a department",
                   responses=NO_CONTENT)
    def delete(self, request, org_id: int):
        actor = self.actor(request)
        services.delete_organization(actor, queries.get_organization(actor, org_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ManagedItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    parentName = serializers.CharField(required=False)


class OrganizationManagedByView(ScmView):
    """Organizations and departments the caller manages through a role of the given kind.

    `MRAO`: everything (if the caller is an MRAO); `RAO_x`: organizations where the caller acts
    as RAO of type x (an MRAO counts) and their departments; `DRAO_x`: departments the caller
    covers for type x.
    """

    @extend_schema(tags=[TAG], summary="Organizations and departments managed by the caller with a role",
                   responses={200: ManagedItemSerializer(many=True)})
    def get(self, request, role: str):
        actor = self.actor(request)
        parsed = parse_role(role)
        if parsed is None:
            raise InvalidInput(f"Unknown role '{role}'.", field="role")
        result = []
        for org in sorted(queries.visible_organizations(actor), key=lambda o: (o.parent_id is not None,
                                                                               o.name.lower(), o.pk)):
            if parsed.level is Level.CUSTOMER:
                keep = policy.is_mrao(actor)
            elif parsed.level is Level.ORGANIZATION:
                keep = policy.covers(actor, org, cert_type=parsed.cert_type, min_level=Level.ORGANIZATION)
            else:
                keep = org.is_department and policy.covers(actor, org, cert_type=parsed.cert_type)
            if keep:
                item = {"id": org.pk, "name": org.name}
                if org.parent_id is not None:
                    item["parentName"] = org.parent.name
                result.append(item)
        return Response(result)


REPORT_TYPES = {"ssl": CertType.SSL.value, "client": CertType.SMIME.value, "smime": CertType.SMIME.value,
                "codesign": CertType.CODESIGN.value, "device": None}


class OrganizationReportTypeView(ScmView):
    @extend_schema(tags=[TAG], summary="Organizations and departments that use a certificate type",
                   responses={200: OrganizationListItemSerializer(many=True)})
    def get(self, request, report_type: str):
        key = report_type.strip().lower()
        if key not in REPORT_TYPES:
            raise InvalidInput("Report type must be one of SSL, Client, Device, CodeSign.", field="type")
        cert_type = REPORT_TYPES[key]
        orgs = [o for o in queries.visible_organizations(self.actor(request))
                if cert_type is not None and cert_type in (o.cert_types or [])]
        return list_response(request, _tree(orgs), list_item, default_size=None)
