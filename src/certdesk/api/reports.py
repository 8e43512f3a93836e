"""SCM reports (spec §7.13), each `{statusCode: 0, reports: [...]}` with ISO-8601 dates:
`POST /api/report/v1/ssl-certificates` (the SSL certificates of the caller's scope, filtered),
`…/client-certificates` (the client certificates of the caller's scope, filtered), `…/activity`
(the audit log in scope between `from` and `to`) and `…/domains` (the domains in scope with their
DCV).

Numeric vocabularies (spec §7.13): certificateStatus 0 any, 1 requested, 2 issued, 3 revoked
(replaced ones too: they are revoked as superseded), 4 expired, 8 approved and 9 applied (both
certdesk's APPLIED); certificateDateAttribute 0 enrolled (= issued), 2 revoked, 3 expires,
4 requested, 5 issued (1 "downloaded" is not tracked for SSL: refused); certificateRequestSource
0 form … 12 REST API, matched against `requestedVia`.
"""
from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response

import zlib

from certdesk.accounts import policy
from certdesk.accounts.models import Admin
from certdesk.core.actor import Interface
from certdesk.domains.states import DomainState
from certdesk.reports import queries as reports
from certdesk.certificates import queries
from certdesk.certificates.models import Certificate
from certdesk.certificates.states import Status
from certdesk.core.errors import InvalidInput

from .base import IdField, ScmView, TextField, iso
from .domains import organization_of
from .notifications import _moment
from .ssl import sans_of, serial_text

MAX_REPORT_ROWS = 5000

STATUS_CODES = {
    1: [Status.REQUESTED], 2: [Status.ISSUED], 3: [Status.REVOKED, Status.REPLACED], 4: [Status.EXPIRED],
    8: [Status.APPLIED], 9: [Status.APPLIED],
}
DATE_ATTRIBUTES = {0: "issued_at", 2: "revoked_at", 3: "not_after", 4: "created", 5: "issued_at"}
REQUEST_SOURCES = {
    0: "Enrollment Form", 1: "Client Admin", 2: "Web API", 3: "Discovery", 4: "Imported", 5: "SCEP", 7: "MS Agent",
    9: "Bulk Request", 10: "ACME", 11: "EST", 12: "REST API",
}
SERIAL_FORMATS = ("HEX", "DECIMAL")


class SslReportSerializer(serializers.Serializer):
    organizationIds = serializers.ListField(child=IdField(allow_null=False), required=False, allow_null=True,
                                            max_length=1000, help_text="Organizations (with their departments) or "
                                                                       "departments; all in scope when absent")
    commonName = TextField(help_text="Part of the common name")
    externalRequester = TextField(help_text="Part of the external requester")
    certificateStatus = IdField(help_text="0 any, 1 requested, 2 issued, 3 revoked, 4 expired, 8 approved, 9 applied")
    certificateDateAttribute = IdField(help_text="Date that from/to apply to: 0 enrolled, 2 revoked, 3 expires, "
                                                 "4 requested, 5 issued")
    certificateRequestSource = IdField(help_text="0 form, 1 client admin, 2 Web API, ... 10 ACME, 12 REST API")
    serialNumberFormat = TextField(help_text="HEX (default) or DECIMAL")
    to = TextField(help_text="YYYY-MM-DD (included) or an ISO-8601 date-time")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = TextField(help_text="YYYY-MM-DD or an ISO-8601 date-time")
        return fields


def report_item(cert: Certificate, decimal: bool) -> dict[str, Any]:
    serial = serial_text(cert)
    if serial and decimal:
        serial = str(int(serial, 16))
    org = cert.organization
    data = {
        "id": cert.pk,
        "commonName": cert.common_name,
        "orgId": cert.organization_id,
        "organizationName": f"{org.parent.name} / {org.name}" if org.parent_id else org.name,
        "status": Status(cert.status).label,
        "orderNumber": cert.pk,
        "backendCertId": str(cert.pk),
        "typeId": cert.profile_id,
        "type": cert.profile.name,
        "term": cert.term,
        "requester": cert.requester_label,
        "approver": cert.approver.login if cert.approver_id else None,
        "requested": iso(cert.created),
        "expires": iso(cert.not_after),
        "revoked": iso(cert.revoked_at),
        "subjAltNames": ",".join(sans_of(cert)),
        "serialNumber": serial,
        "requestedVia": cert.requested_via,
        "customFields": [],
    }
    return {k: v for k, v in data.items() if v is not None and v != ""}


class SslCertificatesReportView(ScmView):
    api_cert_type = "SSL"

    @extend_schema(tags=["report"], summary="SSL certificates report (at most 5000 rows, newest first)",
                   request=SslReportSerializer,
                   parameters=[OpenApiParameter("output_type", OpenApiTypes.STR, description="buffered (accepted)")],
                   responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(SslReportSerializer, self.body(request, strict=False))
        qs = policy.scope_api_enabled(actor, queries.visible_certificates(actor), "SSL").select_related(
            "approver")
        org_ids = data.get("organizationIds") or []
        if org_ids:
            orgs = [organization_of(actor, org_id, field="organizationIds").pk for org_id in dict.fromkeys(org_ids)]
            qs = qs.filter(Q(organization_id__in=orgs) | Q(organization__parent_id__in=orgs))
        if data.get("commonName"):
            qs = qs.filter(common_name__icontains=data["commonName"].strip().lower())
        if data.get("externalRequester"):
            qs = qs.filter(external_requester__icontains=data["externalRequester"].strip())
        code = data.get("certificateStatus")
        if code:
            if code not in STATUS_CODES:
                raise InvalidInput("certificateStatus must be 0, 1, 2, 3, 4, 8 or 9.", field="certificateStatus")
            qs = qs.filter(status__in=STATUS_CODES[code])
        source = data.get("certificateRequestSource")
        if source is not None:
            if source not in REQUEST_SOURCES:
                raise InvalidInput("Unknown certificateRequestSource.", field="certificateRequestSource")
            qs = qs.filter(requested_via=REQUEST_SOURCES[source])
        since, until = _moment(data.get("from")), _moment(data.get("to"), end=True)
        if since or until:
            attribute = data.get("certificateDateAttribute")
            field = DATE_ATTRIBUTES.get(4 if attribute is None else attribute)
            if field is None:
                raise InvalidInput("certificateDateAttribute must be 0, 2, 3, 4 or 5 for SSL certificates.",
                                   field="certificateDateAttribute")
            if since:
                qs = qs.filter(**{f"{field}__gte": since})
            if until:
                qs = qs.filter(**{f"{field}__lt": until})
        serial_format = (data.get("serialNumberFormat") or "HEX").strip().upper()
        if serial_format not in SERIAL_FORMATS:
            raise InvalidInput("serialNumberFormat must be HEX or DECIMAL.", field="serialNumberFormat")
        rows = [report_item(cert, serial_format == "DECIMAL") for cert in qs[:MAX_REPORT_ROWS]]
        return Response({"statusCode": 0, "reports": rows})


# ---------------------------------------------------------------------------
# Activity (the audit log) and domains

ACCESS_METHODS = {Interface.PORTAL: "Web UI", Interface.API: "REST API", Interface.ACME: "ACME",
                  Interface.WORKER: "System", Interface.CLI: "Command line"}


class ActivityReportSerializer(serializers.Serializer):
    to = TextField(help_text="YYYY-MM-DD (included) or an ISO-8601 date-time")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = TextField(help_text="YYYY-MM-DD or an ISO-8601 date-time")
        return fields


def action_id(action: str) -> int:
    """A stable number for an action name (SCM numbers its actions; certdesk names them)."""
    return zlib.crc32(action.encode()) & 0x7FFFFFFF


def activity_item(event, admins: dict[int, Admin]) -> dict[str, Any]:
    admin = admins.get(event.actor_admin_id) if event.actor_admin_id else None
    what = f"{event.object_type}:{event.object_id}" if event.object_type else ""
    description = " ".join(part for part in (event.action, event.object_repr or what) if part)
    data = {
        "id": event.seq,
        "guid": event.hash,
        "accessMethod": ACCESS_METHODS.get(event.interface, event.interface),
        "date": iso(event.created_at),
        "address": event.ip or None,
        "description": description,
        "action": {"id": action_id(event.action), "actionName": event.action},
        "admin": ({"login": admin.login, "fullName": f"{admin.forename} {admin.surname}".strip(), "email": admin.email}
                  if admin is not None else {"login": event.actor}),
    }
    return {k: v for k, v in data.items() if v is not None and v != ""}


class ActivityReportView(ScmView):
    @extend_schema(tags=["report"], summary="Activity (audit log) report, newest first (at most 5000 rows)",
                   request=ActivityReportSerializer,
                   parameters=[OpenApiParameter("output_type", OpenApiTypes.STR, description="buffered (accepted)")],
                   responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(ActivityReportSerializer, self.body(request, strict=False))
        since, until = _moment(data.get("from")), _moment(data.get("to"), end=True)
        if since and until and since >= until:
            raise InvalidInput("from must be before to.", field="from")
        events = list(reports.activity_report(actor, since=since, until=until)[:MAX_REPORT_ROWS])
        ids = {e.actor_admin_id for e in events if e.actor_admin_id}
        admins = {a.pk: a for a in Admin.objects.filter(customer=actor.customer, pk__in=ids)}
        return Response({"statusCode": 0, "reports": [activity_item(e, admins) for e in events]})


class DomainsReportView(ScmView):
    @extend_schema(tags=["report"], summary="Domains report: the domains in scope with their DCV status",
                   request=None,
                   parameters=[OpenApiParameter("output_type", OpenApiTypes.STR, description="buffered (accepted)")],
                   responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        actor = self.actor(request)
        self.body(request, strict=False)  # no filters; a body, if any, must still be JSON
        now = timezone.now()
        rows = []
        for domain in reports.domain_report(actor, now=now)[:MAX_REPORT_ROWS]:
            item = {
                "id": domain.pk,
                "name": domain.name,
                "status": DomainState(domain.state).label,
                "requested": iso(domain.created),
                "stickyUntil": iso(domain.dcv_expires),
                "dcvStatus": reports.domain_status(domain, now),
            }
            rows.append({k: v for k, v in item.items() if v is not None})
        return Response({"statusCode": 0, "reports": rows})


# ---------------------------------------------------------------------------
# Client certificates

CLIENT_STATUS_CODES = {
    1: [Status.REQUESTED], 2: [Status.ISSUED], 3: [Status.REVOKED, Status.REPLACED], 4: [Status.EXPIRED],
    8: [Status.APPLIED], 9: [Status.APPLIED],
}


class ClientReportSerializer(serializers.Serializer):
    organizationIds = serializers.ListField(child=IdField(allow_null=False), required=False, allow_null=True,
                                            max_length=1000, help_text="Organizations (with their departments) or "
                                                                       "departments; all in scope when absent")
    certificateStatus = IdField(help_text="0 any, 1 requested, 2 issued, 3 revoked, 4 expired, 8 approved, 9 applied")
    certificateDateAttribute = IdField(help_text="Date that from/to apply to: 0 enrolled, 2 revoked, 3 expires, "
                                                 "4 requested, 5 issued")
    to = TextField(help_text="YYYY-MM-DD (included) or an ISO-8601 date-time")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = TextField(help_text="YYYY-MM-DD or an ISO-8601 date-time")
        return fields


def client_report_item(cert: Certificate) -> dict[str, Any]:
    org = cert.organization
    person = cert.person if cert.person_id else None
    data = {
        "id": cert.pk,
        "subject": f"CN={cert.common_name}",
        "email": person.email if person is not None else (cert.names[0] if cert.names else None),
        "orderNumber": cert.pk,
        "backendCertId": str(cert.pk),
        "status": Status(cert.status).label,
        "enrolled": iso(cert.issued_at),
        "expire": iso(cert.not_after),
        "revoked": iso(cert.revoked_at),
        "serialNumber": serial_text(cert) or None,
        "type": cert.profile.name,
        "enrollType": cert.requested_via,  # SCM's words already: Admin Enroll, REST Enroll API, …
        "organization": {"id": org.pk, "name": f"{org.parent.name} / {org.name}" if org.parent_id else org.name},
        "person": ({"id": person.pk, "name": person.common_name or f"{person.first_name} {person.last_name}".strip(),
                    "email": person.email, "guid": str(person.pk)} if person is not None else None),
    }
    return {k: v for k, v in data.items() if v is not None and v != ""}


class ClientCertificatesReportView(ScmView):
    api_cert_type = "SMIME"

    @extend_schema(tags=["report"], summary="Client certificates report (at most 5000 rows, newest first)",
                   request=ClientReportSerializer,
                   parameters=[OpenApiParameter("output_type", OpenApiTypes.STR, description="buffered (accepted)")],
                   responses={200: OpenApiTypes.OBJECT})
    def post(self, request):
        actor = self.actor(request)
        data = self.parse(ClientReportSerializer, self.body(request, strict=False))
        qs = policy.scope_api_enabled(actor, queries.visible_certificates(actor, kind="SMIME"), "SMIME")
        qs = qs.select_related("person", "profile", "organization", "organization__parent")
        org_ids = data.get("organizationIds") or []
        if org_ids:
            orgs = [organization_of(actor, org_id, field="organizationIds").pk for org_id in dict.fromkeys(org_ids)]
            qs = qs.filter(Q(organization_id__in=orgs) | Q(organization__parent_id__in=orgs))
        code = data.get("certificateStatus")
        if code:
            if code not in CLIENT_STATUS_CODES:
                raise InvalidInput("certificateStatus must be 0, 1, 2, 3, 4, 8 or 9.", field="certificateStatus")
            qs = qs.filter(status__in=CLIENT_STATUS_CODES[code])
        since, until = _moment(data.get("from")), _moment(data.get("to"), end=True)
        if since or until:
            attribute = data.get("certificateDateAttribute")
            field = DATE_ATTRIBUTES.get(4 if attribute is None else attribute)
            if field is None:
                raise InvalidInput("certificateDateAttribute must be 0, 2, 3, 4 or 5 (certdesk does not track "
                                   "downloads).", field="certificateDateAttribute")
            if since:
                qs = qs.filter(**{f"{field}__gte": since})
            if until:
                qs = qs.filter(**{f"{field}__lt": until})
        rows = [client_report_item(cert) for cert in qs.order_by("-created", "-id")[:MAX_REPORT_ROWS]]
        return Response({"statusCode": 0, "reports": rows})
