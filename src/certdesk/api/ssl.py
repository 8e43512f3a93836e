"""SCM `/api/ssl/v1` (and v2, same contract): SSL certificate types, list, details, enroll, collect,
approve/decline, revoke, renew, replace, the details update and the deletion of imported certificates
(spec §7.1, §6, §8); import and manual revocation are in `ssl_import`.

Views only parse, call one service of `certdesk.certificates` and render. Every operation on a
certificate or an organization also checks, through the API, that the organization's Web API is
enabled for SSL (`sslCertsApiEnabled`, accounts.policy.require_api_enabled).
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone as djtz
from django.utils.crypto import constant_time_compare, salted_hmac
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response

from certdesk.accounts import policy
from certdesk.certificates import formats, imports, queries, search, services
from certdesk.certificates.errors import CertificateNotFound
from certdesk.certificates.models import Certificate, Profile
from certdesk.certificates.states import Status
from certdesk.core.errors import InvalidInput

from .base import FlagField, IdField, ScmView, TextField, parse_int, query_text
from .domains import organization_of
from .errors import ScmErrorSerializer
from .organizations import NO_CONTENT, TOTAL_COUNT
from .paging import list_response

TAG = "ssl"
SSL = "SSL"

# ---------------------------------------------------------------------------
# Dates: `dateFormat=` (spec §3). SSL details default to US `MM/dd/yyyy`.

NAMED_DATE_FORMATS = {
    "ISO": "%Y-%m-%d", "ISO_HMS": "%Y-%m-%dT%H:%M:%S",
    "EU": "%d.%m.%Y", "EU_HMS": "%d.%m.%Y %H:%M:%S",
    "US": "%m/%d/%Y", "US_HMS": "%m/%d/%Y %H:%M:%S",
    "UK": "%d/%m/%Y", "UK_HMS": "%d/%m/%Y %H:%M:%S",
    "JP": "%Y/%m/%d", "JP_HMS": "%Y/%m/%d %H:%M:%S",
}
# Java-style pattern letters a client may send (`dateFormat=yyyy-MM-dd'T'HH:mm:ss`).
_PATTERN_TOKENS = [("yyyy", "%Y"), ("yy", "%y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"),
                   ("ss", "%S")]
_PATTERN_RE = re.compile("|".join(re.escape(t) for t, _ in _PATTERN_TOKENS) + r"|'[^']*'|[-/.:, T]")


def date_format(request) -> str:
    raw = query_text(request, "dateFormat", max_length=64)
    if not raw:
        return NAMED_DATE_FORMATS["US"]
    named = NAMED_DATE_FORMATS.get(raw.upper())
    if named:
        return named
    out, pos = [], 0
    tokens = dict(_PATTERN_TOKENS)
    for match in _PATTERN_RE.finditer(raw):
        if match.start() != pos:
            break
        text = match.group(0)
        out.append(tokens.get(text) or (text[1:-1].replace("%", "%%") if text.startswith("'") else text))
        pos = match.end()
    if pos != len(raw) or not out:
        raise InvalidInput(f"Unknown dateFormat '{raw}': use ISO, ISO_HMS, EU, EU_HMS, US, US_HMS, UK, UK_HMS, JP, "
                           f"JP_HMS or a pattern such as yyyy-MM-dd.", field="dateFormat")
    return "".join(out)


def fmt_date(value: datetime | date | None, pattern: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC)
    return value.strftime(pattern)


# ---------------------------------------------------------------------------
# Serial numbers: shown as uppercase hex (DER integer octets, no colons); accepted in any case,
# with or without colons and leading zeros.


def serial_text(cert: Certificate) -> str | None:
    if not cert.serial_hex:
        return None
    value = int(cert.serial_hex, 16)
    text = f"{value:X}"
    return text.rjust(len(text) + len(text) % 2, "0")


def serial_key(text: str, *, field: str = "serialNumber") -> str:
    """The stored form (40 lowercase hex digits) of a serial given by a client."""
    cleaned = re.sub(r"[:\s]", "", str(text or "")).lower()
    cleaned = cleaned.removeprefix("0x")
    if not cleaned or len(cleaned.lstrip("0")) > 40 or not re.fullmatch(r"[0-9a-f]+", cleaned):
        raise InvalidInput("serialNumber must be a hexadecimal serial number.", field=field)
    return cleaned.lstrip("0").rjust(40, "0")


# ---------------------------------------------------------------------------
# renewId: SCM gives an opaque renew id at enrollment (`POST /renew/{renewId}`). certdesk's is
# the certificate id with a keyed MAC, so it needs no storage and cannot be guessed from an id.

_RENEW_SALT = "certdesk.api.ssl.renewId"


def renew_id(cert: Certificate) -> str:
    mac = salted_hmac(_RENEW_SALT, f"{cert.customer_id}:{cert.pk}", algorithm="sha256").hexdigest()[:24]
    return f"{cert.pk}x{mac}"


def cert_from_renew_id(actor, value: str) -> Certificate:
    pk = str(value).partition("x")[0]
    if not pk.isdigit() or len(pk) > 18:
        raise CertificateNotFound("Unknown renewId.")
    cert = queries.get_certificate(actor, pk)
    if not constant_time_compare(renew_id(cert), value):
        raise CertificateNotFound("Unknown renewId.")
    return cert


# ---------------------------------------------------------------------------
# Output


def type_item(profile: Profile, now: datetime | None = None) -> dict[str, Any]:
    now = now or djtz.now()
    return {
        "id": profile.pk,
        "name": profile.name,
        "description": profile.description,
        "terms": profile.effective_terms(now),
        "keyTypes": {alg: [str(v) for v in values] for alg, values in (profile.key_types or {}).items()},
        "useSecondaryOrgName": False,
    }


def sans_of(cert: Certificate) -> list[str]:
    """The names beyond the common name (SCM's `subjectAlternativeNames`; enroll's `subjAltNames`)."""
    return [n for n in cert.names if n != cert.common_name]


def list_item(cert: Certificate) -> dict[str, Any]:
    data = {"sslId": cert.pk, "commonName": cert.common_name, "subjectAlternativeNames": sans_of(cert)}
    serial = serial_text(cert)
    if serial:
        data["serialNumber"] = serial
    return data


def _usages(x509_cert) -> tuple[list[str], list[str]]:
    from cryptography import x509
    from cryptography.x509.oid import ExtendedKeyUsageOID

    key_usages: list[str] = []
    try:
        ku = x509_cert.extensions.get_extension_for_class(x509.KeyUsage).value
        for attr, label in (("digital_signature", "digitalSignature"), ("key_encipherment", "keyEncipherment"),
                            ("key_agreement", "keyAgreement"), ("content_commitment", "nonRepudiation"),
                            ("data_encipherment", "dataEncipherment")):
            if getattr(ku, attr):
                key_usages.append(label)
    except x509.ExtensionNotFound:
        pass
    ekus: list[str] = []
    names = {ExtendedKeyUsageOID.SERVER_AUTH: "serverAuth", ExtendedKeyUsageOID.CLIENT_AUTH: "clientAuth"}
    try:
        for oid in x509_cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value:
            ekus.append(names.get(oid, oid.dotted_string))
    except x509.ExtensionNotFound:
        pass
    return key_usages, ekus


def certificate_details(cert: Certificate, x509_cert) -> dict[str, Any]:
    from cryptography import x509

    try:
        san = x509_cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        san_text = ", ".join(f"dNSName={n}" for n in san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        san_text = ""
    return {
        "issuer": x509_cert.issuer.rfc4514_string(),
        "subject": x509_cert.subject.rfc4514_string(),
        "subjectAltNames": san_text,
        "md5Hash": cert.md5_hash.upper(),
        "sha1Hash": cert.sha1_hash.upper(),
    }


def detail(cert: Certificate, pattern: str) -> dict[str, Any]:
    x509_cert = cert.certificate()
    revoked = cert.status in (Status.REVOKED, Status.REPLACED)
    data: dict[str, Any] = {
        "id": cert.pk,
        "sslId": cert.pk,
        "commonName": cert.common_name,
        "orgId": cert.organization_id,
        "status": Status(cert.status).label,
        "orderNumber": cert.pk,
        "backendCertId": str(cert.pk),
        "certType": type_item(cert.profile),
        "term": cert.term,
        "requester": cert.requester_label,
        "requesterId": cert.requester_id,
        "requestedVia": cert.requested_via,
        "externalRequester": cert.external_requester,
        "comments": cert.comments,
        "requested": fmt_date(cert.created, pattern),
        "approved": fmt_date(cert.approved_at, pattern),
        "issued": fmt_date(cert.issued_at, pattern),
        "declined": fmt_date(cert.declined_at, pattern),
        "expires": fmt_date(cert.not_after, pattern),
        "revoked": fmt_date(cert.revoked_at, pattern) if cert.status == Status.REVOKED else None,
        "replaced": fmt_date(cert.revoked_at, pattern) if cert.status == Status.REPLACED else None,
        "reasonCode": cert.revocation_reason if revoked else None,
        "serialNumber": serial_text(cert),
        "signatureAlg": cert.profile.signature_algorithm if x509_cert is not None else None,
        "keyAlgorithm": cert.key_algorithm,
        "keySize": cert.key_size,
        "keyType": cert.key_type_label,
        "subjectAlternativeNames": sans_of(cert),
        "customFields": [],
        "autoRenewDetails": {"state": "Scheduled" if cert.auto_renew else "Not scheduled",
                             "daysBeforeExpiration": cert.days_before},
        "suspendNotifications": False,
    }
    if x509_cert is not None:
        key_usages, ekus = _usages(x509_cert)
        data["keyUsages"] = key_usages
        data["extendedKeyUsages"] = ekus
        data["certificateDetails"] = certificate_details(cert, x509_cert)
    return {k: v for k, v in data.items() if v is not None and v != ""}


# ---------------------------------------------------------------------------
# Input


class AutoRenewDetailsSerializer(serializers.Serializer):
    state = TextField(help_text="Scheduled / Not scheduled (also on/off, true/false)")
    daysBeforeExpiration = IdField(help_text="1-365 (default 30)")


class EnrollSerializer(serializers.Serializer):
    """Unknown and legacy keys (numberServers, serverType, dcvMode, customFields…) are ignored."""

    orgId = IdField(required=True, allow_null=False, help_text="Organization or department id")
    csr = TextField(required=True, allow_null=False, allow_blank=False, help_text="PKCS#10 request, PEM or base64")
    certType = IdField(required=True, allow_null=False, help_text="Certificate type (profile) id, see /types")
    term = IdField(required=True, allow_null=False, help_text="Days, one of the type's terms")
    subjAltNames = serializers.JSONField(required=False, allow_null=True,
                                         help_text="Comma-separated names beyond the common name (a list is "
                                                   "accepted too)")
    commonName = TextField(help_text="Ignored by SCM; certdesk uses it when the CSR has no CN")
    comments = TextField()
    externalRequester = TextField(help_text="Comma-separated emails")
    autoRenew = FlagField()
    autoRenewDetails = AutoRenewDetailsSerializer(required=False, allow_null=True)


class MessageSerializer(serializers.Serializer):
    message = TextField(help_text="1-512 characters")


class RevokeSerializer(serializers.Serializer):
    reason = TextField(help_text="1-512 characters")
    reasonCode = serializers.JSONField(required=False, allow_null=True,
                                       help_text="0 unspecified, 1 keyCompromise, 3 affiliationChanged, "
                                                 "4 superseded, 5 cessationOfOperation")


class CsrSerializer(serializers.Serializer):
    csr = TextField(help_text="Optional new CSR (new key); the same key otherwise")


class ReplaceSerializer(serializers.Serializer):
    csr = TextField(required=True, allow_null=False, allow_blank=False)
    reason = TextField()
    commonName = TextField()
    subjectAlternativeNames = serializers.JSONField(required=False, allow_null=True)


class UpdateSerializer(serializers.Serializer):
    sslId = IdField(required=True, allow_null=False)
    comments = TextField()
    externalRequester = TextField()
    autoRenewDetails = AutoRenewDetailsSerializer(required=False, allow_null=True)


def _auto_renew_state(details: dict | None) -> tuple[bool | None, int | None]:
    if not details:
        return None, None
    state, days = details.get("state"), details.get("daysBeforeExpiration")
    flag = None
    if state not in (None, ""):
        text = str(state).strip().lower().replace("_", " ")
        if text in {"scheduled", "on", "true", "enabled"}:
            flag = True
        elif text in {"not scheduled", "off", "false", "disabled"}:
            flag = False
        else:
            raise InvalidInput("autoRenewDetails.state must be Scheduled or Not scheduled.",
                               field="autoRenewDetails.state")
    return flag, days


# ---------------------------------------------------------------------------
# Filters of the list (spec §7.1): unknown ones are ignored, as SCM does.

REQUESTED_VIA_FILTER = {
    "WEB_FORM": "Enrollment Form", "ENROLLMENT_FORM": "Enrollment Form", "CLIENT_ADMIN": "Client Admin",
    "API": "Web API", "WEB_API": "Web API", "ACME": "ACME", "REST_API": "REST API", "IMPORTED": "Imported",
    "DISCOVERY": "Discovery", "SCEP": "SCEP", "MS_AGENT": "MS Agent", "BULK_REQUEST": "Bulk Request", "EST": "EST",
}
STATUS_FILTER = {s.label.lower(): s.value for s in Status} | {s.value.lower(): s.value for s in Status}


def filtered_certificates(request):
    actor = ScmView.actor(request)
    qs = policy.scope_api_enabled(actor, queries.visible_certificates(actor), SSL)
    for param, column in (("commonName", "common_name"), ("subjectAlternativeName", "names_index")):
        if text := query_text(request, param, max_length=253):
            qs = qs.filter(**{f"{column}__icontains": text.lower()})
            if (narrowed := search.names_containing(column, text.lower())) is not None:
                qs = qs.filter(narrowed)  # SQLite: the trigram index first (the LIKE above stays exact)
    if text := query_text(request, "status"):
        wanted = STATUS_FILTER.get(text.lower())
        if wanted is None:
            raise InvalidInput(f"Unknown status '{text}'.", field="status")
        qs = qs.filter(status=wanted)
    if text := query_text(request, "sslTypeId"):
        qs = qs.filter(profile_id=parse_int(text, name="sslTypeId"))
    if text := query_text(request, "orgId"):
        qs = qs.filter(organization_id=parse_int(text, name="orgId"))
    if text := query_text(request, "serialNumber", max_length=128):
        qs = qs.filter(serial_hex=serial_key(text))
    if text := query_text(request, "requester", max_length=200):
        qs = qs.filter(requester_label__icontains=text)
    if text := query_text(request, "externalRequester", max_length=1024):
        qs = qs.filter(external_requester__icontains=text)
    if text := query_text(request, "keyAlgorithm", max_length=16):
        qs = qs.filter(key_algorithm__iexact=text)
    if text := query_text(request, "keyParam", max_length=16):
        qs = qs.filter(key_param__iexact=text)
    if text := query_text(request, "keySize", max_length=8):
        qs = qs.filter(key_size=parse_int(text, name="keySize"))
    if text := query_text(request, "sha1Hash", max_length=64):
        qs = qs.filter(sha1_hash=text.replace(":", "").lower())
    if text := query_text(request, "md5Hash", max_length=64):
        qs = qs.filter(md5_hash=text.replace(":", "").lower())
    if text := query_text(request, "requestedVia", max_length=32):
        qs = qs.filter(requested_via__iexact=REQUESTED_VIA_FILTER.get(text.upper(), text))
    return qs


# ---------------------------------------------------------------------------
# Views


def _certificate(request, ssl_id) -> Certificate:
    actor = ScmView.actor(request)
    cert = queries.get_certificate(actor, ssl_id)
    policy.require_api_enabled(actor, cert.organization, SSL)
    return cert


class SslView(ScmView):
    api_cert_type = SSL


LIST_PARAMS = [
    OpenApiParameter("position", OpenApiTypes.INT, description="0-based offset"),
    OpenApiParameter("size", OpenApiTypes.INT, description="Page size, at most 200 (default 200)"),
    OpenApiParameter("commonName", OpenApiTypes.STR), OpenApiParameter("subjectAlternativeName", OpenApiTypes.STR),
    OpenApiParameter("status", OpenApiTypes.STR, description=", ".join(s.label for s in Status)),
    OpenApiParameter("sslTypeId", OpenApiTypes.INT), OpenApiParameter("orgId", OpenApiTypes.INT),
    OpenApiParameter("serialNumber", OpenApiTypes.STR), OpenApiParameter("requester", OpenApiTypes.STR),
    OpenApiParameter("externalRequester", OpenApiTypes.STR), OpenApiParameter("keyAlgorithm", OpenApiTypes.STR),
    OpenApiParameter("keyParam", OpenApiTypes.STR), OpenApiParameter("sha1Hash", OpenApiTypes.STR),
    OpenApiParameter("md5Hash", OpenApiTypes.STR), OpenApiParameter("requestedVia", OpenApiTypes.STR),
    TOTAL_COUNT,
]
DATE_PARAM = OpenApiParameter("dateFormat", OpenApiTypes.STR,
                              description="ISO, ISO_HMS, EU, EU_HMS, US (default), US_HMS, UK, UK_HMS, JP, JP_HMS "
                                          "or a pattern (yyyy-MM-dd)")
ARRAY_OF_OBJECTS = OpenApiResponse({"type": "array", "items": {"type": "object"}})
DETAIL = OpenApiResponse(OpenApiTypes.OBJECT, description="Certificate details; unset values are omitted")


class SslTypesView(SslView):
    @extend_schema(tags=[TAG], summary="Certificate types (profiles) that may be requested",
                   parameters=[OpenApiParameter("organizationId", OpenApiTypes.INT)],
                   responses={200: ARRAY_OF_OBJECTS})
    def get(self, request, version=None):
        actor = self.actor(request)
        org_id = query_text(request, "organizationId")
        if org_id:
            organization_of(actor, parse_int(org_id, name="organizationId"), field="organizationId")
        now = djtz.now()
        return Response([type_item(p, now) for p in queries.profiles_for(actor.customer)])


class SslCustomFieldsView(SslView):
    @extend_schema(tags=[TAG], summary="Custom fields of SSL certificates (none in certdesk)",
                   responses={200: ARRAY_OF_OBJECTS})
    def get(self, request, version=None):
        return Response([])


class SslListView(SslView):
    @extend_schema(tags=[TAG], summary="List the SSL certificates in the caller's scope", parameters=LIST_PARAMS,
                   responses={200: ARRAY_OF_OBJECTS})
    def get(self, request, version=None):
        qs = filtered_certificates(request).select_related(None).only("pk", "common_name", "subject_alt_names", "serial_hex")
        return list_response(request, qs, list_item)

    def head(self, request, version=None):
        return list_response(request, filtered_certificates(request), list_item)

    @extend_schema(tags=[TAG], summary="Change a certificate's comments, external requester, auto-renewal",
                   request=UpdateSerializer, parameters=[DATE_PARAM], responses={200: DETAIL})
    def put(self, request, version=None):
        actor = self.actor(request)
        body = self.body(request, strict=True)
        data = self.parse(UpdateSerializer, body)
        pattern = date_format(request)
        cert = _certificate(request, data["sslId"])
        for key in ("term", "certTypeId", "orgId", "commonName", "csr", "subjectAlternativeNames"):
            if body.get(key) not in (None, "", []) and not _same(cert, key, body[key]):
                raise InvalidInput(f"{key} cannot be changed on an existing certificate: request a new one "
                                   f"(enroll, renewById or replace).", field=key)
        auto_renew, days = _auto_renew_state(data.get("autoRenewDetails"))
        cert = services.update_certificate(actor, cert, comments=data.get("comments"),
                                           external_requester=data.get("externalRequester"),
                                           auto_renew=auto_renew, days_before=days)
        return Response(detail(_reload(cert), pattern))


def _same(cert: Certificate, key: str, value) -> bool:
    current = {"term": cert.term, "certTypeId": cert.profile_id, "orgId": cert.organization_id,
               "commonName": cert.common_name, "subjectAlternativeNames": sans_of(cert)}.get(key)
    if key == "csr":
        return str(value).strip() == cert.csr_pem.strip()
    if isinstance(current, int):
        return str(value).strip() == str(current)
    if isinstance(current, list):
        return isinstance(value, list) and [str(v).lower() for v in value] == current
    return str(value).strip().lower() == str(current).lower()


def _reload(cert: Certificate) -> Certificate:
    return Certificate.objects.select_related("organization", "profile").get(pk=cert.pk)


class SslDetailView(SslView):
    @extend_schema(tags=[TAG], summary="Certificate details", parameters=[DATE_PARAM], responses={200: DETAIL})
    def get(self, request, ssl_id, version=None):
        pattern = date_format(request)
        return Response(detail(_certificate(request, ssl_id), pattern))

    @extend_schema(tags=[TAG], summary="Delete an imported or discovered certificate from the inventory",
                   description="Certificates certdesk issued cannot be deleted (400, -1113): revoke them.",
                   responses={**NO_CONTENT,
                              400: OpenApiResponse(ScmErrorSerializer, description="Not an imported or discovered "
                                                   "certificate (-1113)"),
                              404: OpenApiResponse(ScmErrorSerializer, description="No such certificate in the "
                                                   "caller's scope (-124)")})
    def delete(self, request, ssl_id, version=None):
        imports.delete_from_inventory(self.actor(request), _certificate(request, ssl_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SslEnrollView(SslView):
    @extend_schema(tags=[TAG], summary="Request a certificate (refusals are immediate SCM errors)",
                   request=EnrollSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, version=None):
        actor = self.actor(request)
        data = self.parse(EnrollSerializer, self.body(request, strict=True))
        org = organization_of(actor, data["orgId"])
        policy.require(actor, policy.Perm.REQUEST_SSL, org)
        policy.require_api_enabled(actor, org, SSL)
        profile = queries.get_profile(actor.customer, data["certType"])
        sans = data.get("subjAltNames")
        if sans is not None and not isinstance(sans, (str, list)):
            raise InvalidInput("subjAltNames must be a comma-separated text.", field="subjAltNames")
        auto_renew, days = _auto_renew_state(data.get("autoRenewDetails"))
        if data.get("autoRenew") is not None:
            auto_renew = data["autoRenew"]
        cert = services.request_ssl(
            actor, organization=org, profile=profile, csr_pem=data["csr"], term=data["term"],
            subject_alt_names=sans or (), common_name=data.get("commonName") or None,
            external_requester=data.get("externalRequester") or None, comments=data.get("comments") or "",
            auto_renew=bool(auto_renew), days_before=days if days is not None else 30,
        )
        return Response({"sslId": cert.pk, "renewId": renew_id(cert)})


def _download(request, ssl_id, fmt) -> HttpResponse:
    fmt = formats.parse_format(fmt)
    cert = _certificate(request, ssl_id)
    download = imports.collect(ScmView.actor(request), cert, fmt)
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = f'attachment; filename="{download.filename}"'
    return response


class IgnoreFormatNegotiation(DefaultContentNegotiation):
    """`?format=` is SCM's collect format here, not DRF's renderer override (URL_FORMAT_OVERRIDE)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class SslCollectView(SslView):
    content_negotiation_class = IgnoreFormatNegotiation

    @extend_schema(tags=[TAG], summary="Download an issued certificate (code 0 while being processed)",
                   parameters=[OpenApiParameter("format", OpenApiTypes.STR, enum=list(formats.FORMATS))],
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, ssl_id, version=None):
        return _download(request, ssl_id, request.query_params.get("format"))


class SslCollectFormatView(SslView):
    @extend_schema(tags=[TAG], summary="Download an issued certificate, the format in the path",
                   responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, ssl_id, fmt, version=None):
        return _download(request, ssl_id, fmt)


# The certificate verbs every family (SSL, client certificates) answers alike: 204 once done.

def approve_response(request, cert: Certificate) -> Response:
    data = ScmView.parse(MessageSerializer, ScmView.body(request, strict=False))
    services.approve(ScmView.actor(request), cert, message=data.get("message") or "")
    return Response(status=status.HTTP_204_NO_CONTENT)


def decline_response(request, cert: Certificate) -> Response:
    data = ScmView.parse(MessageSerializer, ScmView.body(request, strict=False))
    services.decline(ScmView.actor(request), cert, data.get("message") or "")
    return Response(status=status.HTTP_204_NO_CONTENT)


def revoke_response(request, cert: Certificate) -> Response:
    data = ScmView.parse(RevokeSerializer, ScmView.body(request, strict=False))
    services.revoke(ScmView.actor(request), cert, data.get("reasonCode"), reason=data.get("reason") or "")
    return Response(status=status.HTTP_204_NO_CONTENT)


class SslApproveView(SslView):
    @extend_schema(tags=[TAG], summary="Approve a requested certificate (it is then issued)",
                   request=MessageSerializer, responses=NO_CONTENT)
    def post(self, request, ssl_id, version=None):
        return approve_response(request, _certificate(request, ssl_id))


class SslDeclineView(SslView):
    @extend_schema(tags=[TAG], summary="Decline a requested certificate", request=MessageSerializer,
                   responses=NO_CONTENT)
    def post(self, request, ssl_id, version=None):
        return decline_response(request, _certificate(request, ssl_id))


class SslRevokeView(SslView):
    @extend_schema(tags=[TAG], summary="Revoke an issued certificate", request=RevokeSerializer,
                   responses=NO_CONTENT)
    def post(self, request, ssl_id, version=None):
        return revoke_response(request, _certificate(request, ssl_id))


class SslRevokeSerialView(SslView):
    @extend_schema(tags=[TAG], summary="Revoke an issued certificate by its serial number (hex)",
                   request=RevokeSerializer, responses=NO_CONTENT)
    def post(self, request, serial, version=None):
        actor = self.actor(request)
        key = serial_key(serial)
        cert = (policy.scope_api_enabled(actor, queries.visible_certificates(actor), SSL)
                .filter(serial_hex=key).order_by("-id").first())
        if cert is None:
            raise CertificateNotFound("No certificate with this serial number.")
        return revoke_response(request, _certificate(request, cert.pk))


class SslRenewByIdView(SslView):
    @extend_schema(tags=[TAG], summary="Renew: a new request with the same details (optionally a new CSR)",
                   request=CsrSerializer, responses={200: OpenApiTypes.OBJECT})
    def post(self, request, ssl_id, version=None):
        data = self.parse(CsrSerializer, self.body(request, strict=False))
        new = services.renew(self.actor(request), _certificate(request, ssl_id), csr_pem=data.get("csr") or None)
        return Response({"sslId": new.pk})


class SslRenewView(SslView):
    @extend_schema(tags=[TAG], summary="Renew by the renewId given at enrollment", request=CsrSerializer,
                   responses=NO_CONTENT)
    def post(self, request, renew, version=None):
        actor = self.actor(request)
        data = self.parse(CsrSerializer, self.body(request, strict=False))
        cert = cert_from_renew_id(actor, renew)
        policy.require_api_enabled(actor, cert.organization, SSL)
        services.renew(actor, cert, csr_pem=data.get("csr") or None)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SslReplaceView(SslView):
    @extend_schema(tags=[TAG], summary="Replace an issued certificate (new CSR; the old one is revoked as "
                                       "superseded once the new one is issued)",
                   request=ReplaceSerializer, responses=NO_CONTENT)
    def post(self, request, ssl_id, version=None):
        data = self.parse(ReplaceSerializer, self.body(request, strict=True))
        sans = data.get("subjectAlternativeNames")
        if sans is not None and not isinstance(sans, (str, list)):
            raise InvalidInput("subjectAlternativeNames must be a list of names.", field="subjectAlternativeNames")
        services.replace(self.actor(request), _certificate(request, ssl_id), csr_pem=data["csr"],
                         common_name=data.get("commonName") or None, subject_alt_names=sans,
                         reason=data.get("reason") or "")
        return Response(status=status.HTTP_204_NO_CONTENT)


# The base URL certdesk hands out for downloads (notifications use it too).
def collect_url(cert_id: int, fmt: str = "x509CO") -> str:
    return f"{settings.BASE_URL}/api/ssl/v1/collect/{cert_id}/{fmt}"
