"""SCM `/api/person/v1` and `/api/person/v2`: persons, the future holders of client certificates
(spec §7.9). Both versions answer the same.

Who sees and manages them: MRAO; RAO/DRAO of client certificates (RAO_SMIME, DRAO_SMIME) in
their organizations and departments (accounts.policy). Dates are ISO-8601 (spec §3).

`POST v2/{id}/import-key` (a PKCS #12 key into escrow) is served by `api.smime`, with the client
certificates. `POST v2/{id}/invitation/send` emails the person a link to create and download their
client certificate (enrollment.invitations); SCM's `accountId` (a client-certificate enrollment
account) is accepted and ignored: certdesk has no such accounts, the invitation carries the profile
(`certType`) and `term` instead.
"""
from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from django.utils import timezone
from rest_framework.response import Response

from certdesk.core.errors import RequiredField
from certdesk.persons import queries, services
from certdesk.persons.models import Person

from .base import EmailListField, IdField, ScmView, TextField, api_url, iso, parse_int, query_text
from .domains import organization_of
from .organizations import CREATED, LOCATION, TOTAL_COUNT
from .paging import list_response
from .ssl import date_format, fmt_date

TAG = "person"

# API name -> service keyword
FIELD_MAP = (
    ("firstName", "first_name"), ("middleName", "middle_name"), ("lastName", "last_name"), ("email", "email"),
    ("validationType", "validation_type"), ("phone", "phone"), ("commonName", "common_name"),
    ("secondaryEmails", "secondary_emails"), ("eppn", "eppn"), ("upn", "upn"),
)


# ---------------------------------------------------------------------------
# Input


class PersonInputSerializer(serializers.Serializer):
    """Request of POST (create) and PUT (update: only the keys sent change). Unknown keys are ignored."""

    firstName = TextField(help_text="Required on create; at most 64 characters")
    middleName = TextField(help_text="At most 64 characters")
    lastName = TextField(help_text="Required on create; at most 64 characters")
    email = TextField(help_text="Required on create; unique in the customer (any case); its domain must be "
                                "delegated to the organization or department for client certificates (SMIME)")
    validationType = TextField(help_text="STANDARD (default) or HIGH")
    organizationId = IdField(help_text="Organization or department id; required on create, moves the person "
                                       "on update")
    phone = TextField(numbers=True, help_text="At most 32 characters: digits, spaces, + ( ) . - /")
    commonName = TextField(help_text="At most 64 characters; default: first name and last name")
    secondaryEmails = EmailListField(required=False, allow_null=True, help_text="At most 20 addresses")
    eppn = TextField(help_text="eduPersonPrincipalName (user@scope), unique in the customer")
    upn = TextField(help_text="Microsoft User Principal Name (user@domain)")


def service_values(data: dict[str, Any]) -> dict[str, Any]:
    """Validated API fields -> keyword arguments of the person services (null = not sent)."""
    return {name: data[api_name] for api_name, name in FIELD_MAP if data.get(api_name) is not None}


# ---------------------------------------------------------------------------
# Output


def person_item(person: Person, date_pattern: str | None = None) -> dict[str, Any]:
    """A person as SCM shows it; dates ISO-8601 (UTC), or in the `dateFormat=` asked (spec §3)."""
    stamp = iso if date_pattern is None else (lambda value: fmt_date(value, date_pattern))
    return {
        "id": person.pk,
        "organizationId": person.organization_id,
        "email": person.email,
        "firstName": person.first_name,
        "middleName": person.middle_name,
        "lastName": person.last_name,
        "validationType": person.validation_type,
        "phone": person.phone,
        "commonName": person.common_name,
        "secondaryEmails": list(person.secondary_emails or []),
        "eppn": person.eppn,
        "upn": person.upn,
        "created": stamp(person.created),
        "createdBy": person.created_by,
        "modified": stamp(person.modified),
        "modifiedBy": person.modified_by,
    }


class PersonSerializer(serializers.Serializer):
    """Documentation of a person as listed and shown."""

    id = serializers.IntegerField()
    organizationId = serializers.IntegerField(help_text="Organization or department id")
    email = serializers.CharField()
    firstName = serializers.CharField()
    middleName = serializers.CharField(allow_blank=True)
    lastName = serializers.CharField()
    validationType = serializers.ChoiceField(choices=["STANDARD", "HIGH"])
    phone = serializers.CharField(allow_blank=True)
    commonName = serializers.CharField()
    secondaryEmails = serializers.ListField(child=serializers.CharField())
    eppn = serializers.CharField(allow_blank=True)
    upn = serializers.CharField(allow_blank=True)
    created = serializers.CharField(help_text="ISO-8601, UTC (e.g. 2026-05-04T10:11:12Z), or as dateFormat asks")
    createdBy = serializers.CharField(allow_blank=True, help_text="Login of the admin (or system:<interface>)")
    modified = serializers.CharField(help_text="ISO-8601, UTC, or as dateFormat asks")
    modifiedBy = serializers.CharField(allow_blank=True)


class PersonIdSerializer(serializers.Serializer):
    personId = serializers.IntegerField()


DATE_PARAM = OpenApiParameter("dateFormat", OpenApiTypes.STR,
                              description="ISO, ISO_HMS, EU, EU_HMS, US, US_HMS, UK, UK_HMS, JP, JP_HMS or a pattern "
                                          "(yyyy-MM-dd); default: ISO-8601 date and time, UTC")
LIST_PARAMS = [
    OpenApiParameter("position", OpenApiTypes.INT, description="0-based offset"),
    OpenApiParameter("size", OpenApiTypes.INT, description="Page size, at most 200 (default 200)"),
    OpenApiParameter("name", OpenApiTypes.STR, description="Part of the first, middle or last name or of the "
                                                           "common name (every word must match)"),
    OpenApiParameter("organizationId", OpenApiTypes.INT, description="Persons of this organization or department"),
    OpenApiParameter("email", OpenApiTypes.STR, description="This email exactly (any case)"),
    OpenApiParameter("commonName", OpenApiTypes.STR, description="Part of the common name"),
    OpenApiParameter("phone", OpenApiTypes.STR, description="Part of the phone number"),
    OpenApiParameter("secondaryEmail", OpenApiTypes.STR, description="Persons having this secondary email "
                                                                     "exactly (any case)"),
    DATE_PARAM,
    TOTAL_COUNT,
]
DONE = {200: OpenApiResponse(description="Done: empty body")}


# ---------------------------------------------------------------------------
# Views


def filtered_persons(request):
    org_id = query_text(request, "organizationId")
    return queries.visible_persons(
        ScmView.actor(request),
        name=query_text(request, "name", max_length=200),
        organization_id=parse_int(org_id, name="organizationId") if org_id else None,
        email=query_text(request, "email", max_length=254),
        common_name=query_text(request, "commonName", max_length=64),
        phone=query_text(request, "phone", max_length=32),
        secondary_email=query_text(request, "secondaryEmail", max_length=254),
        order="id",
    )


def _date_pattern(request) -> str | None:
    """None (ISO-8601, the persons' default) unless the client asks for a dateFormat."""
    return date_format(request) if query_text(request, "dateFormat", max_length=64) else None


class PersonListView(ScmView):
    @extend_schema(tags=[TAG], summary="List the persons in the caller's scope (MRAO, RAO/DRAO of client "
                                       "certificates)", parameters=LIST_PARAMS,
                   responses={200: PersonSerializer(many=True)})
    def get(self, request, version: str):
        pattern = _date_pattern(request)
        return list_response(request, filtered_persons(request), lambda person: person_item(person, pattern))

    @extend_schema(tags=[TAG], summary="Add a person to an organization or department", request=PersonInputSerializer,
                   responses=CREATED, parameters=[LOCATION])
    def post(self, request, version: str):
        actor = self.actor(request)
        data = self.parse(PersonInputSerializer, self.body(request, strict=True))
        if data.get("organizationId") is None:
            raise RequiredField("organizationId is required.", field="organizationId")
        organization = organization_of(actor, data["organizationId"], field="organizationId")
        values = service_values(data)
        for required in ("first_name", "last_name", "email"):
            values.setdefault(required, "")
        person = services.create_person(actor, organization, **values)
        return Response(status=status.HTTP_201_CREATED,
                        headers={"Location": api_url(request, f"person/v{version}/{person.pk}")})


class PersonByEmailView(ScmView):
    @extend_schema(tags=[TAG], summary="The id of the person with this email (404 -105 when unknown)",
                   responses={200: PersonIdSerializer})
    def get(self, request, version: str, email: str):
        return Response({"personId": queries.get_person_by_email(self.actor(request), email).pk})


class InvitationSerializer(serializers.Serializer):
    accountId = IdField(help_text="Accepted for SCM compatibility and ignored: certdesk has no client-certificate "
                                  "enrollment accounts")
    certType = IdField(help_text="Client-certificate profile id (GET /api/smime/v1/types); default: the first "
                                 "one offered")
    term = IdField(help_text="Days; default: the longest term of the profile")


class PersonInvitationView(ScmView):
    @extend_schema(tags=[TAG], summary="Email the person an invitation to create and download their client "
                                       "certificate (a link that works once, for CERTDESK_INVITATION_DAYS days)",
                   request=InvitationSerializer,
                   responses={202: OpenApiResponse(description="Invitation sent: empty body")})
    def post(self, request, version: str, person_id: int):
        from certdesk.accounts import policy
        from certdesk.certificates import queries as certificate_queries
        from certdesk.enrollment import invitations

        actor = self.actor(request)
        person = queries.get_person(actor, person_id)
        data = self.parse(InvitationSerializer, self.body(request, strict=False))
        policy.require(actor, policy.Perm.REQUEST_SMIME, person.organization)
        policy.require_api_enabled(actor, person.organization, "SMIME")
        if data.get("certType") is not None:
            profile = certificate_queries.get_profile(actor.customer, data["certType"], kind="SMIME")
            terms = profile.effective_terms(timezone.now())
            term = data["term"] if data.get("term") is not None else (max(terms) if terms else 0)
        else:
            profile, term = invitations.default_profile_and_term(actor, person)
            if data.get("term") is not None:
                term = data["term"]
        invitations.send_invitation(actor, person, profile, term)
        return Response(status=status.HTTP_202_ACCEPTED)


class PersonDetailView(ScmView):
    @extend_schema(tags=[TAG], summary="A person", parameters=[DATE_PARAM], responses={200: PersonSerializer})
    def get(self, request, version: str, person_id: int):
        pattern = _date_pattern(request)
        return Response(person_item(queries.get_person(self.actor(request), person_id), pattern))

    @extend_schema(tags=[TAG], summary="Change a person (only the keys sent; organizationId moves it)",
                   request=PersonInputSerializer, responses={200: PersonSerializer})
    def put(self, request, version: str, person_id: int):
        actor = self.actor(request)
        person = queries.get_person(actor, person_id)
        data = self.parse(PersonInputSerializer, self.body(request, strict=True), partial=True)
        organization = None
        if data.get("organizationId") is not None:
            organization = organization_of(actor, data["organizationId"], field="organizationId")
        person = services.update_person(actor, person, organization=organization, **service_values(data))
        return Response(person_item(person))

    @extend_schema(tags=[TAG], summary="Delete a person", responses=DONE)
    def delete(self, request, version: str, person_id: int):
        actor = self.actor(request)
        services.delete_person(actor, queries.get_person(actor, person_id))
        return Response(status=status.HTTP_200_OK)
