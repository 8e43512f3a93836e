"""SCM `/api/admin/v1`: administrators, their roles (credentials) and privileges, passwords."""
from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from certdesk.accounts import policy
from certdesk.accounts import services as accounts
from certdesk.accounts.errors import AdminNotFound
from certdesk.accounts.models import Admin, AdminType, LoginFailure
from certdesk.accounts.policy import Perm
from certdesk.accounts.roles import PRIVILEGES_BY_ROLE, Privilege, Role, parse_role
from certdesk.core.errors import InvalidInput
from certdesk.tenancy import queries as tenancy_queries

from .authentication import forget_credential
from .base import IdField, ScmView, TextField, api_url, compact, iso, parse_int, query_text, text_list
from .paging import list_response

TAG = "admin"
# Deprecated SCM privilege meaning "Web API use only": today the admin type API (spec §2).
WS_API_USE_ONLY = "wsApiUseOnly"
# Admin types SCM knows: certdesk has STANDARD and API; the others filter to nothing.
KNOWN_TYPES = {"STANDARD", "API", "IDP", "SAS", "DYNAMIC_IDP_TEMPLATE"}
ACTIVE_STATES = {"ACTIVE": True, "SUSPENDED": False}

# ---------------------------------------------------------------------------
# Input


class CredentialInputSerializer(serializers.Serializer):
    role = TextField(allow_null=False, help_text="MRAO, RAO_SSL, RAO_SMIME, RAO_CS, DRAO_SSL, DRAO_SMIME, DRAO_CS")
    orgId = IdField(help_text="Organization (RAO) or department (DRAO) id; none for MRAO")


class AdminInputSerializer(serializers.Serializer):
    """Request of POST (create) and PUT (update: only the fields sent). Unknown keys are ignored."""

    type = TextField(help_text="STANDARD (portal and API) or API (Web API use only)")
    login = TextField(help_text="3 to 128 characters")
    password = TextField(help_text="On PUT: a reset by another admin; the admin must change it at next use")
    forename = TextField()
    surname = TextField()
    email = TextField()
    telephone = TextField(numbers=True)
    phone = TextField(numbers=True, help_text="Alias of telephone")
    activeStatus = TextField(help_text="ACTIVE or SUSPENDED")
    certificateSerialNumber = TextField(help_text="Serial number (hex) of the TLS client certificate the admin may "
                                                  "authenticate with on /private/api; \"\" removes it")
    privileges = text_list(help_text="Privilege names (GET /privileges?role=...); wsApiUseOnly means type API")
    credentials = serializers.ListField(child=CredentialInputSerializer(), required=False, allow_null=True,
                                        help_text="At least one {role, orgId}")


class ChangePasswordSerializer(serializers.Serializer):
    newPassword = TextField()


def service_values(data: dict[str, Any]) -> dict[str, Any]:
    """Validated API fields -> keyword arguments of accounts.create_admin / update_admin."""
    values: dict[str, Any] = {}
    for name in ("login", "email", "forename", "surname", "type"):
        if name in data:
            values[name] = data[name]
    for name in ("telephone", "phone"):
        if name in data and "telephone" not in values:
            values["telephone"] = data[name]
    if "certificateSerialNumber" in data:
        values["certificate_serial_number"] = data["certificateSerialNumber"]
    if data.get("activeStatus") is not None:
        state = data["activeStatus"].strip().upper()
        if state not in ACTIVE_STATES:
            raise InvalidInput("activeStatus must be ACTIVE or SUSPENDED.", field="activeStatus")
        values["is_active"] = ACTIVE_STATES[state]
    if data.get("privileges") is not None:
        privileges = list(data["privileges"])
        if WS_API_USE_ONLY in privileges:
            privileges = [p for p in privileges if p != WS_API_USE_ONLY]
            values["type"] = AdminType.API.value
        values["privileges"] = privileges
    if data.get("credentials") is not None:
        values["credentials"] = [
            {"role": item.get("role") or "", "orgId": item.get("orgId")} for item in data["credentials"]
        ]
    return values


# ---------------------------------------------------------------------------
# Output


def password_state(admin: Admin) -> str:
    return "EXPIRED" if admin.must_change_password else "ALIVE"


def credential_item(credential) -> dict[str, Any]:
    if credential.organization_id is None:
        return {"role": credential.role}
    return {"role": credential.role, "orgId": credential.organization_id}


def list_item(admin: Admin) -> dict[str, Any]:
    return compact({"id": admin.pk, "type": admin.type, "login": admin.login, "email": admin.email,
                    "forename": admin.forename, "surname": admin.surname})


def admin_detail(admin: Admin) -> dict[str, Any]:
    failed = LoginFailure.objects.filter(customer_uri=admin.customer.uri, login=admin.login).count()
    data = compact({
        "id": admin.pk,
        "type": admin.type,
        "login": admin.login,
        "forename": admin.forename,
        "surname": admin.surname,
        "email": admin.email,
        "telephone": admin.telephone,
        "phone": admin.telephone,
        "passwordState": password_state(admin),
        "lastPasswordChange": iso(admin.password_changed_at),
        "created": iso(admin.created),
        "modified": iso(admin.modified),
        "activeStatus": "ACTIVE" if admin.is_active else "SUSPENDED",
        "authCert": admin.certificate_serial_number,
    })
    data["credentials"] = [credential_item(c) for c in admin.credential_list()]
    data["privileges"] = list(admin.privileges or [])
    data["failedAttempts"] = failed
    return data


class AdminListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=AdminType.values)
    login = serializers.CharField()
    email = serializers.EmailField()
    forename = serializers.CharField()
    surname = serializers.CharField()


class CredentialSerializer(serializers.Serializer):
    role = serializers.ChoiceField(choices=[r.value for r in Role])
    orgId = serializers.IntegerField(required=False)


class AdminDetailSerializer(AdminListItemSerializer):
    telephone = serializers.CharField(required=False)
    phone = serializers.CharField(required=False)
    passwordState = serializers.ChoiceField(choices=["ALIVE", "EXPIRED"])
    lastPasswordChange = serializers.DateTimeField(required=False)
    created = serializers.DateTimeField()
    modified = serializers.DateTimeField()
    activeStatus = serializers.ChoiceField(choices=list(ACTIVE_STATES))
    authCert = serializers.CharField(required=False, help_text="Serial number (hex) of the registered client "
                                                               "certificate")
    credentials = CredentialSerializer(many=True)
    privileges = serializers.ListField(child=serializers.CharField())
    failedAttempts = serializers.IntegerField()


class PrivilegeSerializer(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()


class PasswordStateSerializer(serializers.Serializer):
    state = serializers.CharField(help_text="ALIVE, or EXPIRED when the password must be changed")
    expirationDate = serializers.DateField(required=False)


class IdpSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


LIST_PARAMS = [
    OpenApiParameter("position", OpenApiTypes.INT, description="0-based offset"),
    OpenApiParameter("size", OpenApiTypes.INT, description="Page size, at most 200 (default 200)"),
    OpenApiParameter("login", OpenApiTypes.STR, description="Exact login (case-insensitive)"),
    OpenApiParameter("email", OpenApiTypes.STR, description="Exact email (case-insensitive)"),
    OpenApiParameter("type", OpenApiTypes.STR, enum=sorted(KNOWN_TYPES)),
    OpenApiParameter("activeState", OpenApiTypes.STR, enum=list(ACTIVE_STATES)),
    OpenApiParameter("orgId", OpenApiTypes.INT, description="Admins holding a role on this organization or "
                                                            "department"),
    OpenApiParameter("role", OpenApiTypes.STR, enum=[r.value for r in Role]),
]
LIST_PARAMS.append(OpenApiParameter("X-Total-Count", OpenApiTypes.INT, OpenApiParameter.HEADER, response=[200],
                                   description="Number of admins matching (HEAD answers only this)"))
NO_CONTENT = {204: OpenApiResponse(description="Done: empty body")}
CREATED = {201: OpenApiResponse(description="Created: empty body, the new id ends the Location header")}
LOCATION = OpenApiParameter("Location", OpenApiTypes.URI, OpenApiParameter.HEADER, response=[201],
                            description="Absolute URL of the new admin, ending with its id")


# ---------------------------------------------------------------------------
# Views


def _admin(actor, admin_id) -> Admin:
    """The admin with this id if the actor may see it; otherwise exactly like a missing one."""
    admin = Admin.objects.select_related("customer").filter(pk=admin_id, customer=actor.customer).first()
    if admin is None:
        raise AdminNotFound("Admin not found.")
    policy.require(actor, Perm.VIEW_ADMIN, admin)
    return admin


class AdminListView(ScmView):
    @extend_schema(tags=[TAG], summary="List admins in the caller's scope", parameters=LIST_PARAMS,
                   responses={200: AdminListItemSerializer(many=True)})
    def get(self, request):
        actor = self.actor(request)
        login, email, kind, state = (query_text(request, name) for name in ("login", "email", "type", "activeState"))
        org_id, role_name = query_text(request, "orgId"), query_text(request, "role")
        admins = policy.visible_admins(actor)
        if login:
            admins = admins.filter(login__iexact=login)
        if email:
            admins = admins.filter(email__iexact=email)
        if kind:
            if kind.upper() not in KNOWN_TYPES:
                raise InvalidInput(f"type must be one of {', '.join(sorted(KNOWN_TYPES))}.", field="type")
            admins = admins.filter(type=kind.upper())
        if state:
            if state.upper() not in ACTIVE_STATES:
                raise InvalidInput("activeState must be ACTIVE or SUSPENDED.", field="activeState")
            admins = admins.filter(is_active=ACTIVE_STATES[state.upper()])
        credential_filter: dict[str, Any] = {}
        if org_id:
            credential_filter["credentials__organization_id"] = parse_int(org_id, name="orgId")
        if role_name:
            role = parse_role(role_name)
            if role is None:
                raise InvalidInput(f"Unknown role '{role_name}'.", field="role")
            credential_filter["credentials__role"] = role.value
        if credential_filter:
            # One filter() call: both conditions on the same credential; distinct() as it is a join.
            admins = admins.filter(**credential_filter).distinct()
        return list_response(request, admins.order_by("id"), list_item)

    @extend_schema(tags=[TAG], summary="Create an admin (it must change its password at first use)",
                   request=AdminInputSerializer, responses=CREATED, parameters=[LOCATION])
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(AdminInputSerializer, self.body(request, strict=True))
        values = service_values(data)
        admin = accounts.create_admin(
            actor,
            password=data.get("password"),
            credentials=values.pop("credentials", []),
            privileges=values.pop("privileges", []),
            must_change_password=True,
            **values,
        )
        return Response(status=status.HTTP_201_CREATED,
                        headers={"Location": api_url(request, f"admin/v1/{admin.pk}")})


class AdminDetailView(ScmView):
    @extend_schema(tags=[TAG], summary="Admin details", responses={200: AdminDetailSerializer})
    def get(self, request, admin_id: int):
        return Response(admin_detail(_admin(self.actor(request), admin_id)))

    @extend_schema(tags=[TAG], summary="Update an admin (only the fields sent; password = reset)",
                   request=AdminInputSerializer, responses={200: AdminDetailSerializer})
    def put(self, request, admin_id: int):
        actor = self.actor(request)
        admin = _admin(actor, admin_id)
        data = self.parse(AdminInputSerializer, self.body(request, strict=True), partial=True)
        values = service_values(data)
        admin = accounts.update_admin(
            actor,
            admin,
            credentials=values.pop("credentials", None),
            privileges=values.pop("privileges", None),
            password=data.get("password") or None,
            **values,
        )
        return Response(admin_detail(_admin(actor, admin.pk)))

    @extend_schema(tags=[TAG], summary="Delete an admin", responses=NO_CONTENT,
                   parameters=[OpenApiParameter("replacingRequesterId", OpenApiTypes.INT,
                                                description="Accepted and ignored")])
    def delete(self, request, admin_id: int):
        actor = self.actor(request)
        accounts.delete_admin(actor, _admin(actor, admin_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminRolesView(ScmView):
    """The roles the caller may grant somewhere in its scope (an MRAO: all of them)."""

    @extend_schema(tags=[TAG], summary="Roles the caller may grant",
                   responses={200: {"type": "array", "items": {"type": "string", "enum": [r.value for r in Role]}}})
    def get(self, request):
        actor = self.actor(request)
        if policy.is_mrao(actor):
            return Response([r.value for r in Role])
        orgs = list(tenancy_queries.visible_organizations(actor))
        roles = [
            role.value for role in Role
            if (policy.can_grant_role(actor, role, None) if role is Role.MRAO
                else any(policy.can_grant_role(actor, role, org) for org in orgs))
        ]
        return Response(roles)


class AdminPrivilegesView(ScmView):
    @extend_schema(tags=[TAG], summary="Privileges that may be granted with a role (all without role)",
                   parameters=[OpenApiParameter("role", OpenApiTypes.STR, enum=[r.value for r in Role])],
                   responses={200: PrivilegeSerializer(many=True)})
    def get(self, request):
        name = query_text(request, "role")
        if name:
            role = parse_role(name)
            if role is None:
                raise InvalidInput(f"Unknown role '{name}'.", field="role")
            allowed = PRIVILEGES_BY_ROLE[role]
        else:
            allowed = frozenset(Privilege)
        return Response([{"name": p.value, "description": p.label} for p in Privilege if p in allowed])


class AdminPasswordView(ScmView):
    @extend_schema(tags=[TAG], summary="The caller's password state", responses={200: PasswordStateSerializer})
    def get(self, request):
        # Passwords do not expire with time in certdesk: only a forced change makes them EXPIRED.
        return Response({"state": password_state(self.actor(request).admin)})


class AdminChangePasswordView(ScmView):
    allowed_while_password_expired = True
    token_auth_refused = True

    @extend_schema(tags=[TAG], summary="Change the caller's own password (also when a change is forced)",
                   request=ChangePasswordSerializer, responses=NO_CONTENT)
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(ChangePasswordSerializer, self.body(request, strict=False))
        accounts.change_own_password(actor, data.get("newPassword"))
        headers = request._request.headers
        forget_credential(headers.get("customerUri") or "", headers.get("login") or "",
                          headers.get("password") or "")
        return Response(status=status.HTTP_204_NO_CONTENT)


class AdminIdpView(ScmView):
    @extend_schema(tags=[TAG], summary="Identity providers (certdesk has none over the API)",
                   responses={200: IdpSerializer(many=True)})
    def get(self, request):
        return Response([])
